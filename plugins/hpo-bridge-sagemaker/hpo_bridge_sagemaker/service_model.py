"""Offline validation of requests against botocore's own SageMaker service model.

botocore's ParamValidator checks types, required members, unknown keys and
minima; it skips enums, maxima and patterns, so those are read from the same
model here (never hard-coded: the model is the service's contract).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

SERVICE = "sagemaker"


@functools.cache
def service_model() -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(SERVICE)


def input_shape(operation: str) -> Any:
    return service_model().operation_model(operation).input_shape


def shape(name: str) -> Any:
    return service_model().shape_for(name)


def member_shape(structure: str, *path: str) -> Any:
    """The shape at `structure.member.member...` (list members via "[]")."""
    current = shape(structure)
    for part in path:
        current = current.member if part == "[]" else current.members[part]
    return current


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        # Some patterns use \p{L}-style classes Python's re lacks; the `regex` package has them.
        try:
            import regex  # type: ignore[import-not-found]

            return regex.compile(pattern)  # type: ignore[no-any-return]
        except Exception:
            return None


def pattern_matches(pattern: str, value: str) -> bool:
    compiled = _compiled(pattern)
    return compiled is None or compiled.fullmatch(value) is not None


def _skipped_checks(shp: Any, value: Any, path: str) -> Iterator[str]:
    """Enum, max length/size/value and pattern: what ParamValidator leaves out."""
    meta = shp.metadata
    kind = shp.type_name
    if kind == "string" and isinstance(value, str):
        enum = getattr(shp, "enum", None) or []
        if enum and value not in enum:
            shown = ", ".join(enum) if len(enum) <= 12 else ", ".join(enum[:12]) + ", ..."
            yield f"{path}: {value!r} is not one of {shown}"
        if "max" in meta and len(value) > meta["max"]:
            yield f"{path}: {len(value)} characters, at most {meta['max']}"
        if "pattern" in meta and not pattern_matches(meta["pattern"], value):
            yield f"{path}: {value!r} does not match the pattern {meta['pattern']}"
    elif kind in ("integer", "long", "float", "double") and isinstance(value, int | float):
        if "max" in meta and value > meta["max"]:
            yield f"{path}: {value} is more than the maximum {meta['max']}"
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            yield f"{path}: {len(value)} items, at most {meta['max']}"
        for i, item in enumerate(value):
            yield from _skipped_checks(shp.member, item, f"{path}[{i}]")
    elif kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            yield f"{path}: {len(value)} entries, at most {meta['max']}"
        for k, v in value.items():
            yield from _skipped_checks(shp.key, k, f"{path} key {k!r}")
            yield from _skipped_checks(shp.value, v, f"{path}.{k}")
    elif kind == "structure" and isinstance(value, dict):
        for name, v in value.items():
            if name in shp.members:
                yield from _skipped_checks(shp.members[name], v, f"{path}.{name}" if path else name)


def _botocore_problems(operation: str, params: dict[str, Any]) -> list[str]:
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(params, input_shape(operation))
    if not report.has_errors():
        return []
    return [line.strip() for line in report.generate_report().splitlines() if line.strip()]


def validate(operation: str, params: dict[str, Any]) -> list[str]:
    """Every problem of `params` for `operation`, one line each (empty when valid)."""
    problems = _botocore_problems(operation, params)
    problems += list(_skipped_checks(input_shape(operation), params, ""))
    return problems
