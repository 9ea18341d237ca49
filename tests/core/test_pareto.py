"""Pareto dominance and fronts (A dominates B: at least as good everywhere, better once)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_bridge.core.pareto import dominates, pareto_front

ACC_LAT = ["maximize", "minimize"]  # Vega's example: accuracy MAX, latency MIN


def test_dominates_accuracy_max_latency_min():
    assert dominates([0.9, 10], [0.8, 12], ACC_LAT)  # better in both
    assert dominates([0.9, 10], [0.9, 12], ACC_LAT)  # equal accuracy, faster
    assert dominates([0.9, 10], [0.8, 10], ACC_LAT)  # more accurate, equal latency
    assert not dominates([0.9, 10], [0.9, 10], ACC_LAT)  # equal: not strictly better
    assert not dominates([0.9, 12], [0.8, 10], ACC_LAT)  # a trade-off
    assert not dominates([0.8, 12], [0.9, 10], ACC_LAT)


def test_dominates_flips_with_the_goals():
    assert dominates([0.8, 12], [0.9, 10], ["minimize", "maximize"])
    assert dominates([1, 1], [2, 2], ["minimize", "minimize"])
    assert dominates([2, 2], [1, 1], ["maximize", "maximize"])
    assert not dominates([2, 2], [1, 1], ["minimize", "minimize"])


def test_dominates_rejects_bad_input():
    with pytest.raises(ValueError, match="goal must be maximize or minimize"):
        dominates([1], [2], ["max"])
    with pytest.raises(ValueError, match="2 and 1 values for 2 goals"):
        dominates([1, 2], [1], ACC_LAT)


def test_front_accuracy_max_latency_min():
    points = [
        [0.83, 12.0],  # 0: front (a trade-off against 1 and 2)
        [0.80, 9.0],   # 1: front
        [0.90, 20.0],  # 2: front (most accurate)
        [0.80, 12.0],  # 3: dominated by 0 (same latency, less accurate) and by 1
        [0.70, 9.0],   # 4: dominated by 1
        [0.90, 25.0],  # 5: dominated by 2
        [0.60, 5.0],   # 6: front (fastest)
    ]
    assert pareto_front(points, ACC_LAT) == [0, 1, 2, 6]


def test_front_both_minimize_and_both_maximize():
    points = [[1, 5], [2, 3], [3, 4], [4, 1], [5, 5]]
    assert pareto_front(points, ["minimize", "minimize"]) == [0, 1, 3]
    assert pareto_front(points, ["maximize", "maximize"]) == [4]
    assert pareto_front(points, ["maximize", "minimize"]) == [3, 4]


def test_duplicates_stay_and_invalid_points_are_left_out():
    points = [[0.9, 10], [0.9, 10], [0.5, float("nan")], None, [0.1, None], [0.95, 1]]
    assert pareto_front(points, ACC_LAT) == [5]
    assert pareto_front([[0.9, 10], [0.9, 10]], ACC_LAT) == [0, 1]
    assert pareto_front([], ACC_LAT) == []


def test_huge_values_do_not_fool_the_order():
    # sums would tie in floating point (1e20 + 1 == 1e20); the front must not
    assert pareto_front([[1e20, 1.0], [1e20, 0.0]], ["minimize", "minimize"]) == [1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.integers(0, 4), min_size=3, max_size=3), max_size=25),
    st.lists(st.sampled_from(["maximize", "minimize"]), min_size=3, max_size=3),
)
def test_front_is_exactly_the_undominated_points(points, goals):
    expected = [
        i for i, p in enumerate(points) if not any(dominates(q, p, goals) for q in points)
    ]
    front = pareto_front(points, goals)
    assert front == expected
    for i, j in itertools.combinations(front, 2):
        assert not dominates(points[i], points[j], goals)
