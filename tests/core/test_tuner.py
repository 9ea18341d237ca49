"""The tuner loop on the simulator: limits, failure policy, timeouts, lockstep, resume."""

from __future__ import annotations

from typing import Any

import pytest

from hpo_bridge.core.events import (
    MetricReported,
    StoppingDecision,
    StudyEnded,
    TrialCreated,
    TrialRetried,
    TrialStatusChanged,
)
from hpo_bridge.core.searchers.base import Searcher, Suggestion
from hpo_bridge.core.stopping.bandit import BanditRule
from hpo_bridge.core.trial import INTERRUPTED, TrialStatus
from hpo_bridge.core.tuner import Tuner
from hpo_bridge.executors.simulator import SimulatorExecutor
from hpo_bridge.spec import validate_spec

NAN = float("nan")


class ScriptedSearcher(Searcher):
    """Proposes the table's curves in a given order (a fixture: the order is the test)."""

    def __init__(self, spec, names: list[str]) -> None:
        super().__init__(spec)
        self.names = names
        self.asked = 0
        self.told: list[tuple[int, str, Any]] = []
        self.reports: list[tuple[int, int, float]] = []

    def ask(self, trial_id: int) -> Suggestion | None:
        if self.asked >= len(self.names):
            return None
        self.asked += 1
        return Suggestion({"curve": self.names[self.asked - 1]})

    def tell(self, trial_id, status, value) -> None:
        self.told.append((trial_id, status.value, value))

    def report(self, trial_id, interval, value) -> None:
        self.reports.append((trial_id, interval, value))

    def state_dict(self) -> dict[str, Any]:
        return {"asked": self.asked}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.asked = state["asked"]


def make_spec(goal: str = "maximize", **limits: Any) -> Any:
    data: dict[str, Any] = {
        "name": "t",
        "objective": {"metric": "accuracy", "goal": goal},
        "search_space": {"curve": {"type": "categorical", "values": ["A", "B", "C"]}},
        "limits": {"max_trials": 100, **limits},
    }
    early = limits.pop("early_stopping", None)
    if early:
        data["early_stopping"] = early
        data["limits"].pop("early_stopping")
    return validate_spec(data)


def table(curves: dict[str, list[float]], spi: float = 1.0) -> dict[str, Any]:
    return {
        "metric": "accuracy",
        "seconds_per_interval": spi,
        "rows": [{"params": {"curve": k}, "values": v} for k, v in curves.items()],
    }


def run(spec, curves, order, rule=None, spi=1.0):
    events: list = []
    searcher = ScriptedSearcher(spec, order)
    executor = SimulatorExecutor(spec, table(curves, spi))
    tuner = Tuner(spec, searcher, executor, rule=rule, sink=events.append)
    ended = tuner.run()
    return tuner, events, ended, searcher


def statuses(tuner) -> dict[int, str]:
    return {t.id: t.status.value for t in tuner.trials.values()}


def max_concurrency(events) -> int:
    running: set[int] = set()
    peak = 0
    for e in events:
        if isinstance(e, TrialStatusChanged):
            if e.status is TrialStatus.RUNNING:
                running.add(e.trial_id)
            elif e.status.terminal:
                running.discard(e.trial_id)
        peak = max(peak, len(running))
    return peak


def test_max_trials_and_max_parallel_hold_at_every_instant():
    curves = {f"c{i}": [0.1 * (i % 7)] * (1 + i % 5) for i in range(40)}
    spec = make_spec(max_trials=23, max_parallel=4)
    tuner, events, ended, _ = run(spec, curves, list(curves))
    assert ended.reason == "max_trials (23) reached"
    assert ended.status == "finished"
    assert [e.trial_id for e in events if isinstance(e, TrialCreated)] == list(range(1, 24))
    assert max_concurrency(events) == 4
    assert set(statuses(tuner).values()) == {"completed"}
    assert isinstance(events[-1], StudyEnded)


def test_exhausted_searcher_ends_the_study():
    spec = make_spec(max_parallel=2)
    tuner, _, ended, _ = run(spec, {"A": [0.5], "B": [0.6], "C": [0.4]}, ["A", "B", "C"])
    assert ended.reason == "the searcher has no more configurations (3 trials)"
    assert tuner.best().params == {"curve": "B"}


