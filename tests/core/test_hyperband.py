"""ASHA rungs (searcher and rule), brackets, BOHB proposals, determinism and resume."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from hpo_bridge.core import space
from hpo_bridge.core.searchers.bohb import BOHBSearcher
from hpo_bridge.core.searchers.hyperband import HyperbandSearcher
from hpo_bridge.core.stopping.base import StoppingRule
from hpo_bridge.core.stopping.hyperband import HyperbandRule, Rungs, ordinal, rung_levels
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.plugins import registry
from hpo_bridge.spec import TuningSpec

SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "scale": "log"},
    "layers": {"type": "int", "low": 1, "high": 6},
    "act": {"type": "categorical", "values": ["relu", "tanh"]},
}


def make_spec(algorithm: str = "hyperband", goal: str = "maximize", **strategy: Any) -> TuningSpec:
    data: dict[str, Any] = {
        "name": "t",
        "objective": {"metric": "m", "goal": goal},
        "search_space": SPACE,
        "strategy": {"algorithm": algorithm, **strategy},
    }
    if algorithm in ("hyperband", "bohb"):
        data["strategy"] = {"min_resource": 1, "max_resource": 9, **data["strategy"]}
    else:
        data["trial"] = {"resource": {"name": "epochs", "min": 1, "max": 9}}
        data["early_stopping"] = {"policy": "hyperband"}
    return TuningSpec.model_validate(data)


def curve(at1: float, at3: float, n: int = 9) -> list[float]:
    """A learning curve whose rung values (epochs 1 and 3) are at1 and at3."""
    return [at1, (at1 + at3) / 2, at3] + [at3 + 0.01 * k for k in range(1, n - 2)]


def run(rule: StoppingRule, steps: list[list[tuple[int, float]]]) -> dict[int, tuple[int, str]]:
    """Record each step's reports, then decide in trial-id order; stopped trials go quiet."""
    counts: dict[int, int] = {}
    stops: dict[int, tuple[int, str]] = {}
    for step in steps:
        live = [(t, v) for t, v in step if t not in stops]
        for t, v in live:
            counts[t] = counts.get(t, 0) + 1
            rule.report(t, counts[t], v)
        for t, _ in sorted(live):
            decision = rule.decide(t, counts[t])
            if decision.stop:
                stops[t] = (counts[t], decision.reason)
                rule.finished(t)
    return stops


def sequential(curves: dict[int, list[float]]) -> list[list[tuple[int, float]]]:
    return [[(t, v)] for t, c in curves.items() for v in c]


def lockstep(curves: dict[int, list[float]]) -> list[list[tuple[int, float]]]:
    n = max(len(c) for c in curves.values())
    return [[(t, c[k]) for t, c in curves.items() if len(c) > k] for k in range(n)]


def mirrored(curves: dict[int, list[float]], goal: str) -> dict[int, list[float]]:
    return curves if goal == "maximize" else {t: [1 - v for v in c] for t, c in curves.items()}


# Nine trials; (value at epoch 1, value at epoch 3), maximising.
NINE = {
    1: curve(0.50, 0.62),
    2: curve(0.40, 0.90),
    3: curve(0.60, 0.66),
    4: curve(0.55, 0.90),
    5: curve(0.30, 0.90),
    6: curve(0.70, 0.64),
    7: curve(0.45, 0.90),
    8: curve(0.65, 0.75),
    9: curve(0.52, 0.90),
}


def test_rung_levels() -> None:
    assert rung_levels(1, 9, 3) == [1, 3, 9]
    assert rung_levels(1, 27, 3) == [1, 3, 9, 27]
    assert rung_levels(2, 20, 2) == [2, 4, 8, 16]
    assert Rungs("maximize", 1, 9, 3).levels == [[1, 3]]  # 9 = r_max completes, no decision
    assert Rungs("maximize", 1, 10, 3, brackets=5).levels == [[1, 3, 9], [3, 9], [9]]
    assert Rungs("maximize", 1, 9, 3, brackets=3).levels == [[1, 3], [3], []]
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"
    ]


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_asha_sequential_promotions_eta_3(goal: str) -> None:
    """Trials one after another: each is ranked among those that reached the rung before it.

    Rung 1 (n, allowed = max(1, n // 3)): T1 first -> on; T2 0.40 2nd of 2 (1) stops;
    T3 0.60 1st of 3 -> on; T4 0.55 2nd of 4 (1) stops; T5 0.30 5th of 5 stops;
    T6 0.70 1st of 6 (2) -> on; T7 0.45 5th of 7 (2) stops; T8 0.65 2nd of 8 (2) -> on;
    T9 0.52 5th of 9 (3) stops. Rung 3 among T1 T3 T6 T8: T1 first -> on;
    T3 0.66 1st of 2 -> on; T6 0.64 2nd of 3 (1) stops; T8 0.75 1st of 4 (1) -> on.
    """
    searcher = HyperbandSearcher(make_spec(goal=goal))
    for t in NINE:
        assert searcher.ask(t).resource == 9
    stops = run(searcher.stopping_rule(), sequential(mirrored(NINE, goal)))
    assert {t: k for t, (k, _) in stops.items()} == {2: 1, 4: 1, 5: 1, 7: 1, 9: 1, 6: 3}
    v9, v6 = ("0.520", "0.640") if goal == "maximize" else ("0.480", "0.360")
    assert stops[9][1] == (
        f"hyperband: {v9} not in top 1/3 at rung 1 (epoch 1): 5th of 9, needs rank <= 3"
    )
    assert stops[6][1] == (
        f"hyperband: {v6} not in top 1/3 at rung 3 (epoch 3): 2nd of 3, needs rank <= 1"
    )


