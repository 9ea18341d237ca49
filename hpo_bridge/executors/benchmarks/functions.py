"""Test functions with known optima, and multi-fidelity variants.

The multi-fidelity variants follow the construction of Kandasamy et al. (2017,
"Multi-fidelity Bayesian optimisation with continuous approximations"): a
fidelity z in (0, 1] perturbs the function's constants by an amount that
vanishes at z = 1, so a trial's value at epoch e of E (z = e/E) approaches the
true function as it trains. At full fidelity both equal the classic functions.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Params = Mapping[str, float]


def branin(x1: float, x2: float, z: float = 1.0) -> float:
    """Branin on [-5, 10] x [0, 15]; minimum 0.397887 at (-pi, 12.275), (pi, 2.275),
    (9.42478, 2.475). z < 1 shifts b, c and t as in Kandasamy et al."""
    gap = 1.0 - z
    b = 5.1 / (4 * math.pi**2) - 0.01 * gap
    c = 5 / math.pi - 0.1 * gap
    t = 1 / (8 * math.pi) + 0.05 * gap
    return (x2 - b * x1**2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H6_ALPHA = (1.0, 1.2, 3.0, 3.2)
_H6_A = (
    (10, 3, 17, 3.5, 1.7, 8),
    (0.05, 10, 17, 0.1, 8, 14),
    (3, 3.5, 1.7, 10, 17, 8),
    (17, 8, 0.05, 10, 0.1, 14),
)
_H6_P = (
    (1312, 1696, 5569, 124, 8283, 5886),
    (2329, 4135, 8307, 3736, 1004, 9991),
    (2348, 1451, 3522, 2883, 3047, 6650),
    (4047, 8828, 8732, 5743, 1091, 381),
)


def hartmann6(x: tuple[float, ...], z: float = 1.0) -> float:
    """Hartmann 6-D on [0, 1]^6; minimum -3.32237 at
    (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573). z < 1 lowers alpha."""
    total = 0.0
    for alpha, a_row, p_row in zip(_H6_ALPHA, _H6_A, _H6_P, strict=True):
        inner = sum(a * (xj - p * 1e-4) ** 2 for a, xj, p in zip(a_row, x, p_row, strict=True))
        total += (alpha - 0.1 * (1.0 - z)) * math.exp(-inner)
    return -total


@dataclass(frozen=True)
class Benchmark:
    """A function of named parameters; multi-fidelity ones report once per epoch."""

    name: str
    bounds: dict[str, tuple[float, float]]
    optimum: float
    argmin: tuple[float, ...]
    fn: Callable[[Params, float], float]
    multi_fidelity: bool = False
    epochs: int = 1  # default full budget when neither the trial nor the spec sets one
    goal: str = "minimize"
    seconds_per_interval: float = 1.0

    def curve(self, params: Params, intervals: int, full: int) -> list[float]:
        """The values reported at epochs 1..intervals, fidelity epoch/full."""
        if not self.multi_fidelity:
            return [self.fn(params, 1.0)]
        return [self.fn(params, min(1.0, e / full)) for e in range(1, intervals + 1)]


def _branin(p: Params, z: float) -> float:
    return branin(float(p["x1"]), float(p["x2"]), z)


def _hartmann6(p: Params, z: float) -> float:
    return hartmann6(tuple(float(p[f"x{i}"]) for i in range(1, 7)), z)


_BRANIN_BOUNDS = {"x1": (-5.0, 10.0), "x2": (0.0, 15.0)}
_H6_BOUNDS = {f"x{i}": (0.0, 1.0) for i in range(1, 7)}
_H6_ARGMIN = (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573)

BENCHMARKS: dict[str, Benchmark] = {
    b.name: b
    for b in (
        Benchmark("branin", _BRANIN_BOUNDS, 0.397887, (math.pi, 2.275), _branin),
        Benchmark("hartmann6", _H6_BOUNDS, -3.32237, _H6_ARGMIN, _hartmann6),
        Benchmark("branin-mf", _BRANIN_BOUNDS, 0.397887, (math.pi, 2.275), _branin,
                  multi_fidelity=True, epochs=27),
        Benchmark("hartmann6-mf", _H6_BOUNDS, -3.32237, _H6_ARGMIN, _hartmann6,
                  multi_fidelity=True, epochs=27),
    )
}
