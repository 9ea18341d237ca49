"""A metric reading and the two small interfaces every channel implements."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, Protocol

RAW_LIMIT = 200  # raw text kept for error messages, not whole lines


@dataclass(slots=True)
class Reading:
    """One value of one metric. Invalid values (nan, inf, unparsable) are `nan` with `raw` set.

    Not frozen: a flooding trial makes millions of these, and a frozen dataclass costs
    three times as much to build. Nothing changes a reading once made.
    """

    name: str
    value: float
    raw: str | None = None

    @property
    def valid(self) -> bool:
        return math.isfinite(self.value)


# What text counts as a number: ASCII digits with an optional sign, decimal point and
# exponent. Python's float() also takes full-width digits ('１２'), underscores ('1_0'),
# 'infinity' and surrounding Unicode spaces; a metric that reads like that is a mistake
# to report, not a value to guess.
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def parse_number(name: str, raw: Any) -> Reading:
    """A reading from a captured or stored value; anything but a finite number is invalid.

    Text is a number only when it is an ASCII decimal or exponent number (NUMBER_TEXT,
    spaces around it aside); 'nan' and 'inf' are numbers but not finite. Invalid
    values become nan with their text kept, so the tuner can fail the trial naming
    both the metric and what was reported.
    """
    if type(raw) is str:  # the common case (every log line), kept short
        if NUMBER_TEXT.fullmatch(raw) or NUMBER_TEXT.fullmatch(raw.strip(" \t\r\n")):
            value = float(raw)
            if value - value == 0.0:  # finite: inf - inf and nan - nan are nan
                return Reading(name, value, raw if len(raw) <= RAW_LIMIT else raw[:RAW_LIMIT])
        return Reading(name, math.nan, raw[:RAW_LIMIT])
    text = raw if isinstance(raw, str) else repr(raw)
    if isinstance(raw, bool) or raw is None:
        return Reading(name, math.nan, text[:RAW_LIMIT])
    if isinstance(raw, str) and not NUMBER_TEXT.fullmatch(raw.strip(" \t\r\n")):
        return Reading(name, math.nan, text[:RAW_LIMIT])
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        return Reading(name, math.nan, text[:RAW_LIMIT])
    if not math.isfinite(value):
        return Reading(name, math.nan, text[:RAW_LIMIT])
    return Reading(name, value, text[:RAW_LIMIT])


class LineParser(Protocol):
    """Finds readings in one log line (stdout or stderr)."""

    def parse(self, line: str) -> list[Reading]: ...


class MetricSource(Protocol):
    """A channel the executor polls while the trial runs, and again after it exits until
    it has nothing more (see `has_more`).

    A source reads a bounded amount per call; one that stopped at its bound sets a
    `more` attribute to True, and the executor calls it again (after the trial's exit
    too, before the trial's end is reported). A source without `more` is read once
    more after the exit.
    """

    def read(self, final: bool = False) -> list[Reading]:
        """Readings that appeared since the last call, in the order they were written."""
        ...


def has_more(source: MetricSource) -> bool:
    """Whether `source` stopped its last read at its bound (more is waiting)."""
    return bool(getattr(source, "more", False))
