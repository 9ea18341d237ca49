"""Durations as text: the shortest exact short form (`90s`, `30m`, `2h`, `1d`).

The spec parses durations (hpo_bridge/spec/durations.py) and writes them back
with `format_duration`; the tuner names them in its reasons ("trial_timeout 30m
exceeded").
"""

from __future__ import annotations

# Seconds per unit of the short forms.
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def format_duration(seconds: float) -> str:
    """The shortest exact short form, so YAML -> model -> YAML stays readable."""
    for unit in ("d", "h", "m"):
        size = UNIT_SECONDS[unit]
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s" if seconds == int(seconds) else f"{seconds}s"