@pytest.mark.parametrize("goal", ["maximize", "minimize"])
def test_asha_lockstep_promotions_eta_3(goal: str) -> None:
    """All nine together: top 3 of 9 at rung 1 (T6 0.70, T8 0.65, T3 0.60), top 1 of 3 at rung 3."""
    rule = HyperbandSearcher(make_spec(goal=goal)).stopping_rule()
    stops = run(rule, lockstep(mirrored(NINE, goal)))
    survivors = set(NINE) - set(stops)
    assert survivors == {8}
    assert {t for t, (k, _) in stops.items() if k == 1} == {1, 2, 4, 5, 7, 9}
    assert {t for t, (k, _) in stops.items() if k == 3} == {3, 6}
    v3 = "0.660" if goal == "maximize" else "0.340"
    assert stops[3][1] == (
        f"hyperband: {v3} not in top 1/3 at rung 3 (epoch 3): 2nd of 3, needs rank <= 1"
    )


def test_ties_share_the_better_rank_and_the_first_trial_passes() -> None:
    rungs = Rungs("maximize", 1, 9, 3)
    rungs.record(1, 1, 0.5)
    assert rungs.decide(1, 1) == (True, 1, 1, 1)
    for t in (2, 3):
        rungs.record(t, 1, 0.5)
    assert [rungs.decide(t, 1) for t in (1, 2, 3)] == [(True, 1, 3, 1)] * 3
    rungs.record(4, 1, 0.4)
    assert rungs.decide(4, 1) == (False, 4, 4, 1)
    assert rungs.decide(4, 2) is None  # not a rung


def test_rule_alone_makes_the_searchers_decisions() -> None:
    spec = make_spec("random")
    rule = registry().require("stopping_rules", "hyperband").create(spec)
    assert isinstance(rule, HyperbandRule)
    alone = run(rule, sequential(NINE))
    shared = run(HyperbandSearcher(make_spec()).stopping_rule(), sequential(NINE))
    assert alone == shared
    assert alone[9][1].endswith("at rung 1 (epoch 1): 5th of 9, needs rank <= 3")


def test_recording_twice_counts_once() -> None:
    """The tuner reports to the searcher and to its rule: both feed the same rungs."""
    searcher = HyperbandSearcher(make_spec())
    rule = searcher.stopping_rule()
    for t, c in NINE.items():
        searcher.ask(t)
        searcher.report(t, 1, c[0])
        rule.report(t, 1, c[0])
    assert rule.rungs.decide(9, 1) == (False, 5, 9, 3)


def test_brackets_round_robin_and_later_first_rungs() -> None:
    searcher = HyperbandSearcher(make_spec(brackets=2))
    assert [searcher.ask(t).bracket for t in range(1, 7)] == [0, 1, 0, 1, 0, 1]
    # Bracket 0 (odd ids) judges at epochs 1 and 3; bracket 1 (even ids) only at 3, and
    # against bracket 1's values alone.
    curves = {
        1: curve(0.9, 0.9),  # b0: first at both rungs
        2: curve(0.1, 0.5),  # b1: not judged at 1 (bracket 0 would stop it); first at 3
        3: curve(0.5, 0.5),  # b0: 2nd of 2 at epoch 1 -> stops
        4: curve(0.9, 0.4),  # b1: 2nd of 2 at epoch 3 -> stops
        5: curve(0.95, 0.95),  # b0: best at both rungs
        6: curve(0.2, 0.6),  # b1: 1st of 3 at epoch 3 (with bracket 0's 0.9 it would be 2nd)
    }
    stops = run(searcher.stopping_rule(), sequential(curves))
    assert {t: k for t, (k, _) in stops.items()} == {3: 1, 4: 3}
    assert stops[4][1] == (
        "hyperband: 0.400 not in top 1/3 at rung 3 (epoch 3): 2nd of 2, needs rank <= 1"
    )


def test_bracket_count_is_capped_by_rung_levels() -> None:
    searcher = HyperbandSearcher(make_spec(brackets=4))
    assert searcher.rungs.n_brackets == 3
    assert [searcher.ask(t).bracket for t in range(6)] == [0, 1, 2, 0, 1, 2]
    # Bracket 2 starts at 9 = r_max: plain random search at full budget, never stopped.
    assert searcher.rungs.levels[2] == []


