"""Tiny helpers to write SVG and HTML text: escaping, number formats, elements.

Everything here is deterministic text: coordinates are rounded to one decimal
(enough for a screen, and it keeps a report of thousands of trials small), and
every string that may come from a user goes through `esc`.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any


def esc(text: Any) -> str:
    """HTML/SVG-escaped text, quotes included (safe in text and attribute values)."""
    return html.escape(str(text), quote=True)


def coord(x: float) -> str:
    """A coordinate with at most one decimal: `12`, `12.5`."""
    text = f"{x:.1f}"
    if text.endswith(".0"):
        text = text[:-2]
    return "0" if text == "-0" else text


def fmt_number(value: float, digits: int = 6) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    return f"{value:.{digits}g}"


def fmt_value(value: Any) -> str:
    """A parameter's or metric's value as shown to a reader (not escaped)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool | int | float):
        return fmt_number(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


CHAR = 6.2  # the widest a 10px tick label's average character gets (system-ui)


def text_width(label: str, size: float = 10.0) -> float:
    """A generous estimate of a label's width in px at font `size` (an ellipsis is about
    as wide as two narrow characters)."""
    return (len(label) + 0.7 * label.count("\u2026")) * CHAR * size / 10.0


def short(text: str, width: int = 18) -> str:
    """Long labels are cut with an ellipsis so axes stay readable."""
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def points(xy: Sequence[tuple[float, float]]) -> str:
    """A polyline's `points`; one point is doubled so a round cap still shows a dot."""
    if len(xy) == 1:
        xy = [xy[0], xy[0]]
    return " ".join(f"{coord(x)},{coord(y)}" for x, y in xy)


def attrs(**values: Any) -> str:
    """` key="value"` pairs, escaped; `None` values are left out; `_` in keys becomes `-`."""
    return "".join(
        f' {key.rstrip("_").replace("_", "-")}="{esc(value)}"'
        for key, value in values.items()
        if value is not None
    )


def text(x: float, y: float, label: str, cls: str | None = None, anchor: str | None = None,
         rotate: float | None = None) -> str:
    transform = None if rotate is None else f"rotate({coord(rotate)} {coord(x)} {coord(y)})"
    at = attrs(x=coord(x), y=coord(y), class_=cls, text_anchor=anchor, transform=transform)
    return f"<text{at}>{esc(label)}</text>"


def line(x1: float, y1: float, x2: float, y2: float, cls: str | None = None) -> str:
    return f"<line{attrs(x1=coord(x1), y1=coord(y1), x2=coord(x2), y2=coord(y2), class_=cls)}/>"


GROW = 1.3  # a chart fills its column, growing at most this much beyond its drawn size


def svg(width: float, height: float, cls: str, label: str, body: Iterable[str],
        **data: Any) -> str:
    """An inline `<svg>` with its accessible label, `data-*` attributes and body. It
    scales with its column (the stylesheet sets width 100%; the viewBox keeps its shape),
    so nothing in it overlaps at one width that does not at another."""
    data_attrs = attrs(**{f"data_{k}": v for k, v in data.items()})
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="{esc(cls)}"'
            f' width="{coord(width)}" height="{coord(height)}"'
            f' viewBox="0 0 {coord(width)} {coord(height)}" role="img"'
            f' style="max-width:{coord(width * GROW)}px"'
            f' aria-label="{esc(label)}"{data_attrs}>')
    return head + "\n" + "\n".join(body) + "\n</svg>"
