"""Vega's fullytrain stage in the tuner: the best distinct configurations re-run after the
search, as new trials the searcher never hears of; resumed when interrupted."""

from __future__ import annotations

import copy
from typing import Any

from hpo_bridge.core.events import StudyEnded, TrialCreated
from hpo_bridge.core.fullytrain import fullytrain_configs
from hpo_bridge.core.searchers.grid import GridSearcher
from hpo_bridge.core.trial import FULLYTRAIN, INTERRUPTED, Trial, TrialStatus
from hpo_bridge.core.tuner import Tuner
from hpo_bridge.executors.simulator import SimulatorExecutor
from hpo_bridge.spec import validate_spec

CURVES = {"A": [0.5, 0.6], "B": [0.7, 0.9], "C": [0.6, 0.8], "D": [0.2, 0.3]}


class RecordingGrid(GridSearcher):
    """The real grid searcher, noting which trials it was told about."""

    def __init__(self, spec: Any) -> None:
        super().__init__(spec)
        self.heard: set[int] = set()

    def report(self, trial_id: int, interval: int, value: float) -> None:
        self.heard.add(trial_id)
        super().report(trial_id, interval, value)

    def tell(self, trial_id: int, status: TrialStatus, value: Any) -> None:
        self.heard.add(trial_id)
        super().tell(trial_id, status, value)


def make_spec(top_k: int | None, **limits: Any):
    return validate_spec({
        "name": "ft",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"curve": {"type": "categorical", "values": list(CURVES)}},
        "strategy": {"algorithm": "grid"},
        "limits": {"max_trials": 10, "max_parallel": 2, **limits},
        "trial": {"fullytrain": {"top_k": top_k}} if top_k else {},
    })


def executor(spec):
    return SimulatorExecutor(spec, {
        "metric": "accuracy", "seconds_per_interval": 1.0,
        "rows": [{"params": {"curve": k}, "values": v} for k, v in CURVES.items()],
    })


def test_the_best_configurations_rerun_after_the_search():
    spec = make_spec(top_k=2)
    searcher, events = RecordingGrid(spec), []
    tuner = Tuner(spec, searcher, executor(spec), sink=events.append)
    ended = tuner.run()
    assert (ended.status, ended.reason) == (
        "finished", "the searcher has no more configurations (4 trials)")
    created = [(e.trial_id, e.params["curve"], e.stage) for e in events
               if isinstance(e, TrialCreated)]
    assert created == [(1, "A", "hpo"), (2, "B", "hpo"), (3, "C", "hpo"), (4, "D", "hpo"),
                       (5, "B", FULLYTRAIN), (6, "C", FULLYTRAIN)]
    full = [tuner.trials[5], tuner.trials[6]]
    assert [(t.status, t.values, t.resource) for t in full] == [
        (TrialStatus.COMPLETED, [0.7, 0.9], None), (TrialStatus.COMPLETED, [0.6, 0.8], None)]
    assert searcher.heard == {1, 2, 3, 4}
    # The stage comes after every search trial ended, and the study ends after it.
    first_stage = events.index(next(e for e in events if getattr(e, "stage", "") == FULLYTRAIN))
    assert all(tuner.trials[i].ended_at <= events[first_stage].time for i in (1, 2, 3, 4))
    assert isinstance(events[-1], StudyEnded) and events[-1].time == tuner.trials[5].ended_at


def test_no_stage_when_the_search_did_not_finish():
    spec = make_spec(top_k=1, max_failed=1)
    curves = {**CURVES}
    tuner = Tuner(spec, RecordingGrid(spec), SimulatorExecutor(spec, {
        "metric": "accuracy", "seconds_per_interval": 1.0,
        "rows": [{"params": {"curve": k}, "values": v} for k, v in curves.items() if k != "A"],
    }))  # trial 1 (A) has no row: it fails, and max_failed 1 ends the study
    ended = tuner.run()
    assert ended.status == "failed"
    assert all(t.stage == "hpo" for t in tuner.trials.values())


def test_configurations_count_once_and_done_ones_are_not_rerun():
    spec = make_spec(top_k=2)

    def trial(tid, curve, value, stage="hpo", status=TrialStatus.COMPLETED, reason=None):
        return Trial(tid, {"curve": curve}, status=status, values=[value],
                     metrics={"accuracy": [value]}, stage=stage, reason=reason)

    trials = [trial(1, "B", 0.9), trial(2, "B", 0.85), trial(3, "A", 0.8), trial(4, "C", 0.7)]
    assert [t.id for t in fullytrain_configs(spec, trials, 2)] == [1, 3]
    done = trial(5, "B", 0.95, FULLYTRAIN)
    assert [t.id for t in fullytrain_configs(spec, [*trials, done], 2)] == [3]
    cut = trial(5, "B", 0.5, FULLYTRAIN, TrialStatus.INTERRUPTED, INTERRUPTED)
    assert [t.id for t in fullytrain_configs(spec, [*trials, cut], 2)] == [1, 3]


def test_an_interrupted_stage_runs_again_on_resume():
    spec = make_spec(top_k=1)
    searcher = RecordingGrid(spec)
    tuner = Tuner(spec, searcher, executor(spec))
    while not any(t.stage == FULLYTRAIN and t.status is TrialStatus.RUNNING
                  for t in tuner.trials.values()):
        assert tuner.step()
    previous = copy.deepcopy(list(tuner.trials.values()))  # the orchestrator dies here
    resumed_searcher = RecordingGrid(spec)
    resumed_searcher.load_state_dict(searcher.state_dict())
    events: list = []
    resumed = Tuner(spec, resumed_searcher, executor(spec), sink=events.append,
                    previous=previous, elapsed=tuner.now())
    ended = resumed.run()
    assert ended.status == "finished"
    got = {t.id: (t.stage, t.status.value, t.reason) for t in resumed.trials.values()}
    assert got[5] == (FULLYTRAIN, "interrupted", INTERRUPTED)
    assert got[6] == (FULLYTRAIN, "completed", None)
    assert resumed.trials[6].params == {"curve": "B"}
    assert resumed_searcher.heard == set()  # neither the interrupted nor the new re-run
    assert [e.trial_id for e in events if isinstance(e, TrialCreated)] == [6]
