"""Search-space domains -> SageMaker's Integer, Continuous and Categorical parameter ranges.

Each domain is read through the kit's normalised shapes (NumericRange, Choice, Gaussian).
"""

from __future__ import annotations

import math
from typing import Any

from hpo_bridge.backends import Issues
from hpo_bridge.backends.ranges import (
    Choice,
    Gaussian,
    NumericRange,
    azure_name,
    normalized,
    values,
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


def _kind(as_int: bool) -> str:
    return INTEGER if as_int else CONTINUOUS


class RangeTranslator:
    """One domain at a time; unsupported features go to `issues`."""

    def __init__(self, issues: Issues, grid: bool):
        self.issues = issues
        self.grid = grid

    def translate(self, name: str, domain: Any) -> tuple[str, dict[str, Any]] | None:
        path = f"search_space.{name}"
        shape = normalized(domain)
        if isinstance(shape, Choice):
            return self._categorical(name, values(shape), path)
        if isinstance(shape, Gaussian):
            return self._gaussian(name, shape, path)
        return self._range(name, shape, path)

    def _categorical(self, name: str, listed: list[Any],
                     path: str) -> tuple[str, dict[str, Any]] | None:
        limit = max_categorical_values()
        if len(listed) > limit:
            self.issues.add(
                path,
                f"{len(listed)} values (SageMaker takes at most {limit} per categorical range)",
                "fewer values, or an Integer/Continuous range with strategy random or bayesian",
            )
            return None
        return CATEGORICAL, {"Name": name, "Values": [value_text(v) for v in listed]}

    def _numeric(self, name: str, low: float, high: float, scaling: str, as_int: bool,
                 path: str) -> tuple[str, dict[str, Any]] | None:
        if scaling == "ReverseLogarithmic" and (as_int or not (low >= 0 and high < 1)):
            where = "integer ranges" if as_int else "ranges outside 0 <= x < 1"
            if not self.issues.add(f"{path}.scale", f"reverse_log scaling of {where}",
                                   "Linear or Logarithmic scaling", "Linear scaling"):
                return None
            scaling = "Linear"
        return _kind(as_int), {
            "Name": name,
            "MinValue": _number(low, as_int),
            "MaxValue": _number(high, as_int),
            "ScalingType": scaling,
        }

    def _range(self, name: str, r: NumericRange, path: str) -> tuple[str, dict[str, Any]] | None:
        expression = azure_name(r)
        # An unset scale lets SageMaker choose (Auto); Azure's expressions fix theirs.
        scaling = SCALING[r.scale] if r.scale_given or expression else "Auto"
        if expression == "randint":
            if self.grid:
                return self._categorical(name, values(r), path)
            return self._numeric(name, r.low, r.high, "Linear", True, path)
        if r.step is not None:
            if self.grid:
                return self._categorical(name, values(r), path)
            if expression is None:  # the spec's own quantised float
                approximated = self.issues.add(
                    f"{path}.q", "a quantised float (q)",
                    "a Continuous range without q, or a categorical list of its values",
                    f"Continuous range [{r.low}, {r.high}] without q")
            else:
                approximated = self.issues.add(
                    f"{path}.distribution", f"distribution {expression}",
                    f"{_kind(r.integer)} range with {scaling} scaling (no q)",
                    f"{scaling} range [{r.low}, {r.high}] without q")
            if not approximated:
                return None
        if r.integer and expression is None and self.grid:
            return self._categorical(name, values(r), path)
        low, high = (math.ceil(r.low), math.floor(r.high)) if r.integer else (r.low, r.high)
        return self._numeric(name, low, high, scaling, r.integer, path)

    def _gaussian(self, name: str, g: Gaussian, path: str) -> tuple[str, dict[str, Any]] | None:
        # normal, lognormal and their q-variants: approximated by mu +- 3 sigma.
        bounds = g.bounds()
        scaling = "Logarithmic" if g.log else "Linear"
        shown = f"[{_number(bounds.low, g.integer)}, {_number(bounds.high, g.integer)}]"
        if not self.issues.add(
            f"{path}.distribution",
            f"distribution {azure_name(g)}",
            f"{_kind(g.integer)} range with {scaling} scaling",
            f"{scaling} range {shown} (mu +- 3 sigma{', in log space' if g.log else ''})",
        ):
            return None
        return self._numeric(name, bounds.low, bounds.high, scaling, g.integer, path)