def _proposals(searcher: Any, n: int, start: int = 0) -> list[dict[str, Any]]:
    return [searcher.ask(t).params for t in range(start, start + n)]


def test_hyperband_proposals_are_random_from_the_space_and_seeded() -> None:
    a = _proposals(HyperbandSearcher(make_spec(seed=7)), 20)
    b = _proposals(HyperbandSearcher(make_spec(seed=7)), 20)
    c = _proposals(HyperbandSearcher(make_spec(seed=8)), 20)
    assert a == b
    assert a != c
    assert len({json.dumps(p, sort_keys=True) for p in a}) == 20
    for params in a:
        assert set(params) == set(SPACE)
        for name, value in params.items():
            assert space.contains(make_spec().search_space[name], value)


def _drive(searcher: Any, ids: range, score: Any) -> None:
    """Run trials sequentially through the searcher and its rule on a made-up objective."""
    rule = searcher.stopping_rule()
    for t in ids:
        params = searcher.ask(t).params
        for epoch in range(1, 10):
            value = score(params) * epoch / 9
            searcher.report(t, epoch, value)
            rule.report(t, epoch, value)
            if rule.decide(t, epoch).stop:
                rule.finished(t)
                searcher.tell(t, TrialStatus.STOPPED, value)
                break
        else:
            rule.finished(t)
            searcher.tell(t, TrialStatus.COMPLETED, value)


def _score(params: dict[str, Any]) -> float:
    return -abs(params["layers"] - 4) - abs(params["lr"] - 0.01) * 10


@pytest.mark.parametrize("cls", [HyperbandSearcher, BOHBSearcher])
def test_state_round_trip_resumes_exactly(cls: Any) -> None:
    algorithm = "hyperband" if cls is HyperbandSearcher else "bohb"
    spec = make_spec(algorithm, seed=3, brackets=2)
    whole = cls(spec)
    _drive(whole, range(40), _score)
    first = cls(spec)
    _drive(first, range(25), _score)
    state = json.loads(json.dumps(first.state_dict()))
    resumed = cls(spec)
    resumed.load_state_dict(state)
    _drive(resumed, range(25, 40), _score)
    assert resumed.state_dict() == whole.state_dict()


def test_bohb_random_until_enough_points_then_tpe() -> None:
    spec = make_spec("bohb", seed=1, n_startup_trials=6)
    bohb = BOHBSearcher(spec)

    def random_units(index: int) -> list[float]:  # the seeded random stream hyperband uses
        return bohb.rng(index).random(len(SPACE)).tolist()

    # Five trials ran: no level holds six values yet, so proposals are random.
    _drive(bohb, range(5), _score)
    assert bohb.model_level() is None
    assert bohb.ask(5).params == HyperbandSearcher(spec).propose(5, 5)
    assert [bohb.units[t] for t in range(6)] == [random_units(i) for i in range(6)]
    # Trial 6 runs while 5 is pending: the sixth value at epoch 1. TPE takes over, fit at
    # the largest level with six values.
    _drive(bohb, range(6, 7), _score)
    assert bohb._counts[1] == 6
    assert bohb.model_level() == max(r for r, n in bohb._counts.items() if n >= 6)
    bohb.ask(7)
    assert bohb.units[7] != random_units(7)


def test_bohb_learns_where_the_good_configurations_are() -> None:
    def score(params: dict[str, Any]) -> float:
        best_act = 0 if params["act"] == "tanh" else 2
        return -abs(params["layers"] - 5) - best_act - abs(math.log10(params["lr"]) + 2)

    def hits(searcher: Any, ids: range) -> int:
        ps = [searcher.ask(t).params for t in ids]
        return sum(p["layers"] == 5 and p["act"] == "tanh" for p in ps)

    bohb = BOHBSearcher(make_spec("bohb", seed=5))
    hb = HyperbandSearcher(make_spec("hyperband", seed=5))
    _drive(bohb, range(40), score)
    _drive(hb, range(40), score)
    # Random search hits layers 5 with tanh 1 time in 12 (1 of the next 40 here); TPE, fit
    # on the 40 trials' rung values, far more often.
    assert hits(hb, range(40, 80)) == 1
    assert hits(bohb, range(40, 80)) >= 8


def test_bohb_is_deterministic_per_seed() -> None:
    def proposals(seed: int) -> list[dict[str, Any]]:
        searcher = BOHBSearcher(make_spec("bohb", seed=seed))
        _drive(searcher, range(30), _score)
        return _proposals(searcher, 5, start=30)

    assert proposals(2) == proposals(2)
    assert proposals(2) != proposals(3)


def test_registry_builds_the_searchers() -> None:
    for name, cls in (("hyperband", HyperbandSearcher), ("bohb", BOHBSearcher)):
        searcher = registry().require("searchers", name).create(make_spec(name))
        assert type(searcher) is cls
        assert isinstance(searcher.stopping_rule(), HyperbandRule)
