"""Search-space domains -> SageMaker's Integer, Continuous and Categorical parameter ranges."""

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
from hpo_bridge_sagemaker.service_model import member_shape

SCALING = {"linear": "Linear", "log": "Logarithmic", "reverse_log": "ReverseLogarithmic"}
INTEGER, CONTINUOUS, CATEGORICAL = "Integer", "Continuous", "Categorical"


def max_categorical_values() -> int:
    return int(member_shape("CategoricalParameterRange", "Values").metadata["max"])


def value_text(value: Any) -> str:
    """A parameter value as SageMaker's strings: JSON-style booleans, shortest float repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def _number(value: float, as_int: bool) -> str:
    return str(int(value)) if as_int else repr(float(value))


def _scaling(domain: Any) -> str:
    # The spec defaults scale to linear; an unset scale lets SageMaker choose (Auto).
    if "scale" not in domain.model_fields_set:
        return "Auto"
    return SCALING[domain.scale]


class RangeTranslator:
    """One domain at a time; unsupported features go to `issues`."""

    def __init__(self, issues: Issues, grid: bool):
        self.issues = issues
        self.grid = grid

    def translate(self, name: str, domain: Any) -> tuple[str, dict[str, Any]] | None:
        path = f"search_space.{name}"
        if isinstance(domain, CategoricalDomain | DiscreteDomain | BoolDomain):
            return self._categorical(name, domain.grid_values(), path)
        if isinstance(domain, IntDomain):
            if self.grid:
                return self._categorical(name, domain.grid_values(), path)
            return self._numeric(name, domain.low, domain.high, _scaling(domain), True, path)
        if isinstance(domain, FloatDomain):
            return self._float(name, domain, path)
        if isinstance(domain, DistributionDomain):
            return self._distribution(name, domain, path)
        self.issues.add(path, f"domain {type(domain).__name__}", "a categorical list")
        return None

    def _categorical(self, name: str, values: list[Any], path: str):
        limit = max_categorical_values()
        if len(values) > limit:
            self.issues.add(
                path,
                f"{len(values)} values (SageMaker takes at most {limit} per categorical range)",
                "fewer values, or an Integer/Continuous range with strategy random or bayesian",
            )
            return None
        return CATEGORICAL, {"Name": name, "Values": [value_text(v) for v in values]}

    def _numeric(self, name: str, low: float, high: float, scaling: str, as_int: bool, path: str):
        if scaling == "ReverseLogarithmic" and (as_int or not (low >= 0 and high < 1)):
            where = "integer ranges" if as_int else "ranges outside 0 <= x < 1"
            if not self.issues.add(
                f"{path}.scale",
                f"reverse_log scaling of {where}",
                "Linear or Logarithmic scaling",
                "Linear scaling",
            ):
                return None
            scaling = "Linear"
        kind = INTEGER if as_int else CONTINUOUS
        return kind, {
            "Name": name,
            "MinValue": _number(low, as_int),
            "MaxValue": _number(high, as_int),
            "ScalingType": scaling,
        }

    def _float(self, name: str, domain: FloatDomain, path: str):
        if domain.q is not None:
            if self.grid:
                return self._categorical(name, domain.grid_values(), path)
            if not self.issues.add(
                f"{path}.q",
                "a quantised float (q)",
                "a Continuous range without q, or a categorical list of its values",
                f"Continuous range [{domain.low}, {domain.high}] without q",
            ):
                return None
        return self._numeric(name, domain.low, domain.high, _scaling(domain), False, path)

    def _distribution(self, name: str, d: DistributionDomain, path: str):
        kind = d.distribution
        if kind == "randint":
            assert d.upper is not None
            if self.grid:
                return self._categorical(name, d.grid_values(), path)
            return self._numeric(name, 0, d.upper - 1, "Linear", True, path)
        if kind in ("uniform", "loguniform"):
            assert d.low is not None and d.high is not None
            scaling = "Logarithmic" if kind == "loguniform" else "Linear"
            if d.is_int:
                low, high = math.ceil(d.low), math.floor(d.high)
                return self._numeric(name, low, high, scaling, True, path)
            return self._numeric(name, d.low, d.high, scaling, False, path)
        if kind in ("quniform", "qloguniform"):
            assert d.low is not None and d.high is not None
            if self.grid:
                return self._categorical(name, d.grid_values(), path)
            scaling = "Logarithmic" if kind == "qloguniform" else "Linear"
            if not self.issues.add(
                f"{path}.distribution",
                f"distribution {kind}",
                f"{'Integer' if d.is_int else 'Continuous'} range with {scaling} scaling (no q)",
                f"{scaling} range [{d.low}, {d.high}] without q",
            ):
                return None
            if d.is_int:
                return self._numeric(name, math.ceil(d.low), math.floor(d.high), scaling, True,
                                     path)
            return self._numeric(name, d.low, d.high, scaling, False, path)
        # normal, lognormal and their q-variants: approximated by mu +- 3 sigma.
        assert d.mu is not None and d.sigma is not None
        low, high = d.mu - 3 * d.sigma, d.mu + 3 * d.sigma
        log = kind in ("lognormal", "qlognormal")
        if log:
            low, high = math.exp(low), math.exp(high)
        # 12 significant digits: 0.5 - 3 * 0.1 shows as 0.2, not 0.19999999999999996.
        low, high = float(f"{low:.12g}"), float(f"{high:.12g}")
        scaling = "Logarithmic" if log else "Linear"
        as_int = d.is_int
        if as_int:
            low, high = math.ceil(low), math.floor(high)
        shown = f"[{_number(low, as_int)}, {_number(high, as_int)}]"
        if not self.issues.add(
            f"{path}.distribution",
            f"distribution {kind}",
            f"{'Integer' if as_int else 'Continuous'} range with {scaling} scaling",
            f"{scaling} range {shown} (mu +- 3 sigma{', in log space' if log else ''})",
        ):
            return None
        return self._numeric(name, low, high, scaling, as_int, path)
