"""AI Platform Training's request bodies checked against the discovery document that
google-api-python-client ships (`ml.v1.json`): field names, types and enum values.

The discovery client sends whatever it is given; the service refuses unknown fields
("Invalid JSON payload received. Unknown name ...") and values of the wrong type.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any


@functools.cache
def document() -> dict[str, Any]:
    text = resources.files("googleapiclient").joinpath(
        "discovery_cache/documents/ml.v1.json").read_text()
    data: dict[str, Any] = json.loads(text)
    return data


def schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = document()["schemas"][name]
    return found


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def problems(value: Any, shape: dict[str, Any], path: str) -> Iterator[str]:
    """Every way `value` does not fit `shape` (a discovery schema or property)."""
    if "$ref" in shape:
        yield from problems(value, schema(shape["$ref"]), path)
        return
    kind = shape.get("type")
    shown = path or "body"
    if kind == "object":
        if not isinstance(value, dict):
            yield f"{shown}: must be an object"
            return
        props = shape.get("properties")
        if props is None:  # a map
            extra = shape.get("additionalProperties")
            for key, item in value.items():
                if extra is not None:
                    yield from problems(item, extra, f"{path}.{key}" if path else key)
            return
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key not in props:
                yield f"Invalid JSON payload received. Unknown name \"{key}\" at '{shown}'"
            else:
                yield from problems(item, props[key], where)
    elif kind == "array":
        if not isinstance(value, list):
            yield f"{shown}: must be a list"
            return
        for i, item in enumerate(value):
            yield from problems(item, shape.get("items", {}), f"{path}[{i}]")
    elif kind == "string":
        fmt = shape.get("format")
        if fmt in ("int64", "uint64"):
            if isinstance(value, bool) or not isinstance(value, int | str):
                yield f"{shown}: must be an integer (int64)"
            elif isinstance(value, str) and not value.lstrip("-").isdigit():
                yield f"{shown}: {value!r} is not an integer"
        elif not isinstance(value, str):
            yield f"{shown}: must be a string"
        elif "enum" in shape and value not in shape["enum"]:
            yield f"{shown}: {value!r} is not one of {', '.join(shape['enum'])}"
    elif kind == "integer":
        if not _number(value) or float(value) != int(value):
            yield f"{shown}: must be an integer"
    elif kind == "number":
        if not _number(value):
            yield f"{shown}: must be a number"
    elif kind == "boolean" and not isinstance(value, bool):
        yield f"{shown}: must be true or false"


def job_problems(body: Any) -> list[str]:
    return list(problems(body, schema("GoogleCloudMlV1__Job"), ""))
