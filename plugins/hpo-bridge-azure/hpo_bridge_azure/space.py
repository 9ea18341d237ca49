"""Search-space domains <-> Azure ML's sweep distributions (YAML form).

The unified spec's `low`/`high` are always bounds of the value. Azure's `loguniform` and
`qloguniform` take natural-log exponents (`loguniform(min, max) = exp(uniform(min, max))`,
seed 000), so they are translated both ways, never copied. `normal`/`lognormal` take `mu`
and `sigma` in both (lognormal's are the log's, in both).
"""

from __future__ import annotations

import math
from typing import Any

from hpo_bridge.backends import Issues
from hpo_bridge.spec import (
    BoolDomain,
    CategoricalDomain,
    DiscreteDomain,
    DistributionDomain,
    FloatDomain,
    IntDomain,
)

LOG_BOUNDED = ("loguniform", "qloguniform")
BAYESIAN_KINDS = ("choice", "uniform", "quniform")
OK, UNIFORM, REFUSED = "ok", "uniform", "refused"


def exponent(value: float) -> float:
    """A value bound as Azure's natural-log exponent."""
    return math.log(value)


def from_exponent(value: float) -> float:
    """Azure's exponent as a value bound (12 significant digits: exp(log(1e-4)) prints as
    0.0001, not 0.00010000000000000009)."""
    return float(f"{math.exp(value):.12g}")


def _number(value: float, as_int: bool) -> int | float:
    return int(value) if as_int and float(value).is_integer() else value


class SpaceTranslator:
    """One domain at a time -> a distribution dict; gaps go to `issues`."""

    def __init__(self, issues: Issues, sampling: str) -> None:
        self.issues = issues
        self.sampling = sampling  # random | grid | bayesian

    def translate(self, name: str, domain: Any) -> dict[str, Any] | None:
        path = f"search_space.{name}"
        if isinstance(domain, CategoricalDomain | DiscreteDomain | BoolDomain):
            return {"type": "choice", "values": list(domain.grid_values())}
        if self.sampling == "grid":
            return self._grid(path, domain)
        if isinstance(domain, IntDomain):
            return self._int(path, domain)
        if isinstance(domain, FloatDomain):
            return self._float(path, domain)
        if isinstance(domain, DistributionDomain):
            return self._distribution(path, domain)
        self.issues.add(path, f"domain {type(domain).__name__}", "a choice")
        return None

    # -- grid: choices only ---------------------------------------------------------------
    def _grid(self, path: str, domain: Any) -> dict[str, Any] | None:
        if domain.finite:
            return {"type": "choice", "values": list(domain.grid_values())}
        self.issues.add(path, "a continuous parameter with grid sampling",
                        "a choice of values (grid sampling takes choice only)")
        return None

    # -- numbers --------------------------------------------------------------------------
    def _int(self, path: str, d: IntDomain) -> dict[str, Any] | None:
        if d.scale == "log":
            verdict = self._bayesian(f"{path}.scale", "qloguniform")
            if verdict == REFUSED:
                return None
            if verdict == UNIFORM:
                return {"type": "quniform", "min_value": d.low, "max_value": d.high, "q": 1}
            return {"type": "qloguniform", "min_value": exponent(d.low),
                    "max_value": exponent(d.high), "q": 1}
        if d.scale == "reverse_log" and not self.issues.add(
                f"{path}.scale", "reverse_log scaling", "a linear or log scale", "linear scaling"):
            return None
        if d.low == 0 and self.sampling != "bayesian":
            return {"type": "randint", "upper": d.high + 1}  # randint: 0 <= x < upper
        return {"type": "quniform", "min_value": d.low, "max_value": d.high, "q": 1}

    def _float(self, path: str, d: FloatDomain) -> dict[str, Any] | None:
        kind = "quniform" if d.q is not None else "uniform"
        if d.scale == "reverse_log" and not self.issues.add(
                f"{path}.scale", "reverse_log scaling", "uniform or loguniform", "uniform"):
            return None
        if d.scale == "log":
            verdict = self._bayesian(f"{path}.scale", "q" * (d.q is not None) + "loguniform")
            if verdict == REFUSED:
                return None
            if verdict == OK:
                kind = "qloguniform" if d.q is not None else "loguniform"
        out: dict[str, Any] = {"type": kind, "min_value": d.low, "max_value": d.high}
        if kind in LOG_BOUNDED:
            out["min_value"], out["max_value"] = exponent(d.low), exponent(d.high)
        if d.q is not None:
            out["q"] = d.q
        return out

    def _distribution(self, path: str, d: DistributionDomain) -> dict[str, Any] | None:
        kind = d.distribution
        verdict = self._bayesian(f"{path}.distribution", kind,
                                 approximable=kind in LOG_BOUNDED)
        if verdict == REFUSED:
            return None
        if verdict == UNIFORM:
            kind = "quniform" if kind == "qloguniform" else "uniform"
        if kind == "randint":
            return {"type": "randint", "upper": d.upper}
        if kind in ("uniform", "quniform"):
            out: dict[str, Any] = {"type": kind, "min_value": _number(d.low, d.is_int),
                                   "max_value": _number(d.high, d.is_int)}
        elif kind in LOG_BOUNDED:
            assert d.low is not None and d.high is not None
            out = {"type": kind, "min_value": exponent(d.low), "max_value": exponent(d.high)}
        else:  # normal, lognormal and their q-forms: mu and sigma as they are
            out = {"type": kind, "mu": d.mu, "sigma": d.sigma}
        if d.q is not None:
            out["q"] = _number(d.q, d.is_int)
        return out

    # -- bayesian: choice, uniform and quniform only ----------------------------------------
    def _bayesian(self, path: str, kind: str, approximable: bool = True) -> str:
        """OK, or (bayesian sampling, which takes no `kind`) UNIFORM when --approximate maps
        it to uniform over the same value bounds, else REFUSED (the gap is recorded)."""
        if self.sampling != "bayesian" or kind in BAYESIAN_KINDS:
            return OK
        applied = self.issues.add(
            path, f"{kind} with bayesian sampling",
            "choice, uniform or quniform (bayesian sampling takes no other distribution),"
            " or random sampling",
            "uniform over the same value bounds" if approximable else None)
        return UNIFORM if applied else REFUSED


def domain_from(name: str, distribution: dict[str, Any]) -> dict[str, Any]:
    """An Azure distribution (YAML form) as a unified-spec domain (import)."""
    kind = str(distribution["type"]).lower()
    if kind == "choice":
        return {"type": "categorical", "values": list(distribution["values"])}
    if kind == "randint":
        return {"distribution": "randint", "upper": distribution["upper"]}
    out: dict[str, Any] = {"distribution": kind}
    if kind in ("uniform", "quniform"):
        out["low"], out["high"] = distribution["min_value"], distribution["max_value"]
    elif kind in LOG_BOUNDED:
        out["low"] = from_exponent(distribution["min_value"])
        out["high"] = from_exponent(distribution["max_value"])
    else:
        out["mu"], out["sigma"] = distribution["mu"], distribution["sigma"]
    if "q" in distribution and distribution["q"] is not None:
        out["q"] = distribution["q"]
        if kind in ("quniform", "qloguniform") and _whole(distribution["q"]):
            out["type"] = "int"  # round(x / q) * q with a whole q: whole numbers
            if kind == "quniform":
                out["low"], out["high"] = int(out["low"]), int(out["high"])
    return out


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) or (
        isinstance(value, float) and value.is_integer())