@pytest.mark.parametrize(
    ("goal", "target", "winner"), [("maximize", 0.9, 2), ("minimize", 0.2, 3)]
)
def test_target_value_ends_the_study_and_cancels_the_rest(goal, target, winner):
    curves = {"A": [0.5, 0.6], "B": [0.95], "C": [0.1], "D": [0.7] * 10, "E": [0.5]}
    spec = make_spec(goal, max_parallel=2, target_value=target)
    order = ["A", "B", "C", "D", "E"] if goal == "maximize" else ["A", "D", "C", "B", "E"]
    tuner, _, ended, _ = run(spec, curves, order)
    sign = ">=" if goal == "maximize" else "<="
    value = 0.95 if goal == "maximize" else 0.1
    assert ended.reason == (
        f"target_value reached: trial {winner} accuracy {value:g} {sign} {target:g}"
    )
    assert ended.status == "finished"
    cancelled = [t for t in tuner.trials.values() if t.status is TrialStatus.CANCELLED]
    assert cancelled and all(t.reason == f"study ended: {ended.reason}" for t in cancelled)
    assert "E" not in {t.params["curve"] for t in tuner.trials.values()}


def test_max_trials_without_improvement_counts_trials_since_the_best():
    values = [0.5, 0.7, 0.6, 0.8, 0.7, 0.75, 0.8, 0.9]
    curves = {f"c{i}": [v] for i, v in enumerate(values)}
    spec = make_spec(max_trials_without_improvement=3)
    tuner, _, ended, _ = run(spec, curves, list(curves))
    # The best 0.8 comes at trial 4; 0.7, 0.75 and 0.8 (a tie is no improvement) follow.
    assert len(tuner.trials) == 7
    assert ended.reason == ("max_trials_without_improvement (3) reached: best 0.8 in trial 4")


def test_max_failed_ends_the_study_as_failed():
    curves = {"ok": [0.5], "nan": [NAN]}
    spec = make_spec(max_failed=2)
    order = ["ok", "missing", "ok", "nan", "ok", "ok"]
    tuner, _, ended, _ = run(spec, curves, order)
    assert ended.status == "failed"
    assert ended.reason == "max_failed (2) reached: 2 trials failed"
    assert statuses(tuner) == {1: "completed", 2: "failed", 3: "completed", 4: "failed"}
    assert tuner.trials[2].reason == "no table row matches params {'curve': 'missing'}"


def test_unset_max_failed_first_trial_failure_ends_at_once():
    spec = make_spec()
    tuner, _, ended, _ = run(spec, {"ok": [0.5]}, ["missing", "ok", "ok"])
    assert ended.status == "failed"
    assert ended.reason.startswith("the first trial failed (trial 1 failed: no table row")
    assert len(tuner.trials) == 1


@pytest.mark.parametrize(
    ("order", "trials"),
    [
        # 1 success: 3 failures are not "more than 3", the 4th ends the study.
        (["ok", "x", "x", "x", "x", "ok", "ok"], 5),
        # 4 successes: 4 failures do not outnumber them, the 5th does.
        (["ok"] * 4 + ["x"] * 6, 9),
    ],
)
def test_unset_max_failed_after_a_success_uses_ai_platforms_ratio(order, trials):
    spec = make_spec()
    tuner, _, ended, _ = run(spec, {"ok": [0.5]}, order)
    assert ended.status == "failed"
    assert len(tuner.trials) == trials
    failed = trials - order[:trials].count("ok")
    assert ended.reason.startswith(
        f"too many failures: {failed} failed, {order[:trials].count('ok')} succeeded"
    )


def test_trial_timeout_on_the_simulated_clock():
    spec = make_spec(trial_timeout=5.5, max_failed=5)
    tuner, events, _, searcher = run(spec, {"A": [0.1] * 10, "B": [0.2] * 3}, ["A", "B"])
    a = tuner.trials[1]
    assert (a.status, a.reason, a.intervals) == (
        TrialStatus.TIMEOUT, "trial_timeout 5.5s exceeded", 5
    )
    assert a.ended_at == 5.5
    assert tuner.trials[2].status is TrialStatus.COMPLETED
    assert searcher.told[0] == (1, "timeout", None)


