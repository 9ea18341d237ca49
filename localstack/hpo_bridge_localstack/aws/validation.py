"""Validate a request the way the service does, from botocore's own service model.

botocore's ParamValidator checks types, required members, unknown keys and minima; the
service also enforces the model's enums, maxima and patterns, which the SDK never checks.
This walker reads those constraints from the shapes instead of hard-coding them, and phrases
each problem as the service does ("Value 'X' at 'a.b' failed to satisfy constraint: ...").
Minima are left to ParamValidator (which checks them), except on maps, which it skips.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

from botocore.model import Shape
from botocore.validate import ParamValidator

try:  # AWS patterns use Java classes such as \p{L}; the `regex` module understands them.
    import regex as _regex
except ImportError:  # pragma: no cover - regex ships with moto's dependencies
    _regex = None


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str) -> Any | None:
    try:
        return re.compile(pattern)
    except re.error:
        if _regex is None:
            return None
        try:
            return _regex.compile(pattern)
        except _regex.error:
            return None


def _wire_name(name: str) -> str:
    """Member names as the service prints them in its messages (lowerCamelCase)."""
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 100 else text[:97] + "..."


def _constraint(path: str, value: Any, rule: str) -> str:
    return f"Value '{_show(value)}' at '{path}' failed to satisfy constraint: {rule}"


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def constraint_problems(value: Any, shape: Shape, path: str = "") -> Iterator[str]:
    """Enum, max, min and pattern violations below `value` (types are ParamValidator's job)."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value and value[name] is not None:
                yield from constraint_problems(value[name], member, _join(path, _wire_name(name)))
        return
    if kind == "list" and isinstance(value, list):
        yield from _length_problems(path, value, meta, minimum=False)
        for i, item in enumerate(value, start=1):
            yield from constraint_problems(item, shape.member, f"{path}.{i}.member")
        return
    if kind == "map" and isinstance(value, dict):
        yield from _length_problems(path, value, meta)
        for key, item in value.items():
            yield from constraint_problems(key, shape.key, f"{path}.{key}.key")
            yield from constraint_problems(item, shape.value, f"{path}.{key}.value")
        return
    if kind == "string" and isinstance(value, str):
        enum = getattr(shape, "enum", None) or []
        if enum and value not in enum:
            rule = f"Member must satisfy enum value set: [{', '.join(enum)}]"
            yield _constraint(path, value, rule)
        yield from _length_problems(path, value, meta, minimum=False)
        pattern = meta.get("pattern")
        compiled = _compiled(pattern) if pattern else None
        if compiled is not None and compiled.fullmatch(value) is None:
            yield _constraint(
                path, value, f"Member must satisfy regular expression pattern: {pattern}"
            )
        return
    number = kind in ("integer", "long", "float", "double") and isinstance(value, int | float)
    if number and "max" in meta and value > meta["max"]:
        yield _constraint(
            path, value, f"Member must have value less than or equal to {meta['max']}"
        )


def _length_problems(
    path: str, value: Any, meta: dict[str, Any], minimum: bool = True
) -> Iterator[str]:
    if minimum and "min" in meta and len(value) < meta["min"]:
        yield _constraint(
            path, value, f"Member must have length greater than or equal to {meta['min']}"
        )
    if "max" in meta and len(value) > meta["max"]:
        yield _constraint(
            path, value, f"Member must have length less than or equal to {meta['max']}"
        )


def structural_problems(params: Any, shape: Shape) -> list[str]:
    """What botocore's own ParamValidator reports: types, required and unknown members."""
    report = ParamValidator().validate(params, shape)
    if not report.has_errors():
        return []
    return report.generate_report().splitlines()


def request_problems(params: Any, shape: Shape | None) -> list[str]:
    """Every problem of a request against its input shape; empty when it is valid."""
    if shape is None:
        return []
    if not isinstance(params, dict):
        return ["The request body must be a JSON object"]
    # The walker skips ill-typed values, so the two lists never repeat a problem.
    return structural_problems(params, shape) + list(constraint_problems(params, shape))


def validation_message(problems: list[str]) -> str:
    """The service's summary: "N validation error(s) detected: a; b"."""
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return f"{count} validation {noun} detected: " + "; ".join(problems)
