"""The problems every system is measured on, with one search space shared by all.

Each problem knows its space three ways: as an hpo-bridge spec `search_space`,
as optuna distributions, and as Syne Tune domains, so no system gets an easier
space than another.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Param:
    name: str
    low: float
    high: float
    log: bool = False


@dataclass(frozen=True)
class Problem:
    name: str
    params: tuple[Param, ...]
    evaluate: Callable[[dict[str, float]], float]  # minimised
    optimum: float | None  # None: regret is measured against the best value seen in the run
    what: str

    def spec_space(self) -> dict[str, Any]:
        space = {}
        for p in self.params:
            space[p.name] = {"type": "float", "low": p.low, "high": p.high}
            if p.log:
                space[p.name]["scale"] = "log"
        return space

    def optuna_space(self) -> dict[str, Any]:
        import optuna

        return {
            p.name: optuna.distributions.FloatDistribution(p.low, p.high, log=p.log)
            for p in self.params
        }


def tuning_spec(
    space: dict[str, Any],
    algorithm: str,
    seed: int,
    max_trials: int,
    *,
    name: str = "bench",
    goal: str = "minimize",
    metric: str = "loss",
    **sections: Any,
) -> Any:
    """A validated hpo-bridge spec for a searcher benchmark."""
    from hpo_bridge.spec import validate_spec

    data: dict[str, Any] = {
        "name": name,
        "objective": {"metric": metric, "goal": goal},
        "search_space": space,
        "strategy": {"algorithm": algorithm, "seed": seed, **sections.pop("strategy", {})},
        "limits": {"max_trials": max_trials, **sections.pop("limits", {})},
        **sections,
    }
    return validate_spec(data)


# -- synthetic functions with known optima ---------------------------------------------------
def branin(c: dict[str, float]) -> float:
    x1, x2 = c["x1"], c["x2"]
    b, cc, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + cc * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


_H_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_H_A = np.array(
    [
        [10, 3, 17, 3.5, 1.7, 8],
        [0.05, 10, 17, 0.1, 8, 14],
        [3, 3.5, 1.7, 10, 17, 8],
        [17, 8, 0.05, 10, 0.1, 14],
    ]
)
_H_P = 1e-4 * np.array(
    [
        [1312, 1696, 5569, 124, 8283, 5886],
        [2329, 4135, 8307, 3736, 1004, 9991],
        [2348, 1451, 3522, 2883, 3047, 6650],
        [4047, 8828, 8732, 5743, 1091, 381],
    ]
)


def hartmann6(c: dict[str, float]) -> float:
    x = np.array([c[f"x{i}"] for i in range(6)])
    return float(-np.sum(_H_ALPHA * np.exp(-np.sum(_H_A * (x - _H_P) ** 2, axis=1))))


BRANIN = Problem(
    "branin",
    (Param("x1", -5.0, 10.0), Param("x2", 0.0, 15.0)),
    branin,
    0.397887,
    "Branin, 2 floats, minimum 0.397887",
)
HARTMANN6 = Problem(
    "hartmann6",
    tuple(Param(f"x{i}", 0.0, 1.0) for i in range(6)),
    hartmann6,
    -3.32237,
    "Hartmann6, 6 floats in [0,1], minimum -3.32237",
)


# -- a real task that ships with its data: SGD on scikit-learn's digits ---------------------
DIGITS_PARAMS = (
    Param("alpha", 1e-7, 1e-1, log=True),
    Param("eta0", 1e-4, 1.0, log=True),
    Param("power_t", 0.05, 0.95),
)
DIGITS_EPOCHS = 5  # per evaluation in the quality benchmark: keeps a trial ~20 ms


@cache
def _digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    xtr, xva, ytr, yva = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    scaler = StandardScaler().fit(xtr)
    return scaler.transform(xtr), scaler.transform(xva), ytr, yva


def _sgd(c: dict[str, float], **kw: Any) -> Any:
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(
        alpha=c["alpha"],
        eta0=c["eta0"],
        power_t=c["power_t"],
        learning_rate="invscaling",
        random_state=0,
        **kw,
    )


def digits_error(c: dict[str, float]) -> float:
    """Validation error of SGDClassifier after DIGITS_EPOCHS epochs (deterministic)."""
    xtr, xva, ytr, yva = _digits()
    clf = _sgd(c, max_iter=DIGITS_EPOCHS, tol=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning: the epoch budget is the point
        clf.fit(xtr, ytr)
    return float(1.0 - clf.score(xva, yva))


def digits_curve(c: dict[str, float], epochs: int) -> list[float]:
    """Validation error after each of `epochs` epochs of partial_fit."""
    xtr, xva, ytr, yva = _digits()
    clf = _sgd(c)
    classes = np.unique(ytr)
    errors = []
    for _ in range(epochs):
        clf.partial_fit(xtr, ytr, classes=classes)
        errors.append(round(float(1.0 - clf.score(xva, yva)), 6))
    return errors


DIGITS = Problem(
    "digits-sgd",
    DIGITS_PARAMS,
    digits_error,
    None,
    "SGDClassifier on sklearn digits (alpha, eta0, power_t), validation error after 5 epochs",
)

QUALITY_PROBLEMS = (BRANIN, HARTMANN6, DIGITS)
