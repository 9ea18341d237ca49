"""Bandit, median, truncation and auto rules: the seeds' numbers, both goals, gating."""

from __future__ import annotations

from typing import Any

import pytest

from hpo_bridge.core.stopping.bandit import BanditRule
from hpo_bridge.core.stopping.base import StoppingRule
from hpo_bridge.core.stopping.median import MedianRule, auto_rule
from hpo_bridge.core.stopping.truncation import TruncationRule
from hpo_bridge.plugins import registry
from hpo_bridge.spec import TuningSpec

Step = list[Any]  # (trial id, value) reports made at one time, or ("end", trial id)


def make_spec(goal: str = "maximize", **early: Any) -> TuningSpec:
    return TuningSpec.model_validate(
        {
            "name": "t",
            "objective": {"metric": "m", "goal": goal},
            "search_space": {"x": {"type": "float", "low": 0, "high": 1}},
            "early_stopping": early,
        }
    )


def run(rule: StoppingRule, steps: list[Step]) -> dict[int, tuple[int, str]]:
    """Replay steps as the tuner does: record a step's reports, then decide in trial-id order.

    A stopped trial reports no more. Returns trial id -> (interval, reason) of every stop.
    """
    counts: dict[int, int] = {}
    stops: dict[int, tuple[int, str]] = {}
    for step in steps:
        live = [(t, v) for t, v in step if t != "end" and t not in stops]
        for t, v in live:
            counts[t] = counts.get(t, 0) + 1
            rule.report(t, counts[t], v)
        for t, _ in sorted(live):
            decision = rule.decide(t, counts[t])
            if decision.stop:
                stops[t] = (counts[t], decision.reason)
                rule.finished(t)
        for t, v in step:
            if t == "end" and v not in stops:
                rule.finished(v)
    return stops


def lockstep(curves: dict[int, list[float]], mirror: bool = False) -> list[Step]:
    """All trials report their k-th value at the same time; `mirror` maps v -> 1 - v."""
    longest = max(len(c) for c in curves.values())
    steps: list[Step] = []
    for k in range(longest):
        steps.append([(t, 1 - c[k] if mirror else c[k]) for t, c in curves.items() if len(c) > k])
        steps.append([("end", t) for t, c in curves.items() if len(c) == k + 1])
    return steps


def sequential(curves: dict[int, list[float]], mirror: bool = False) -> list[Step]:
    """Each trial runs to its end before the next starts."""
    steps: list[Step] = []
    for t, curve in curves.items():
        steps += [[(t, 1 - v if mirror else v)] for v in curve]
        steps.append([("end", t)])
    return steps


def ramp(last: float, n: int = 10, start: float = 0.5) -> list[float]:
    """n - 1 reports of `start`, then `last` (so the best up to n is max(start, last))."""
    return [start] * (n - 1) + [last]


# -- bandit ---------------------------------------------------------------------------


def test_bandit_seed_slack_factor_02_cuts_below_0667_at_interval_10() -> None:
    rule = BanditRule(
        make_spec(policy="bandit", slack_factor=0.2, evaluation_interval=1, delay_evaluation=10)
    )
    stops = run(rule, lockstep({1: ramp(0.8), 2: ramp(0.65), 3: ramp(0.67)}))
    assert stops == {2: (10, "bandit: 0.650 < 0.667 = 0.800/(1+0.2) at interval 10")}
    assert rule.threshold(0.8)[0] == pytest.approx(0.8 / 1.2)
    assert round(rule.threshold(0.8)[0], 3) == 0.667


def test_bandit_seed_slack_factor_01_is_91_percent_of_best() -> None:
    rule = BanditRule(make_spec(policy="bandit", slack_factor=0.1, delay_evaluation=5))
    assert rule.threshold(1.0)[0] == pytest.approx(1 / 1.1)
    assert round(rule.threshold(1.0)[0] * 100) == 91
    stops = run(rule, lockstep({1: ramp(0.8, 5), 2: ramp(0.728, 5), 3: ramp(0.72, 5)}))
    assert stops == {3: (5, "bandit: 0.720 < 0.727 = 0.800/(1+0.1) at interval 5")}


def test_bandit_slack_amount_maximize() -> None:
    rule = BanditRule(make_spec(policy="bandit", slack_amount=0.1, delay_evaluation=10))
    stops = run(rule, lockstep({1: ramp(0.8), 2: ramp(0.69), 3: ramp(0.71)}))
    assert stops == {2: (10, "bandit: 0.690 < 0.700 = 0.800-0.1 at interval 10")}


