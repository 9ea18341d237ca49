"""Vertex AI's automated stopping: the median of *completed* trials, and the decay curve."""

from __future__ import annotations

from typing import Any

import pytest

from hpo_bridge.core.stopping.decay_curve import DecayCurveRule, chance_to_beat
from hpo_bridge.core.stopping.median import MedianRule
from hpo_bridge.core.stopping.vertex_median import VertexMedianRule
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.plugins import registry
from hpo_bridge.spec import TuningSpec

COMPLETED = {  # three finished trials; their running averages by step (maximising):
    1: [0.5, 0.6, 0.7],  # 0.5, 0.55, 0.6
    2: [0.3, 0.5, 0.9],  # 0.3, 0.4, 0.5667
    3: [0.8, 0.8, 0.8],  # 0.8, 0.8, 0.8   -> medians 0.5, 0.55, 0.6
}


def make_spec(goal: str = "maximize", policy: str = "vertex_median", **early: Any) -> TuningSpec:
    return TuningSpec.model_validate({
        "name": "t",
        "objective": {"metric": "m", "goal": goal},
        "search_space": {"x": {"type": "float", "low": 0, "high": 1}},
        "early_stopping": {"policy": policy, **early},
    })


def feed(rule: Any, trial: int, values: list[float], status: TrialStatus | None = None,
         mirror: bool = False, end_stopped: bool = True) -> tuple[int, str] | None:
    """Report `values` one by one, deciding after each; end with `status` when given.
    Returns (step, reason) of a stop (the trial then ends STOPPED, unless not
    `end_stopped`: a test that keeps the reference set fixed)."""
    for step, value in enumerate(values, start=1):
        rule.report(trial, step, 1 - value if mirror else value)
        decision = rule.decide(trial, step)
        if decision.stop:
            if end_stopped:
                rule.ended(trial, TrialStatus.STOPPED)
            return step, decision.reason
    if status is not None:
        rule.ended(trial, status)
    return None


def complete(rule: Any, trial: int, curve: list[float], mirror: bool = False,
             status: TrialStatus = TrialStatus.COMPLETED) -> None:
    """A trial that ran to its end (no decisions asked)."""
    for step, value in enumerate(curve, start=1):
        rule.report(trial, step, 1 - value if mirror else value)
    rule.ended(trial, status)


def with_completed(rule: Any, mirror: bool = False) -> Any:
    for trial, curve in COMPLETED.items():
        complete(rule, trial, curve, mirror)
    return rule


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_hand_computed_stops(goal: str) -> None:
    mirror = goal == "minimize"  # v -> 1 - v: the same decisions
    rule = with_completed(VertexMedianRule(make_spec(goal)), mirror)
    stop = feed(rule, 4, [0.45, 0.52, 0.9], mirror=mirror, end_stopped=False)
    assert stop is not None and stop[0] == 1
    shown = "0.450 < median 0.500" if not mirror else "0.550 > median 0.500"
    assert stop[1] == (f"vertex_median: best {shown} of the running averages of 3"
                       " completed trials at step 1")
    stop = feed(rule, 5, [0.5, 0.54, 0.99], mirror=mirror, end_stopped=False)
    assert stop is not None and stop[0] == 2  # 0.54 < 0.55
    assert feed(rule, 6, [0.6, 0.5, 0.55], mirror=mirror) is None  # 0.6 is never below


def test_steps_beyond_a_completed_trial_use_its_whole_average() -> None:
    rule = VertexMedianRule(make_spec())
    complete(rule, 1, [0.2])  # averages 0.2 at every later step
    complete(rule, 2, [0.4, 0.4, 0.4, 0.4])
    # step 4: the averages are 0.2 (trial 1, ended at step 1) and 0.4: median 0.3
    assert rule.reference(4) == (pytest.approx(0.3), 2)
    assert feed(rule, 3, [0.1, 0.1, 0.1, 0.29]) == (
        1, "vertex_median: best 0.100 < median 0.300 of the running averages of 2 completed"
           " trials at step 1")


