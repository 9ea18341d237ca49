"""Pareto dominance for multi-objective studies (Vega's definition, SEEDS.md 001).

A dominates B when A is at least as good as B in every objective and strictly
better in at least one; the Pareto front is the set of points no other point
dominates. `goals` names each objective's direction ("maximize" or
"minimize"); points are sequences of numbers in the same order. The best of
a multi-objective study is its Pareto front.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

GOALS = ("maximize", "minimize")


def _signs(goals: Sequence[str]) -> np.ndarray:
    for goal in goals:
        if goal not in GOALS:
            raise ValueError(f"goal must be maximize or minimize, not {goal!r}")
    # Everything is compared as "smaller is better".
    return np.array([-1.0 if goal == "maximize" else 1.0 for goal in goals])


def dominates(a: Sequence[float], b: Sequence[float], goals: Sequence[str]) -> bool:
    """True when `a` is at least as good as `b` in every objective and better in one."""
    if not len(a) == len(b) == len(goals):
        raise ValueError(f"{len(a)} and {len(b)} values for {len(goals)} goals")
    signs = _signs(goals)
    x, y = np.asarray(a, dtype=float) * signs, np.asarray(b, dtype=float) * signs
    return bool(np.all(x <= y) and np.any(x < y))


def pareto_front(points: Sequence[Sequence[float]], goals: Sequence[str]) -> list[int]:
    """Indices (ascending) of the points no other point dominates.

    Points with a missing or non-finite value are left out: they neither
    belong to the front nor dominate anything. Equal points do not dominate
    each other, so duplicates on the front are all kept.
    """
    signs = _signs(goals)
    valid = [
        i
        for i, p in enumerate(points)
        if p is not None
        and len(p) == len(goals)
        and all(v is not None and np.isfinite(v) for v in p)
    ]
    if not valid:
        return []
    m = np.asarray([points[i] for i in valid], dtype=float) * signs
    # In lexicographic order every dominator of a point comes before it (its first
    # differing value is smaller), so each point is checked against the front so far.
    order = np.lexsort(m.T[::-1])
    front: list[int] = []
    for k in order:
        row = m[k]
        if front:
            kept = m[front]
            if np.any(np.all(kept <= row, axis=1) & np.any(kept < row, axis=1)):
                continue
        front.append(int(k))
    return sorted(valid[k] for k in front)
