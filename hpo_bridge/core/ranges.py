"""One normalised view of a parameter's domain: a numeric range, a choice, or a Gaussian.

Every spec domain answers `normalized()` with one of these (see
hpo_bridge/spec/domains.py), so whoever turns a domain into something else -
the sampler in core/space.py, the optuna bridge, the result axes, a cloud's
range translator - matches on three kinds instead of six domain classes:

- `NumericRange`: numbers in [low, high] on a scale, integers or reals, maybe
  on multiples of `step`. `rounding` says how a real draw becomes a value:
  "grid" (the spec's `float`/`int`: the nearest integer or multiple of step
  *within* [low, high], each integer owning an equal share of the range),
  "draw" (Azure's expressions: a real drawn in [low, high], then rounded to the
  nearest multiple of step - the ends round outward too - and to an integer
  when `integer`), "floor" (Azure's randint: the integers low..high, by the
  floor of a uniform draw).
- `Choice`: one of listed values; `kind` "categorical" (unordered), "discrete"
  (increasing numbers) or "bool" (False, True).
- `Gaussian`: normal(mu, sigma), exp'd when `log`, rounded to multiples of
  `step`, cast to int when `integer`; `bounds()` is its usual bounded stand-in.

Pure data: nothing here imports the spec.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

Scale = Literal["linear", "log", "reverse_log"]
Rounding = Literal["grid", "draw", "floor"]
ChoiceKind = Literal["categorical", "discrete", "bool"]

_SLACK = 1e-9  # float error allowed when counting multiples of a step within bounds


@dataclass(frozen=True, slots=True)
class NumericRange:
    """Numbers in [low, high] (both bounds are values of the range; see the module notes)."""

    low: float
    high: float
    integer: bool = False
    scale: Scale = "linear"
    step: float | None = None
    scale_given: bool = True  # False: the user left `scale` unset (a backend may choose)
    rounding: Rounding = "grid"

    @property
    def log(self) -> bool:
        return self.scale == "log"

    def step_indexes(self) -> tuple[int, int]:
        """First and last index k of the values k * step (a range with a step only).

        "grid": the multiples within [low, high]; "draw": round(low / step) to
        round(high / step), as rounding a draw from [low, high] gives.
        """
        if self.step is None:
            raise ValueError("a range without a step has no step indexes")
        if self.rounding == "draw":
            return round(self.low / self.step), round(self.high / self.step)
        return grid_steps(self.low, self.high, self.step)


@dataclass(frozen=True, slots=True)
class Choice:
    """One of `values` (for kind "bool": (False, True))."""

    values: tuple[Any, ...]
    kind: ChoiceKind = "categorical"

    def contains(self, value: Any) -> bool:
        return any(same_value(value, v) for v in self.values)


@dataclass(frozen=True, slots=True)
class Gaussian:
    """normal(mu, sigma); exp(normal) when `log`; then rounded to `step`, cast when `integer`."""

    mu: float
    sigma: float
    log: bool = False
    step: float | None = None
    integer: bool = False

    def bounds(self, k: float = 3.0) -> NumericRange:
        """mu +- k sigma (exp'd when log) as a range: the stand-in of a backend with no
        normal distribution. 12 significant digits (0.5 - 3 * 0.1 reads 0.2), and the
        integers inside when `integer`."""
        low, high = self.mu - k * self.sigma, self.mu + k * self.sigma
        if self.log:
            low, high = math.exp(low), math.exp(high)
        low, high = float(f"{low:.12g}"), float(f"{high:.12g}")
        if self.integer:
            low, high = math.ceil(low), math.floor(high)
        return NumericRange(
            low, high, integer=self.integer, scale="log" if self.log else "linear",
            step=self.step, scale_given=True, rounding="draw",
        )


ParamRange = NumericRange | Choice | Gaussian


_RANGE_TYPES = (NumericRange, Choice, Gaussian)


def as_range(domain: Any) -> ParamRange:
    """A normalised range: `domain` itself when it is one, else `domain.normalized()`."""
    if type(domain) in _RANGE_TYPES:
        return domain
    normalized = getattr(domain, "normalized", None)
    if normalized is None:
        if isinstance(domain, _RANGE_TYPES):  # a subclass of a range
            return domain
        raise TypeError(f"unknown domain {type(domain).__name__}")
    result: ParamRange = normalized()
    return result


# -- values ------------------------------------------------------------------------------
def same_value(a: Any, b: Any) -> bool:
    """Equality that keeps booleans apart from numbers (True == 1 in Python), and strings
    apart from everything else."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    return bool(a == b)


def is_integral(value: Any) -> bool:
    """A whole number (an int, or a finite float equal to an int); never a boolean."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return isinstance(value, int) or (math.isfinite(value) and value == int(value))


def grid_steps(low: float, high: float, step: float) -> tuple[int, int]:
    """Indexes k with low <= k * step <= high (with a little slack for float error)."""
    return math.ceil(low / step - _SLACK), math.floor(high / step + _SLACK)


def on_grid(value: Any, step: float, start: int, stop: int) -> bool:
    """`value` is k * step (to 12 decimals) for an index k in [start, stop]."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        ratio = value / step
    except OverflowError:  # an int beyond any float
        return False
    if not math.isfinite(ratio):
        return False
    i = round(ratio)
    return start <= i <= stop and math.isclose(round(i * step, 12), value, abs_tol=1e-12)
