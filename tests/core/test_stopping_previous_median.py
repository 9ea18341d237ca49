"""SageMaker's Auto early stopping (`previous_median`): a trial against the median of the
running averages of the trials before it, at the same interval."""

from __future__ import annotations

from typing import Any

from hpo_bridge.core.stopping.median import MedianRule
from hpo_bridge.core.stopping.previous_median import PreviousMedianRule
from hpo_bridge.plugins import registry
from hpo_bridge.spec import TuningSpec


def make_spec(goal: str = "maximize", **early: Any) -> TuningSpec:
    return TuningSpec.model_validate({
        "name": "t",
        "objective": {"metric": "m", "goal": goal},
        "search_space": {"x": {"type": "float", "low": 0, "high": 1}},
        "early_stopping": {"policy": "previous_median", **early},
    })


def lockstep(rule: Any, curves: dict[int, list[float]]) -> dict[int, tuple[int, str]]:
    """Every trial reports its k-th value at once; decisions in trial-id order, as the
    tuner makes them. A stopped trial reports no more. Trial id -> (interval, reason)."""
    stops: dict[int, tuple[int, str]] = {}
    for k in range(max(len(c) for c in curves.values())):
        live = [t for t, c in curves.items() if len(c) > k and t not in stops]
        for t in live:
            rule.report(t, k + 1, curves[t][k])
        for t in sorted(live):
            decision = rule.decide(t, k + 1)
            if decision.stop:
                stops[t] = (k + 1, decision.reason)
    return stops


CURVES = {1: [0.4, 0.8], 2: [0.6, 0.7], 3: [0.5, 0.6]}


def test_hand_computed_maximize() -> None:
    # Interval 1: trial 1 has no previous trial; trial 2 meets 0.4, trial 3 the median 0.5
    # of (0.4, 0.6) exactly (equal continues). Interval 2: trial 3's 0.6 is below the median
    # of trial 1's average 0.6 and trial 2's 0.65: 0.625.
    assert lockstep(PreviousMedianRule(make_spec()), CURVES) == {
        3: (2, "previous_median: 0.600 < median 0.625 of the running averages of"
               " 2 previous trials at interval 2"),
    }


def test_hand_computed_minimize() -> None:
    mirrored = {t: [1 - v for v in c] for t, c in CURVES.items()}
    assert lockstep(PreviousMedianRule(make_spec("minimize")), mirrored) == {
        3: (2, "previous_median: 0.400 > median 0.375 of the running averages of"
               " 2 previous trials at interval 2"),
    }


def test_azures_median_compares_with_every_trial_instead() -> None:
    # The same curves under `median` (no delay): trial 1 is part of its own median and
    # the later trials count, so it stops at once (best 0.4 < median 0.5 of 0.4 0.6 0.5).
    stops = lockstep(MedianRule(make_spec(policy="median")), CURVES)
    assert stops[1][0] == 1


def test_the_value_at_the_interval_not_the_best_so_far() -> None:
    # Trial 2 was best at interval 1 (0.9) but reports 0.2 at 2: 0.2 < trial 1's average 0.5.
    stops = lockstep(PreviousMedianRule(make_spec()), {1: [0.5, 0.5], 2: [0.9, 0.2]})
    assert stops == {2: (2, "previous_median: 0.200 < median 0.500 of the running averages"
                            " of 1 previous trials at interval 2")}


def test_prior_trials_with_negative_ids_come_first() -> None:
    rule = PreviousMedianRule(make_spec())
    for interval, value in enumerate([0.7, 0.8], start=1):  # a warm start's parent job
        rule.report(-1, interval, value)
    rule.finished(-1)
    assert lockstep(rule, {1: [0.6, 0.9]}) == {
        1: (1, "previous_median: 0.600 < median 0.700 of the running averages of"
               " 1 previous trials at interval 1")}


def test_gating_by_evaluation_interval_and_delay() -> None:
    spec = make_spec(evaluation_interval=2, delay_evaluation=3)
    curves = {1: [0.9, 0.9, 0.9, 0.9], 2: [0.1, 0.1, 0.1, 0.1]}
    # Acts only at 4 (a multiple of 2 and at least 3): trial 2 runs to interval 4.
    assert lockstep(PreviousMedianRule(spec), curves)[2][0] == 4


def test_registered_as_a_policy() -> None:
    spec = make_spec()
    rule = registry().require("stopping_rules", "previous_median").create(spec)
    assert isinstance(rule, PreviousMedianRule)
    assert (rule.settings.evaluation_interval, rule.settings.delay_evaluation) == (1, 0)
