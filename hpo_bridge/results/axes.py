"""Chart axes: where a value sits along an axis (a fraction 0..1) and its ticks.

Three kinds: linear, log (log domains, and metric ranges spanning decades) and
categorical (categorical and bool parameters, or any parameter whose values are
not all numbers). `param_axis` picks the axis a search-space domain calls for;
`metric_axis` the one for a metric's observed values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeGuard

from hpo_bridge.core.ranges import Choice, Gaussian, NumericRange, ParamRange, as_range
from hpo_bridge.results.svg import fmt_number, fmt_value

# A positive metric whose largest value is this many times its smallest is drawn on a log
# axis: a loss falling from 300 to 0.4 would otherwise squash every good trial at the bottom.
LOG_RATIO = 100.0
MARGIN = 0.03


def is_number(value: Any) -> TypeGuard[int | float]:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


@dataclass(frozen=True)
class NumericAxis:
    low: float
    high: float
    log: bool = False
    integer: bool = False  # ticks on whole numbers only (intervals, int parameters)

    @property
    def kind(self) -> str:
        return "log" if self.log else "linear"

    def _t(self, value: float) -> float:
        return math.log10(value) if self.log else value

    def pos(self, value: Any) -> float | None:
        if not is_number(value) or (self.log and value <= 0):
            return None
        lo, hi = self._t(self.low), self._t(self.high)
        return min(1.0, max(0.0, (self._t(float(value)) - lo) / (hi - lo)))

    def ticks(self) -> list[tuple[float, str]]:
        values = (_log_ticks(self.low, self.high) if self.log
                  else _linear_ticks(self.low, self.high, self.integer))
        return [(p, tick_label(v)) for v in values if (p := self.pos(v)) is not None]


def tick_label(value: float) -> str:
    """A tick's number, short: 0.001, 1e-05 -> 1e-5, 250000 -> 2.5e5 (never cut)."""
    plain = fmt_number(value, 4)
    if "e" not in plain and not (abs(value) >= 1e5 and value == round(value)):
        return plain
    mantissa, exponent = f"{value:.3e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"


def _category_key(value: Any) -> tuple[str, str]:
    # True == 1 in Python: keep booleans, numbers and strings apart.
    if isinstance(value, bool):
        return ("b", str(value))
    if is_number(value):
        return ("n", repr(float(value)))
    return ("s", json.dumps(value, sort_keys=True))


@dataclass(frozen=True)
class CategoricalAxis:
    categories: tuple[Any, ...]

    kind = "categorical"

    def pos(self, value: Any) -> float | None:
        key = _category_key(value)
        for i, category in enumerate(self.categories):
            if _category_key(category) == key:
                return (i + 0.5) / len(self.categories)
        return None

    def ticks(self) -> list[tuple[float, str]]:
        n = len(self.categories)
        return [((i + 0.5) / n, fmt_value(c)) for i, c in enumerate(self.categories)]


Axis = NumericAxis | CategoricalAxis


def _nice_step(span: float, count: int = 6) -> float:
    raw = span / count
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _linear_ticks(low: float, high: float, integer: bool = False) -> list[float]:
    step = _nice_step(high - low)
    out: list[float] = []
    if integer:
        step = max(1.0, round(step))
        if low == round(low) and low % step:  # an interval axis starts at 1: show it
            out = [low]
    first = math.ceil(low / step - 1e-9)
    k = first
    while k * step <= high + step * 1e-9:
        out.append(round(k * step, 12) + 0.0)  # + 0.0 turns -0.0 into 0.0
        k += 1
    return out


def _log_ticks(low: float, high: float) -> list[float]:
    lo, hi = math.floor(math.log10(low)), math.ceil(math.log10(high))
    for mantissas in ((1,), (1, 3), (1, 2, 5)):
        ticks = [m * 10.0**e for e in range(lo, hi + 1) for m in mantissas]
        ticks = [t for t in ticks if low * (1 - 1e-9) <= t <= high * (1 + 1e-9)]
        if len(ticks) >= 3:
            return ticks
    return ticks or [low, high]


def _padded(low: float, high: float, log: bool) -> tuple[float, float]:
    """A range that is never empty (one trial, or every value equal)."""
    if high > low:
        return low, high
    if log:
        return low / 2, high * 2
    pad = abs(low) * 0.1 or 0.5
    return low - pad, high + pad


def metric_axis(values: Iterable[float | None]) -> NumericAxis | None:
    """An axis covering the observed values (None when there is none; values that are not
    finite numbers are skipped)."""
    finite = [float(v) for v in values if is_number(v)]
    if not finite:
        return None
    low, high = min(finite), max(finite)
    log = low > 0 and high / low >= LOG_RATIO
    low, high = _padded(low, high, log)
    # A small margin, so the extreme trials do not sit on the frame.
    if log:
        m = (high / low) ** MARGIN
        return NumericAxis(low / m, high * m, log=True)
    m = (high - low) * MARGIN
    return NumericAxis(low - m, high + m)


def _domain_range(r: ParamRange | None) -> tuple[float | None, float | None, bool]:
    """(low, high, log) a numeric domain declares (None where it gives no bound)."""
    match r:
        case NumericRange():
            return float(r.low), float(r.high), r.log
        case Choice(kind="discrete", values=values):
            return float(values[0]), float(values[-1]), False
        case Gaussian():
            return None, None, r.log
    return None, None, False


def param_axis(domain: Any, observed: list[Any]) -> Axis:
    """The axis for one hyperparameter: its domain's bounds and scale, widened to every
    observed value; categorical for categorical/bool domains or non-numeric values.
    `domain` is a spec domain or its normalised range; None when the spec has no such
    parameter (any more)."""
    r = as_range(domain) if domain is not None else None
    present = [v for v in observed if v is not None]
    listed = isinstance(r, Choice) and r.kind != "discrete"
    categorical = listed or not all(is_number(v) for v in present)
    if categorical:
        declared: list[Any] = list(r.values) if isinstance(r, Choice) and listed else []
        seen = {_category_key(v) for v in declared}
        for v in present:  # values outside the domain (a changed spec) still get a place
            if _category_key(v) not in seen:
                seen.add(_category_key(v))
                declared.append(v)
        return CategoricalAxis(tuple(declared) or ("n/a",))
    low, high, log = _domain_range(r)
    numbers = [float(v) for v in present]
    lows = [x for x in (low, *numbers) if x is not None]
    highs = [x for x in (high, *numbers) if x is not None]
    if not lows:
        return NumericAxis(0.0, 1.0)
    lo, hi = min(lows), max(highs)
    log = log and lo > 0
    integer = isinstance(r, NumericRange | Gaussian) and r.integer
    return NumericAxis(*_padded(lo, hi, log), log=log, integer=integer)
