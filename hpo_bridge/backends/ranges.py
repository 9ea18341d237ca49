"""Every spec domain as one of three shapes a cloud translator maps to its own parameter types.

`normalized(domain)` gives a `NumericRange` (low, high, integer, scale, step, how a draw is
rounded), a `Choice` (listed values: categorical, discrete numbers or bool) or a `Gaussian`
(Azure's normal family; `bounds()` is its usual bounded stand-in). A translator matches on
these three instead of the spec's six domain classes, so every cloud reads a domain the same
way. `values(r)` lists a finite range; `azure_name(r)` names the Azure expression a shape came
from (what a cloud without it reports as unsupported).
"""

from __future__ import annotations

from typing import Any

from hpo_bridge.core.ranges import Choice, Gaussian, NumericRange, ParamRange, as_range

__all__ = ["Choice", "Gaussian", "NumericRange", "ParamRange", "azure_name", "is_finite",
           "normalized", "values"]


def normalized(domain: Any) -> ParamRange:
    """The normalised shape of a spec domain (or of a shape itself)."""
    return as_range(domain)


def is_finite(shape: ParamRange) -> bool:
    """Whether the shape has a list of values (a choice, an integer range, a stepped one)."""
    if isinstance(shape, Choice):
        return True
    if isinstance(shape, NumericRange):
        return shape.integer or shape.step is not None
    return False


def values(shape: ParamRange) -> list[Any]:
    """Every value of a finite shape, in order (a grid's points)."""
    if isinstance(shape, Choice):
        return list(shape.values)
    if isinstance(shape, NumericRange):
        if shape.step is not None:
            start, stop = shape.step_indexes()
            points = [round(i * shape.step, 12) for i in range(start, stop + 1)]
            return [int(v) for v in points] if shape.integer else points
        if shape.integer:
            return list(range(int(shape.low), int(shape.high) + 1))
    raise ValueError("a continuous range has no list of values")


def azure_name(shape: ParamRange) -> str | None:
    """The Azure expression a shape stands for (uniform, qloguniform, randint, normal...),
    None for the spec's own float/int ranges and for choices."""
    if isinstance(shape, Gaussian):
        return ("q" if shape.step is not None else "") + ("lognormal" if shape.log else "normal")
    if isinstance(shape, NumericRange) and shape.rounding == "floor":
        return "randint"
    if isinstance(shape, NumericRange) and shape.rounding == "draw":
        return ("q" if shape.step is not None else "") + ("loguniform" if shape.log
                                                          else "uniform")
    return None
