"""Durations: `90s`, `30m`, `2h`, `1d`, ISO 8601 (`PT2H`, `P1DT30M`) or a number of seconds."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

from hpo_bridge.core.durations import UNIT_SECONDS as _UNIT
from hpo_bridge.core.durations import format_duration
from hpo_bridge.spec.errors import shown

_SHORT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)\s*$")
_ISO = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: Any) -> float:
    """Seconds in `value`; raises ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as 90s, 30m, 2h, 1d or PT2H")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:
            raise ValueError("must be a positive duration of a sensible size") from None
    elif isinstance(value, str):
        text = value.strip()
        m = _SHORT.match(text)
        iso = _ISO.match(text.upper()) if text.upper() not in ("P", "PT") else None
        if m:
            seconds = float(m.group(1)) * _UNIT[m.group(2)]
        elif iso and any(iso.groupdict().values()):
            parts = {k: float(v) for k, v in iso.groupdict().items() if v}
            seconds = sum(parts.get(k, 0.0) * _UNIT[k] for k in _UNIT)
        else:
            raise ValueError(
                f"{shown(value)} is not a duration (use 90s, 30m, 2h, 1d, PT2H or seconds)"
            )
    else:
        raise ValueError("must be a duration such as 90s, 30m, 2h, 1d or PT2H")
    if not seconds > 0 or seconds != seconds or seconds == float("inf"):
        raise ValueError("must be a positive duration")
    return seconds


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json-unless-none"),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "number", "exclusiveMinimum": 0},
                {"type": "string", "pattern": r"^(\d+(\.\d+)?\s*[smhd]|P.+)$"},
            ],
            "description": "90s, 30m, 2h, 1d, ISO 8601 (PT2H) or seconds",
        }
    ),
]