def test_bandit_slack_factor_minimize_mirrors() -> None:
    rule = BanditRule(
        make_spec("minimize", policy="bandit", slack_factor=0.2, delay_evaluation=10)
    )
    stops = run(rule, lockstep({1: ramp(0.3, start=0.9), 2: ramp(0.42, start=0.9),
                                3: ramp(0.35, start=0.9)}))
    assert stops == {2: (10, "bandit: 0.420 > 0.360 = 0.300*(1+0.2) at interval 10")}


def test_bandit_slack_amount_minimize_mirrors() -> None:
    rule = BanditRule(
        make_spec("minimize", policy="bandit", slack_amount=0.1, delay_evaluation=10)
    )
    stops = run(rule, lockstep({1: ramp(0.3, start=0.9), 2: ramp(0.42, start=0.9),
                                3: ramp(0.39, start=0.9)}))
    assert stops == {2: (10, "bandit: 0.420 > 0.400 = 0.300+0.1 at interval 10")}


def test_bandit_delay_evaluation_holds_off_until_interval_10() -> None:
    rule = BanditRule(make_spec(policy="bandit", slack_factor=0.2, delay_evaluation=10))
    # Trial 2 is far outside the slack from interval 1 on, yet is judged only at 10.
    stops = run(rule, lockstep({1: [0.8] * 12, 2: [0.1] * 12}))
    assert stops == {2: (10, "bandit: 0.100 < 0.667 = 0.800/(1+0.2) at interval 10")}


def test_bandit_evaluation_interval_judges_only_multiples() -> None:
    rule = BanditRule(
        make_spec(policy="bandit", slack_factor=0.2, evaluation_interval=3, delay_evaluation=2)
    )
    # k >= 2 and k % 3 == 0: the first judgement is at interval 3.
    stops = run(rule, lockstep({1: [0.8] * 6, 2: [0.1] * 6}))
    assert stops[2][0] == 3
    rule = BanditRule(
        make_spec(policy="bandit", slack_factor=0.2, evaluation_interval=3, delay_evaluation=4)
    )
    stops = run(rule, lockstep({1: [0.8] * 7, 2: [0.1] * 7}))
    assert stops[2][0] == 6


def test_bandit_compares_best_so_far_not_the_last_report() -> None:
    rule = BanditRule(make_spec(policy="bandit", slack_factor=0.2))
    # Trial 2's report at 2 (0.6) is below 0.667 but its best up to 2 (0.7) is not.
    assert run(rule, lockstep({1: [0.8, 0.8], 2: [0.7, 0.6]})) == {}


def test_bandit_best_is_taken_among_trials_at_the_same_interval() -> None:
    rule = BanditRule(make_spec(policy="bandit", slack_factor=0.2))
    # Trial 1 reaches 0.95 at interval 3, after trial 2's interval 2 (0.7) was judged
    # against trial 1's best up to 2 (0.8): 0.7 >= 0.667, although 0.7 < 0.95/1.2.
    steps = [[(1, 0.8)], [(1, 0.8)], [(1, 0.95)], [(2, 0.7)], [(2, 0.7)]]
    assert run(rule, steps) == {}
    # At interval 3 the best is 0.95: 0.7 < 0.792 stops.
    stops = run(rule, [*steps, [(2, 0.7)]])
    assert stops == {2: (3, "bandit: 0.700 < 0.792 = 0.950/(1+0.2) at interval 3")}


def test_bandit_leader_never_stops_with_negative_metric() -> None:
    rule = BanditRule(make_spec(policy="bandit", slack_factor=0.2))
    stops = run(rule, lockstep({1: [-0.5], 2: [-0.55], 3: [-0.65]}))
    assert stops == {3: (1, "bandit: -0.650 < -0.600 = -0.500*(1+0.2) at interval 1")}
    rule = BanditRule(make_spec("minimize", policy="bandit", slack_factor=0.2))
    stops = run(rule, lockstep({1: [-0.6], 2: [-0.55], 3: [-0.45]}))
    assert stops == {3: (1, "bandit: -0.450 > -0.500 = -0.600/(1+0.2) at interval 1")}


def test_bandit_ignores_non_finite_and_replayed_reports() -> None:
    rule = BanditRule(make_spec(policy="bandit", slack_factor=0.2))
    rule.report(1, 1, 0.8)
    rule.report(2, 1, float("nan"))
    assert not rule.decide(2, 1).stop  # nothing recorded for trial 2
    rule.report(2, 1, 0.5)
    rule.report(2, 1, 0.9)  # a replay of interval 1 is ignored
    assert rule.decide(2, 1).reason == "bandit: 0.500 < 0.667 = 0.800/(1+0.2) at interval 1"