def test_only_trials_that_ended_with_a_result_are_the_reference() -> None:
    rule = VertexMedianRule(make_spec())
    # Running, failed and cancelled trials are not compared with: nothing stops yet.
    feed(rule, 1, [0.9, 0.9])  # still running
    feed(rule, 2, [0.95, 0.95], TrialStatus.FAILED)
    feed(rule, 3, [0.99], TrialStatus.CANCELLED)
    assert feed(rule, 4, [0.1, 0.1]) is None
    # An early-stopped trial ended with a result (Vertex: SUCCEEDED): it is the reference.
    feed(rule, 5, [0.5, 0.5], TrialStatus.STOPPED)
    assert rule.completed == [5]
    assert feed(rule, 6, [0.4]) is not None


def test_the_reference_set_differs_from_azures_median() -> None:
    """Azure's median compares with every trial at the step (itself included), Vertex's
    with completed trials only: the same reports, different decisions."""
    spec = make_spec(policy="median")
    azure, vertex = MedianRule(spec), VertexMedianRule(make_spec())
    for rule in (azure, vertex):
        feed(rule, 1, [0.5, 0.5], TrialStatus.COMPLETED)
        rule.report(2, 1, 0.1)  # two trials running at step 1
        rule.report(3, 1, 0.2)
    # Azure: averages 0.5, 0.1, 0.2 -> median 0.2; trial 3's 0.2 is not below it.
    assert not azure.decide(3, 1).stop
    # Vertex: the completed trial alone -> median 0.5; 0.2 is below it.
    assert vertex.decide(3, 1).stop


def test_gating_applies() -> None:
    rule = with_completed(VertexMedianRule(make_spec(delay_evaluation=2)))
    assert feed(rule, 4, [0.1, 0.1, 0.1]) == (
        2, "vertex_median: best 0.100 < median 0.550 of the running averages of 3 completed"
           " trials at step 2")


def test_registry_builds_both_rules() -> None:
    reg = registry()
    assert isinstance(reg.require("stopping_rules", "vertex_median").create(make_spec()),
                      VertexMedianRule)
    assert isinstance(reg.require("stopping_rules", "decay_curve").create(
        make_spec(policy="decay_curve")), DecayCurveRule)


# -- decay curve ------------------------------------------------------------------------------
CURVES = {  # completed trials: rising curves, final value = the last report
    1: [0.30, 0.50, 0.60, 0.65],
    2: [0.50, 0.70, 0.80, 0.85],
    3: [0.40, 0.60, 0.70, 0.75],
    4: [0.60, 0.80, 0.90, 0.95],
}


def decay_rule(goal: str = "maximize") -> DecayCurveRule:
    rule = DecayCurveRule(make_spec(goal, policy="decay_curve"))
    for trial, curve in CURVES.items():
        complete(rule, trial, curve, goal == "minimize")
    return rule


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_decay_curve_stops_a_hopeless_trial_and_keeps_a_promising_one(goal: str) -> None:
    mirror = goal == "minimize"
    rule = decay_rule(goal)
    stop = feed(rule, 5, [0.1, 0.15, 0.2, 0.2], mirror=mirror)
    assert stop is not None and stop[0] == 1
    assert stop[1].startswith("decay_curve: predicted final ")
    assert "chance to beat the best" in stop[1]
    assert (" 0.050 " in stop[1]) if mirror else (" 0.950 " in stop[1])
    assert feed(rule, 6, [0.65, 0.85, 0.95, 0.97], mirror=mirror) is None


def test_decay_curve_waits_for_three_completed_trials() -> None:
    rule = DecayCurveRule(make_spec(policy="decay_curve"))
    for trial in (1, 2):
        complete(rule, trial, CURVES[trial])
    assert feed(rule, 3, [0.0, 0.0, 0.0]) is None
    complete(rule, 4, CURVES[3])
    assert feed(rule, 5, [0.0, 0.0, 0.0]) is not None


def test_chance_to_beat() -> None:
    assert chance_to_beat(0.5, 0.1, 0.5) == pytest.approx(0.5)
    assert chance_to_beat(0.3, 0.1, 0.5) == pytest.approx(0.02275, abs=1e-5)
    assert chance_to_beat(0.6, 0.0, 0.5) == 1.0
