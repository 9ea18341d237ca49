"""limits.max_total_resource: a search budget in epochs (Vega's total_epochs), honoured."""

from __future__ import annotations

from typing import Any

import pytest
from test_tuner import ScriptedSearcher, table

from hpo_bridge.core.budget import ResourceBudget, spent_by
from hpo_bridge.core.events import TrialCreated, TrialStatusChanged
from hpo_bridge.core.trial import FULLYTRAIN, Trial, TrialStatus
from hpo_bridge.core.tuner import Tuner
from hpo_bridge.executors.simulator import SimulatorExecutor
from hpo_bridge.spec import SpecError, validate_spec
from hpo_bridge.tuning import build_searcher


def spec_with(**changes: Any) -> Any:
    data: dict[str, Any] = {
        "name": "t",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"curve": {"type": "categorical", "values": ["A", "B", "C"]}},
        "trial": {"resource": {"name": "epochs", "min": 1, "max": 3}},
        "limits": {"max_trials": 100, "max_total_resource": 10},
    }
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value}
    return validate_spec(data)


@pytest.mark.parametrize(("status", "intervals", "resource", "spent"), [
    (TrialStatus.COMPLETED, 1, 9, 9),   # wrote its objective once, at the end of 9 epochs
    (TrialStatus.COMPLETED, 9, 9, 9),
    (TrialStatus.STOPPED, 3, 9, 3),     # a rung ended it after 3 epochs
    (TrialStatus.FAILED, 0, 9, 0),
    (TrialStatus.TIMEOUT, 5, 9, 5),
    (TrialStatus.COMPLETED, 4, None, 4),
])
def test_what_an_ended_trial_spent(status, intervals, resource, spent):
    trial = Trial(1, {}, status=status, resource=resource, values=[0.5] * intervals)
    assert spent_by(trial) == spent


def test_fullytrain_and_interrupted_trials_count_nothing():
    budget = ResourceBudget(10, 3)
    budget.ended(Trial(1, {}, TrialStatus.COMPLETED, resource=3, stage=FULLYTRAIN))
    budget.ended(Trial(2, {}, TrialStatus.INTERRUPTED, resource=3, values=[1.0]))
    assert budget.spent == 0
    running = [Trial(3, {}, TrialStatus.RUNNING, resource=3)]
    assert budget.committed(running) == 3 and budget.fits(running)
    budget.ended(Trial(4, {}, TrialStatus.COMPLETED, resource=3, values=[1.0]))
    assert budget.committed(running) == 6 and not budget.fits(running * 2)


def run(spec, curves, order, max_parallel_events=None):
    events: list = []
    tuner = Tuner(spec, ScriptedSearcher(spec, order), SimulatorExecutor(spec, table(curves)),
                  sink=events.append)
    return tuner, events, tuner.run()


def test_trials_start_only_while_their_budget_fits():
    spec = spec_with(limits={"max_parallel": 2})
    curves = {"A": [0.1, 0.2, 0.3], "B": [0.2, 0.3, 0.4], "C": [0.3, 0.4, 0.5]}
    tuner, events, ended = run(spec, curves, ["A", "B", "C", "A", "B"])
    # 3 + 3 started at once; then 6 spent + 3 = 9 <= 10; a fourth would make 12
    assert [e.trial_id for e in events if isinstance(e, TrialCreated)] == [1, 2, 3]
    assert ended.status == "finished"
    assert ended.reason == ("max_total_resource (10 epochs) reached: 9 spent, another trial"
                            " takes 3")
    assert tuner.resource_budget.spent == 9


def test_hyperband_on_the_simulator_never_gives_out_more_epochs_than_the_budget():
    spec = validate_spec({
        "name": "t", "objective": {"metric": "value", "goal": "minimize"},
        "search_space": {"x1": {"type": "float", "low": -5, "high": 10},
                         "x2": {"type": "float", "low": 0, "high": 15}},
        "strategy": {"algorithm": "hyperband", "seed": 4, "reduction_factor": 3},
        "trial": {"resource": {"name": "epochs", "min": 1, "max": 9}},
        "limits": {"max_trials": 100, "max_parallel": 3, "max_total_resource": 50},
    })
    events: list = []
    searcher = build_searcher(spec)
    executor = SimulatorExecutor(spec, "branin-mf")
    tuner = Tuner(spec, searcher, executor, rule=searcher.stopping_rule(), sink=events.append)
    ended = tuner.run()
    trials = list(tuner.trials.values())
    spent = sum(spent_by(t) for t in trials)
    assert spent == tuner.resource_budget.spent <= 50
    assert any(t.status is TrialStatus.STOPPED for t in trials)  # rungs freed epochs
    assert len(trials) > 50 // 9  # more trials than if each had run its 9 epochs
    assert ended.reason.startswith("max_total_resource (50 epochs) reached")
    ends = [e for e in events if isinstance(e, TrialStatusChanged) and e.status.terminal]
    assert len(ends) == len(trials)


def test_resume_counts_what_the_stored_trials_spent():
    spec = spec_with(limits={"max_parallel": 1})
    curves = {"A": [0.1, 0.2, 0.3], "B": [0.2, 0.3, 0.4], "C": [0.3, 0.4, 0.5]}
    first, _, _ = run(spec, curves, ["A", "B", "C"])
    previous = list(first.trials.values())[:2]  # two completed trials: 6 epochs
    events: list = []
    searcher = ScriptedSearcher(spec, ["C", "A", "B"])
    tuner = Tuner(spec, searcher, SimulatorExecutor(spec, table(curves)), sink=events.append,
                  previous=previous)
    ended = tuner.run()
    assert [e.trial_id for e in events if isinstance(e, TrialCreated)] == [3]
    assert tuner.resource_budget.spent == 9 and ended.reason.startswith("max_total_resource")


def problems_of(**changes: Any) -> list[tuple[str, str]]:
    data: dict[str, Any] = {
        "name": "t", "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"curve": {"type": "categorical", "values": ["A", "B"]}},
        **changes,
    }
    with pytest.raises(SpecError) as info:
        validate_spec(data)
    return [(p.path, p.message) for p in info.value.problems]


def test_the_limit_needs_a_resource_and_room_for_one_trial():
    assert problems_of(limits={"max_total_resource": 10}) == [
        ("limits.max_total_resource", "counts trial.resource: set trial.resource {name, min,"
         " max} (the budget each trial is given)")]
    assert problems_of(limits={"max_total_resource": 2},
                       trial={"resource": {"name": "epochs", "max": 3}}) == [
        ("limits.max_total_resource", "2 is less than one trial's budget (3 epochs)")]