# -- median ---------------------------------------------------------------------------

MEDIAN_CURVES = {
    1: [0.7, 0.7, 0.75, 0.8, 0.8],  # running average at 5: 0.75
    2: [0.5, 0.6, 0.7, 0.7, 0.75],  # 0.65, best 0.75
    3: [0.7, 0.75, 0.8, 0.8, 0.8],  # 0.77
    4: [0.4, 0.5, 0.55, 0.6, 0.61],  # 0.532, best 0.61
}


def test_median_hand_computed_maximize() -> None:
    # Averages at 5: 0.532 0.65 0.75 0.77 -> median (0.65 + 0.75) / 2 = 0.70.
    rule = MedianRule(make_spec(policy="median", evaluation_interval=1, delay_evaluation=5))
    stops = run(rule, lockstep(MEDIAN_CURVES))
    assert stops == {
        4: (5, "median: best 0.610 < median 0.700 of running averages of 4 trials at interval 5")
    }


def test_median_hand_computed_minimize() -> None:
    # Losses 1 - v: averages 0.25 0.35 0.23 0.468 -> median 0.30; trial 4's best loss 0.39.
    rule = MedianRule(
        make_spec("minimize", policy="median", evaluation_interval=1, delay_evaluation=5)
    )
    stops = run(rule, lockstep(MEDIAN_CURVES, mirror=True))
    assert stops == {
        4: (5, "median: best 0.390 > median 0.300 of running averages of 4 trials at interval 5")
    }


def test_median_gating() -> None:
    # Without a delay: at interval 1 the median of 0.7 0.5 0.7 0.4 is 0.6, so 2 and 4 stop;
    # at 2 only trials 1 and 3 reached it: averages 0.7, 0.725, median 0.7125 (0.712) > 0.7.
    rule = MedianRule(make_spec(policy="median"))
    stops = run(rule, lockstep(MEDIAN_CURVES))
    assert {t: k for t, (k, _) in stops.items()} == {1: 2, 2: 1, 4: 1}
    assert stops[1][1] == (
        "median: best 0.700 < median 0.712 of running averages of 2 trials at interval 2"
    )
    # Every second interval from 1 on: first judged at 2, where the averages are
    # 0.7 0.55 0.725 0.45 (median 0.625): bests 0.6 (trial 2) and 0.5 (trial 4) stop.
    rule = MedianRule(make_spec(policy="median", evaluation_interval=2, delay_evaluation=1))
    stops = run(rule, lockstep(MEDIAN_CURVES))
    assert stops == {
        2: (2, "median: best 0.600 < median 0.625 of running averages of 4 trials at interval 2"),
        4: (2, "median: best 0.500 < median 0.625 of running averages of 4 trials at interval 2"),
    }


def test_median_includes_the_trial_itself() -> None:
    # At 2: averages 0.9, 0.5 and trial 3's own 0.4 -> median 0.5 <= its best 0.6.
    # (Without itself the median would be 0.7 and trial 3 would stop.)
    rule = MedianRule(make_spec(policy="median", delay_evaluation=2))
    assert run(rule, lockstep({1: [0.9, 0.9], 2: [0.5, 0.5], 3: [0.2, 0.6]})) == {}
    # A lone trial never stops: its best is never worse than its own average.
    assert run(MedianRule(make_spec(policy="median")), lockstep({1: [0.9, 0.1, 0.1]})) == {}


def test_auto_is_median_with_interval_1_and_delay_5() -> None:
    spec = make_spec(policy="auto")
    rule = registry().require("stopping_rules", "auto").create(spec)
    assert isinstance(rule, MedianRule)
    assert (rule.settings.evaluation_interval, rule.settings.delay_evaluation) == (1, 5)
    assert isinstance(auto_rule(spec), MedianRule)
    # The hand-computed curves: nothing at 1..4 (trial 4 would stop at 1 without the delay).
    stops = run(rule, lockstep(MEDIAN_CURVES))
    assert stops == {
        4: (5, "median: best 0.610 < median 0.700 of running averages of 4 trials at interval 5")
    }


# -- truncation -----------------------------------------------------------------------

