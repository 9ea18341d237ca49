"""Search-space domains as Google's parameter kinds: DOUBLE, INTEGER, CATEGORICAL, DISCRETE,
with scale types. Shared by both backends (Vertex AI adds conditions).

Exact where the cloud can say it: a float with `q`, `quniform` and a numeric categorical
are DISCRETE lists (strictly increasing, at most 1,000 values); booleans are the
categorical strings "false"/"true" (what the trial receives either way). Approximations
(normal distributions, qloguniform) go through `Issues`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
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

SCALES = {"linear": "UNIT_LINEAR_SCALE", "log": "UNIT_LOG_SCALE",
          "reverse_log": "UNIT_REVERSE_LOG_SCALE"}
MAX_DISCRETE = 1000
DOUBLE, INTEGER, CATEGORICAL, DISCRETE = "DOUBLE", "INTEGER", "CATEGORICAL", "DISCRETE"


@dataclass
class Param:
    """One parameter in Google's terms."""

    name: str
    kind: str
    low: float | int | None = None
    high: float | int | None = None
    values: list[Any] | None = None
    scale: str | None = None  # UNIT_*_SCALE


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _numeric(values: list[Any]) -> bool:
    return all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)


def _scale(domain: Any) -> str | None:
    return SCALES[domain.scale] if "scale" in domain.model_fields_set else None


def _discrete(name: str, values: list[Any], issues: Issues, path: str) -> Param | None:
    values = sorted(set(values))
    if len(values) > MAX_DISCRETE:
        issues.add(path, f"{len(values)} values (at most {MAX_DISCRETE} DISCRETE values)",
                   "fewer values, or a DOUBLE range")
        return None
    return Param(name, DISCRETE, values=values)


def translate(name: str, domain: Any, issues: Issues) -> Param | None:
    path = f"search_space.{name}"
    if isinstance(domain, BoolDomain):
        return Param(name, CATEGORICAL, values=["false", "true"])
    if isinstance(domain, CategoricalDomain):
        if _numeric(domain.values):
            return _discrete(name, list(domain.values), issues, path)
        return Param(name, CATEGORICAL, values=[text(v) for v in domain.values])
    if isinstance(domain, DiscreteDomain):
        return _discrete(name, list(domain.values), issues, path)
    if isinstance(domain, IntDomain):
        return Param(name, INTEGER, domain.low, domain.high, scale=_scale(domain))
    if isinstance(domain, FloatDomain):
        if domain.q is not None:
            return _discrete(name, domain.grid_values(), issues, path)
        return Param(name, DOUBLE, domain.low, domain.high, scale=_scale(domain))
    if isinstance(domain, DistributionDomain):
        return _distribution(name, domain, issues, path)
    issues.add(path, f"domain {type(domain).__name__}", "a DOUBLE range")
    return None


def _distribution(name: str, d: DistributionDomain, issues: Issues, path: str) -> Param | None:
    kind = d.distribution
    if kind == "randint":
        assert d.upper is not None
        return Param(name, INTEGER, 0, d.upper - 1, scale="UNIT_LINEAR_SCALE")
    if kind in ("uniform", "loguniform"):
        assert d.low is not None and d.high is not None
        scale = "UNIT_LOG_SCALE" if kind == "loguniform" else "UNIT_LINEAR_SCALE"
        if d.is_int:
            return Param(name, INTEGER, math.ceil(d.low), math.floor(d.high), scale=scale)
        return Param(name, DOUBLE, d.low, d.high, scale=scale)
    if kind == "quniform":
        return _discrete(name, d.grid_values(), issues, path)
    if kind == "qloguniform":
        if issues.applies(f"search_space.distribution={kind}"):
            return _discrete(name, d.grid_values(), issues, path)
        return None
    # normal, lognormal and their q-variants: mu +- 3 sigma (the table's approximation)
    if not issues.applies(f"search_space.distribution={kind}"):
        return None
    assert d.mu is not None and d.sigma is not None
    low, high = d.mu - 3 * d.sigma, d.mu + 3 * d.sigma
    log = kind in ("lognormal", "qlognormal")
    if log:
        low, high = math.exp(low), math.exp(high)
    low, high = float(f"{low:.12g}"), float(f"{high:.12g}")
    scale = "UNIT_LOG_SCALE" if log else "UNIT_LINEAR_SCALE"
    if d.is_int:
        return Param(name, INTEGER, math.ceil(low), math.floor(high), scale=scale)
    return Param(name, DOUBLE, low, high, scale=scale)