def test_lockstep_reports_are_all_recorded_before_any_decision():
    # Trial 1 is the weaker one; it reports at the same simulated time as trial 2. Were
    # it decided before trial 2's report is recorded, it would be its own best and go on.
    spec = make_spec(
        max_parallel=2,
        early_stopping={"policy": "bandit", "slack_factor": 0.2, "delay_evaluation": 2},
    )
    curves = {"weak": [0.5, 0.6, 0.65, 0.7], "strong": [0.6, 0.7, 0.8, 0.9]}
    tuner, events, _, _ = run(spec, curves, ["weak", "strong"], rule=BanditRule(spec))
    decisions = [e for e in events if isinstance(e, StoppingDecision)]
    assert [(d.trial_id, d.interval, d.time) for d in decisions] == [(1, 3, 3.0)]
    assert decisions[0].reason == "bandit: 0.650 < 0.667 = 0.800/(1+0.2) at interval 3"
    weak = tuner.trials[1]
    assert (weak.status, weak.values) == (TrialStatus.STOPPED, [0.5, 0.6, 0.65])
    # A stopped trial's values still count.
    assert tuner.trials[2].status is TrialStatus.COMPLETED


class BurstExecutor(SimulatorExecutor):
    """The simulator, but each poll returns several simulated instants at once: a process
    that printed a few epochs between two scans of its log."""

    def __init__(self, spec, source, burst: int) -> None:
        super().__init__(spec, source)
        self.burst = burst

    def poll(self, timeout: float) -> list:
        events: list = []
        for _ in range(self.burst):
            events += super().poll(timeout)
        return events


def test_reports_after_a_stop_decision_in_the_same_batch_do_not_count():
    spec = make_spec(
        max_parallel=2,
        early_stopping={"policy": "bandit", "slack_factor": 0.2, "delay_evaluation": 2},
    )
    curves = {"weak": [0.5, 0.6, 0.65, 0.7, 0.99, 0.99, 0.99, 0.99],
              "strong": [0.6, 0.7, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9]}
    events: list = []
    searcher = ScriptedSearcher(spec, ["weak", "strong"])
    executor = BurstExecutor(spec, table(curves), burst=6)
    tuner = Tuner(spec, searcher, executor, rule=BanditRule(spec), sink=events.append)
    tuner.run()
    decisions = [e for e in events if isinstance(e, StoppingDecision)]
    assert [(d.trial_id, d.interval) for d in decisions] == [(1, 3)]
    assert decisions[0].reason == "bandit: 0.650 < 0.667 = 0.800/(1+0.2) at interval 3"
    weak = tuner.trials[1]
    # Its 0.99s came in the batch of the decision: neither its values, the journal,
    # the searcher nor its objective hear of them.
    assert (weak.status, weak.values) == (TrialStatus.STOPPED, [0.5, 0.6, 0.65])
    journaled = [e.value for e in events if isinstance(e, MetricReported) and e.trial_id == 1]
    assert journaled == [0.5, 0.6, 0.65]
    assert [r for r in searcher.reports if r[0] == 1] == [(1, 1, 0.5), (1, 2, 0.6), (1, 3, 0.65)]
    assert (1, "stopped", 0.65) in searcher.told
    assert tuner.trials[2].values == curves["strong"]


def test_non_finite_report_fails_the_trial_and_never_becomes_best():
    spec = make_spec(max_failed=5)
    curves = {"A": [0.5, 0.6], "B": [0.9, float("inf"), 0.99], "C": [0.7]}
    tuner, events, _, searcher = run(spec, curves, ["A", "B", "C"])
    b = tuner.trials[2]
    assert b.status is TrialStatus.FAILED
    assert b.reason == "metric 'accuracy' reported inf, not a finite number"
    assert b.values == [0.9]  # the later 0.99 never arrives: its process was stopped
    assert tuner.best().id == 3
    assert (2, "failed", None) in searcher.told


def test_trial_without_objective_report_fails():
    spec = make_spec(max_failed=5)
    tuner, _, _, _ = run(spec, {"A": [], "B": [0.4]}, ["A", "B"])
    assert tuner.trials[1].status is TrialStatus.FAILED
    assert tuner.trials[1].reason == "no value of metric accuracy reported (it reported no metric)"
    assert tuner.trials[1].exit_code == 0