FIVE = {1: [0.9, 0.9], 2: [0.8, 0.8], 3: [0.7, 0.7], 4: [0.6, 0.6], 5: [0.5, 0.5]}


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_truncation_20_percent_of_5_stops_the_lowest_one(goal: str) -> None:
    rule = TruncationRule(
        make_spec(goal, policy="truncation", truncation_percentage=20, evaluation_interval=2)
    )
    stops = run(rule, lockstep(FIVE, mirror=goal == "minimize"))
    # Mirrored, trial 5's loss is 1 - 0.5 = 0.5 as well, the highest.
    assert stops == {
        5: (
            2,
            "truncation: best 0.500 is in the lowest 20% at interval 2:"
            " 0 of 5 trials below it, the lowest 1 stop",
        )
    }


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_truncation_40_percent_of_5_stops_two(goal: str) -> None:
    rule = TruncationRule(make_spec(goal, policy="truncation", truncation_percentage=40))
    curves = {1: [0.9], 2: [0.8], 3: [0.7], 4: [0.4], 5: [0.6]}
    stops = run(rule, lockstep(curves, mirror=goal == "minimize"))
    assert sorted(stops) == [4, 5]
    worst = "0.400" if goal == "maximize" else "0.600"
    assert stops[4][1] == (
        f"truncation: best {worst} is in the lowest 40% at interval 1:"
        " 0 of 5 trials below it, the lowest 2 stop"
    )


def test_truncation_rounds_down() -> None:
    # 20% of 4 trials is 0.8 -> floor 0: no trial stops; 30% of 7 is 2.1 -> 2.
    rule = TruncationRule(make_spec(policy="truncation", truncation_percentage=20))
    assert run(rule, lockstep({1: [0.9], 2: [0.8], 3: [0.7], 4: [0.1]})) == {}
    rule = TruncationRule(make_spec(policy="truncation", truncation_percentage=30))
    curves = {t: [v] for t, v in enumerate([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3], start=1)}
    assert sorted(run(rule, lockstep(curves))) == [6, 7]


def test_truncation_ties_at_the_cut_continue() -> None:
    # 40% of 5 is 2: 0.5 stops; 0.6 and 0.6 share the better rank and both continue.
    rule = TruncationRule(make_spec(policy="truncation", truncation_percentage=40))
    curves = {1: [0.9], 2: [0.8], 3: [0.6], 4: [0.6], 5: [0.5]}
    assert sorted(run(rule, lockstep(curves))) == [5]


def test_truncation_ranks_by_best_so_far_and_honours_gating() -> None:
    rule = TruncationRule(
        make_spec(
            policy="truncation", truncation_percentage=20, evaluation_interval=2,
            delay_evaluation=3,
        )
    )
    # Judged at 4 only (k >= 3, k even). Trial 5 is last at every interval but its best
    # up to 4 (0.95) is the highest; trial 4 (best 0.6) is the lowest.
    curves = {1: [0.8] * 4, 2: [0.7] * 4, 3: [0.65] * 4, 4: [0.6] * 4, 5: [0.1, 0.95, 0.1, 0.1]}
    stops = run(rule, lockstep(curves))
    assert stops == {
        4: (4, "truncation: best 0.600 is in the lowest 20% at interval 4:"
               " 0 of 5 trials below it, the lowest 1 stop")
    }


@pytest.mark.parametrize("exclude", [False, True])
def test_truncation_exclude_finished(exclude: bool) -> None:
    rule = TruncationRule(
        make_spec(policy="truncation", truncation_percentage=40, exclude_finished=exclude)
    )
    # Trials 1 and 2 (the best) ran and finished first; 3, 4, 5 then run together.
    steps = [*sequential({1: [0.9, 0.9], 2: [0.8, 0.8]}),
             *lockstep({3: [0.7, 0.7], 4: [0.6, 0.6], 5: [0.5, 0.5]})]
    stops = run(rule, steps)
    if exclude:  # only 3 running trials are ranked: 40% of 3 -> 1
        assert stops == {
            5: (1, "truncation: best 0.500 is in the lowest 40% at interval 1:"
                   " 0 of 3 trials below it, the lowest 1 stop")
        }
    else:
        # Interval 1, five trials: 40% -> 2 stop. Interval 2: trials 1, 2, 3 reached it,
        # 40% of 3 -> 1: trial 3 (0.7) is the lowest.
        assert {t: k for t, (k, _) in stops.items()} == {3: 2, 4: 1, 5: 1}
        assert stops[4] == (1, "truncation: best 0.600 is in the lowest 40% at interval 1:"
                               " 1 of 5 trials below it, the lowest 2 stop")


def test_registry_builds_every_interval_rule() -> None:
    cases = {
        "bandit": ({"slack_factor": 0.2}, BanditRule),
        "median": ({}, MedianRule),
        "truncation": ({"truncation_percentage": 10}, TruncationRule),
    }
    for policy, (options, cls) in cases.items():
        rule = registry().require("stopping_rules", policy).create(
            make_spec(policy=policy, **options)
        )
        assert type(rule) is cls
