"""Population-based training's decisions, pinned on hand-built populations: who copies whom
(exploit), the perturbed values for a seed (explore), and the searcher that runs a
population in segments (asynchronous, synchronous, failures, resume)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_bridge.core.pbt import PBTSettings, Ranked, explore, quantiles
from hpo_bridge.core.pbt.exploit import donor, quantile_size
from hpo_bridge.core.searchers.pbt import PBTSearcher
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.spec import validate_spec

SPACE = {
    "lr": {"type": "float", "low": 1e-4, "high": 0.1, "scale": "log"},
    "layers": {"type": "int", "low": 1, "high": 6},
    "batch": {"type": "discrete", "values": [16, 32, 64, 128]},
    "opt": {"type": "categorical", "values": ["sgd", "adam"]},
    "momentum": {"type": "float", "low": 0.5, "high": 0.99,
                 "condition": {"parent": "opt", "values": ["sgd"]}},
}
PARAMS = {"lr": 0.01, "layers": 2, "batch": 32, "opt": "sgd", "momentum": 0.9}


def pbt_spec(space: dict[str, Any] | None = None, goal: str = "maximize",
             **strategy: Any) -> Any:
    return validate_spec({
        "name": "pbt",
        "objective": {"metric": "acc", "goal": goal},
        "search_space": space or SPACE,
        "strategy": {"algorithm": "pbt", "seed": 7, **strategy},
        "limits": {"max_parallel": 4},
        "trial": {"resource": {"name": "epochs", "min": 2, "max": 6}},
    })


# -- exploit: truncation selection ------------------------------------------------------
def ranked(scores: dict[int, float]) -> list[Ranked]:
    return [Ranked(member, score) for member, score in scores.items()]


def test_quantiles_of_a_population_of_eight():
    scores = {0: 0.5, 1: 0.9, 2: 0.1, 3: 0.7, 4: 0.3, 5: 0.8, 6: 0.2, 7: 0.6}
    # ceil(8 * 0.25) = 2 each side, worst first.
    assert quantiles(ranked(scores), 0.25) == ([2, 6], [5, 1])
    # ceil(8 * 0.4) = 4: not above 8 / 2, so the two halves.
    assert quantiles(ranked(scores), 0.4) == ([2, 6, 4, 0], [7, 3, 5, 1])


@pytest.mark.parametrize(("n", "fraction", "size"), [
    (1, 0.25, 0), (2, 0.25, 1), (3, 0.25, 1), (3, 0.5, 1), (5, 0.5, 2), (4, 0.0, 0),
    (10, 0.25, 3), (10, 0.5, 5),
])
def test_quantile_size_never_overlaps(n: int, fraction: float, size: int):
    assert quantile_size(n, fraction) == size


def test_ties_rank_the_lower_member_lower():
    assert quantiles(ranked({3: 0.5, 1: 0.5, 2: 0.5, 0: 0.9}), 0.25) == ([1], [0])


def test_the_donor_is_drawn_uniformly_from_the_top_for_a_seed():
    rng = np.random.default_rng([7, 1, 0])
    assert [donor([5, 1, 9], rng) for _ in range(6)] == [9, 9, 9, 5, 5, 5]
    counts = np.bincount([donor([0, 1, 2], rng) for _ in range(3000)])
    assert all(900 < c < 1100 for c in counts)


# -- explore -------------------------------------------------------------------------------
def test_explore_pins_the_perturbed_values_for_a_seed():
    spec = pbt_spec()
    settings = PBTSettings.from_spec(spec)
    outcomes = []
    for k in range(4):
        new, changes = explore(PARAMS, spec.search_space, settings,
                               np.random.default_rng([7, 1, k]))
        outcomes.append((new, [c.text() for c in changes]))
    assert outcomes == [
        ({"lr": 0.012, "layers": 1, "batch": 64, "opt": "sgd", "momentum": 0.72},
         ["lr 0.01 -> 0.012 (x1.2)", "layers 2 -> 1 (resampled)",
          "batch 32 -> 64 (next value)", "momentum 0.9 -> 0.72 (x0.8)"]),
        # opt resampled to adam: momentum's condition no longer holds.
        ({"lr": 0.008, "layers": 5, "batch": 64, "opt": "adam"},
         ["lr 0.01 -> 0.008 (x0.8)", "layers 2 -> 5 (resampled)",
          "batch 32 -> 64 (next value)", "opt 'sgd' -> 'adam' (resampled)",
          "momentum dropped (inactive)"]),
        # layers 2 x 1.2 = 2.4 rounds back to 2: it moves one step up instead; momentum
        # 0.9 x 1.2 is clipped to the domain's high, 0.99.
        ({"lr": 0.012, "layers": 3, "batch": 16, "opt": "sgd", "momentum": 0.99},
         ["lr 0.01 -> 0.012 (x1.2)", "layers 2 -> 3 (x1.2)",
          "batch 32 -> 16 (previous value)", "momentum 0.9 -> 0.99 (x1.2)"]),
        ({"lr": 0.008, "layers": 3, "batch": 64, "opt": "sgd",
          "momentum": 0.6265270316470436},
         ["lr 0.01 -> 0.008 (x0.8)", "layers 2 -> 3 (resampled)",
          "batch 32 -> 64 (next value)", "momentum 0.9 -> 0.626527 (resampled)"]),
    ]


def test_without_resampling_numbers_move_by_a_factor_and_categories_stay():
    spec = pbt_spec(resample_probability=0.0)
    settings = PBTSettings.from_spec(spec)
    for k in range(50):
        new, _ = explore(PARAMS, spec.search_space, settings, np.random.default_rng([1, k]))
        assert new["lr"] in (0.008, 0.012)
        assert new["layers"] in (1, 3)
        assert new["batch"] in (16, 64)
        assert new["opt"] == "sgd"
        assert new["momentum"] in (0.72, 0.99)


def test_custom_mutations_change_only_the_named_parameters_their_way():
    spec = pbt_spec(resample_probability=0.0, mutations={
        "lr": {"factors": [0.5, 2.0]},
        "opt": {"values": ["adam", "sgd"], "resample_probability": 1.0}})
    settings = PBTSettings.from_spec(spec)
    seen = set()
    for k in range(30):
        new, _ = explore(PARAMS, spec.search_space, settings, np.random.default_rng([2, k]))
        assert new["lr"] in (0.005, 0.02)
        assert (new["layers"], new["batch"]) == (2, 32)  # not listed: copied as they are
        if new["opt"] == "sgd":
            assert new["momentum"] == 0.9
        else:
            assert "momentum" not in new
        seen.add(new["opt"])
    assert seen == {"sgd", "adam"}


def test_a_parameter_that_becomes_active_is_drawn():
    spec = pbt_spec(mutations={"opt": {"values": ["sgd", "adam"], "resample_probability": 0}})
    settings = PBTSettings.from_spec(spec)
    start = {"lr": 0.01, "layers": 2, "batch": 32, "opt": "adam"}
    new, changes = explore(start, spec.search_space, settings, np.random.default_rng([3, 0]))
    assert new["opt"] == "sgd" and 0.5 <= new["momentum"] <= 0.99
    assert [c.how for c in changes] == ["previous value", "drawn"]


# -- the searcher: a hand-built population ----------------------------------------------
def report_and_tell(searcher: PBTSearcher, results: dict[int, float],
                    status: TrialStatus = TrialStatus.COMPLETED) -> None:
    for trial_id, value in results.items():
        searcher.report(trial_id, 1, value - 0.05)
        searcher.report(trial_id, 2, value)
        searcher.tell(trial_id, status, value)


def asked(searcher: PBTSearcher, ids: range) -> dict[int, tuple[Any, ...]]:
    out = {}
    for trial_id in ids:
        s = searcher.ask(trial_id)
        assert s is not None
        out[trial_id] = (s.params, s.resource, s.restore_from, s.start, s.origin)
    return out


SMALL = {"lr": SPACE["lr"], "batch": SPACE["batch"]}
FIRST = {  # the population's random configurations for seed 7
    1: {"lr": 0.007503888976201422, "batch": 128},
    2: {"lr": 0.03158817134658053, "batch": 32},
    3: {"lr": 0.00012310813020499148, "batch": 16},
    4: {"lr": 0.021366507079313448, "batch": 128},
}


def test_a_bottom_member_copies_a_top_member_and_explores():
    searcher = PBTSearcher(pbt_spec(SMALL, population_size=4, perturbation_interval=2))
    first = asked(searcher, range(1, 5))
    assert {t: v[0] for t, v in first.items()} == FIRST
    assert {v[1:4] for v in first.values()} == {(2, None, 0)}  # epochs 0 -> 2, from scratch
    assert searcher.waiting()  # the whole population trains
    report_and_tell(searcher, {1: 0.5, 2: 0.9, 3: 0.1, 4: 0.7})
    assert not searcher.waiting()
    # Ranked worst first: member 2 (0.1), 0 (0.5), 3 (0.7), 1 (0.9); ceil(4 x 0.25) = 1
    # each side: member 2 copies member 1's trial 2; the others continue their own.
    assert asked(searcher, range(5, 9)) == {
        5: (FIRST[1], 4, 1, 2, "member 0 continues trial 1 (0.5 at epoch 2, rank 3 of 4)"),
        6: (FIRST[2], 4, 2, 2, "member 1 continues trial 2 (0.9 at epoch 2, rank 1 of 4)"),
        7: ({"lr": 0.0379058056159, "batch": 16}, 4, 2, 2,
            "member 2: trial 3 (0.1 at epoch 2, rank 4 of 4) is in the bottom 25%; copies"
            " trial 2 (0.9 at epoch 2, rank 1 of 4, top 25%); explore: lr 0.0315882 ->"
            " 0.0379058 (x1.2); batch 32 -> 16 (resampled)"),
        8: (FIRST[4], 4, 4, 2, "member 3 continues trial 4 (0.7 at epoch 2, rank 2 of 4)"),
    }


def test_minimising_ranks_the_lowest_value_best():
    searcher = PBTSearcher(pbt_spec(SMALL, goal="minimize", population_size=4,
                                    perturbation_interval=2))
    asked(searcher, range(1, 5))
    report_and_tell(searcher, {1: 0.5, 2: 0.9, 3: 0.1, 4: 0.7})
    plans = asked(searcher, range(5, 9))
    assert {t: p[2] for t, p in plans.items()} == {5: 1, 6: 3, 7: 3, 8: 4}  # 2 copies 3


def test_asynchronous_members_are_judged_when_their_segment_ends():
    searcher = PBTSearcher(pbt_spec(SMALL, population_size=4, perturbation_interval=2))
    asked(searcher, range(1, 5))
    report_and_tell(searcher, {3: 0.1, 1: 0.5})  # two members are done with epoch 2
    assert not searcher.waiting()
    plans = asked(searcher, range(5, 7))  # judged in the order told, against those two
    assert [(p[2], p[3]) for p in plans.values()] == [(1, 2), (1, 2)]  # 3 copies 1
    assert plans[5][4].startswith("member 2: trial 3 (0.1 at epoch 2, rank 2 of 2)")
    assert searcher.waiting()


def test_synchronous_rounds_wait_for_the_whole_population():
    searcher = PBTSearcher(pbt_spec(SMALL, population_size=4, perturbation_interval=2,
                                    synch=True))
    asked(searcher, range(1, 5))
    report_and_tell(searcher, {3: 0.1, 1: 0.5, 4: 0.7})
    assert searcher.waiting()  # member 1 still trains: the round goes on
    report_and_tell(searcher, {2: 0.9})
    plans = asked(searcher, range(5, 9))
    assert [(p[2], p[3]) for p in plans.values()] == [(1, 2), (2, 2), (2, 2), (4, 2)]


def test_a_failed_member_is_replaced_by_a_copy_of_a_top_member():
    searcher = PBTSearcher(pbt_spec(SMALL, population_size=4, perturbation_interval=2))
    asked(searcher, range(1, 5))
    report_and_tell(searcher, {1: 0.5, 2: 0.9, 4: 0.7})
    searcher.tell(3, TrialStatus.FAILED, None)
    plans = asked(searcher, range(5, 9))
    # Three ranked members: one each side (member 0 bottom, member 1 top). Member 0 and
    # the failed member 2 (told last, so planned last) copy member 1.
    assert {t: (p[2], p[3]) for t, p in plans.items()} == {
        5: (2, 2), 6: (2, 2), 7: (4, 2), 8: (2, 2)}
    assert plans[8][4].startswith("member 2: trial 3 failed; copies trial 2")


def test_a_failed_first_member_with_nothing_to_copy_draws_a_new_configuration():
    searcher = PBTSearcher(pbt_spec(SMALL, population_size=2, perturbation_interval=2))
    asked(searcher, range(1, 3))
    searcher.tell(1, TrialStatus.FAILED, None)
    (plan,) = asked(searcher, range(3, 4)).values()
    assert plan[1:4] == (2, None, 0)
    assert plan[4] == "member 0: trial 1 failed; a new random configuration"


def test_members_stop_at_the_resource_max_and_then_the_searcher_is_exhausted():
    searcher = PBTSearcher(pbt_spec(SMALL, population_size=2, perturbation_interval=4))
    asked(searcher, range(1, 3))
    report_and_tell(searcher, {1: 0.5, 2: 0.9})
    plans = asked(searcher, range(3, 5))
    assert [p[1] for p in plans.values()] == [6, 6]  # 4 -> 6: the last segment is shorter
    report_and_tell(searcher, {3: 0.6, 4: 0.95})
    assert not searcher.waiting()
    assert searcher.ask(5) is None


def test_state_round_trip_decides_exactly_as_the_uninterrupted_searcher():
    spec = pbt_spec(SMALL, population_size=4, perturbation_interval=2)
    straight, resumed = PBTSearcher(spec), PBTSearcher(spec)
    asked(straight, range(1, 5))
    report_and_tell(straight, {1: 0.5, 2: 0.9})
    resumed.load_state_dict(straight.state_dict())
    for searcher in (straight, resumed):
        report_and_tell(searcher, {3: 0.1, 4: 0.7})
    assert asked(straight, range(5, 9)) == asked(resumed, range(5, 9))
    assert straight.state_dict() == resumed.state_dict()


# -- property: explore never leaves the search space ----------------------------------------
WIDE = {
    **SPACE,
    "q": {"type": "float", "low": 0.1, "high": 2.0, "q": 0.1},
    "neg": {"type": "float", "low": -5.0, "high": 10.0},
    "rev": {"type": "float", "low": 0.0, "high": 1.0, "scale": "reverse_log"},
    "flag": {"type": "bool"},
    "units": {"type": "int", "low": 8, "high": 512, "scale": "log"},
    "noise": {"distribution": "qnormal", "mu": 0.0, "sigma": 2.0, "q": 0.5},
    "steps": {"distribution": "quniform", "low": 1, "high": 9, "q": 2, "type": "int"},
    "pick": {"distribution": "randint", "upper": 5},
}


@given(start=st.integers(0, 2**32 - 1), seed=st.integers(0, 2**32 - 1),
       resample=st.floats(0.0, 1.0),
       factors=st.lists(st.floats(0.05, 20.0), min_size=1, max_size=3))
@settings(max_examples=200, deadline=None)
def test_explore_always_gives_a_configuration_of_the_space(start, seed, resample, factors):
    from hpo_bridge.core import space

    spec = pbt_spec(WIDE, resample_probability=resample, perturbation_factors=factors)
    params = space.sample(spec, np.random.default_rng(start))
    new, changes = explore(params, spec.search_space, PBTSettings.from_spec(spec),
                           np.random.default_rng(seed))
    assert space.in_space(spec, new), (params, new)
    assert {c.name for c in changes} <= set(WIDE)