def test_searcher_hears_every_report_and_every_end():
    spec = make_spec(max_parallel=2)
    _, _, _, searcher = run(spec, {"A": [0.1, 0.2], "B": [0.3]}, ["A", "B"])
    assert searcher.reports == [(1, 1, 0.1), (2, 1, 0.3), (1, 2, 0.2)]
    assert searcher.told == [(2, "completed", 0.3), (1, "completed", 0.2)]


def test_measurement_best_is_told():
    spec = validate_spec({
        "name": "t", "objective": {"metric": "accuracy", "goal": "minimize",
                                   "measurement": "best"},
        "search_space": {"curve": {"type": "categorical", "values": ["A"]}},
    })
    _, _, _, searcher = run(spec, {"A": [0.3, 0.1, 0.2]}, ["A"])
    assert searcher.told == [(1, "completed", 0.1)]


def test_max_duration_cancels_running_trials():
    spec = make_spec(max_parallel=2, max_duration=25)
    tuner, events, ended, _ = run(spec, {"A": [0.5] * 10, "B": [0.6] * 40}, ["A", "B", "A"],
                                  spi=2.0)
    assert ended.reason == "max_duration 25s reached"
    assert ended.time == 25.0
    assert statuses(tuner) == {1: "completed", 2: "cancelled", 3: "cancelled"}
    assert events[-1] == ended


def test_resume_runs_interrupted_trials_again_and_respects_max_trials():
    spec = make_spec(max_trials=6, max_parallel=2)
    curves = {"A": [0.5] * 3, "B": [0.6] * 3, "C": [0.7] * 3}
    order = ["A", "B", "C"] * 3
    first_events: list = []
    searcher = ScriptedSearcher(spec, order)
    tuner = Tuner(spec, searcher, SimulatorExecutor(spec, table(curves)),
                  sink=first_events.append)
    for _ in range(6):  # the orchestrator "dies" mid-study: trials 3 and 4 are running
        tuner.step()
    assert {t.id: t.status.value for t in tuner.trials.values()} == {
        1: "completed", 2: "completed", 3: "running", 4: "running"}
    params_before = {t.id: dict(t.params) for t in tuner.trials.values()}
    previous = [t for t in tuner.trials.values()]
    resumed_searcher = ScriptedSearcher(spec, order)
    resumed_searcher.load_state_dict(searcher.state_dict())
    events: list = []
    resumed = Tuner(spec, resumed_searcher, SimulatorExecutor(spec, table(curves)),
                    sink=events.append, previous=previous, elapsed=tuner.now())
    ended = resumed.run()
    assert ended.reason == "max_trials (6) reached"
    # 3 and 4 were recorded interrupted, then ran again first: same id, same configuration,
    # their second attempt; the budget counts each id once: 4 before + 2 new = 6.
    interrupted = [(e.trial_id, e.reason) for e in events
                   if isinstance(e, TrialStatusChanged) and e.status.value == "interrupted"]
    assert interrupted == [(3, INTERRUPTED), (4, INTERRUPTED)]
    retried = [(e.trial_id, e.attempt) for e in events if isinstance(e, TrialRetried)]
    assert retried == [(3, 2), (4, 2)]
    got = {t.id: (t.status.value, t.attempt) for t in resumed.trials.values()}
    assert got == {1: ("completed", 1), 2: ("completed", 1), 3: ("completed", 2),
                   4: ("completed", 2), 5: ("completed", 1), 6: ("completed", 1)}
    assert {i: resumed.trials[i].params for i in (3, 4)} == {i: params_before[i]
                                                            for i in (3, 4)}
    assert [e.trial_id for e in events if isinstance(e, TrialCreated)] == [5, 6]
    # The searcher heard of 3 and 4 once: when their second attempt ended.
    assert [t for t in resumed_searcher.told if t[0] in (3, 4)] == [
        (3, "completed", 0.7), (4, "completed", 0.5)]
    # Study time continues across the resume.
    assert min(e.time for e in events if isinstance(e, MetricReported)) > tuner.now()
