"""AI Platform Training requests checked against the discovery document that
google-api-python-client ships (`ml.v1.json`): field names, types and enum values, which
the discovery client itself never checks."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator
from importlib import resources
from typing import Any


@functools.cache
def document() -> dict[str, Any]:
    path = resources.files("googleapiclient").joinpath("discovery_cache/documents/ml.v1.json")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _schema(name: str) -> dict[str, Any]:
    found: dict[str, Any] = document()["schemas"][name]
    return found


def problems(value: Any, shape: dict[str, Any], path: str) -> Iterator[str]:
    if "$ref" in shape:
        yield from problems(value, _schema(shape["$ref"]), path)
        return
    kind, at = shape.get("type"), path or "body"
    if kind == "object":
        if not isinstance(value, dict):
            yield f"{at}: must be an object"
            return
        props = shape.get("properties")
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if props is None:
                yield from problems(item, shape.get("additionalProperties", {}), where)
            elif key not in props:
                yield f"{where}: unknown field (not in the ml v1 {at} schema)"
            else:
                yield from problems(item, props[key], where)
    elif kind == "array":
        if not isinstance(value, list):
            yield f"{at}: must be a list"
            return
        for i, item in enumerate(value):
            yield from problems(item, shape.get("items", {}), f"{path}[{i}]")
    elif kind == "string":
        if shape.get("format") == "int64":
            if isinstance(value, bool) or not (isinstance(value, int) or (
                    isinstance(value, str) and value.lstrip("-").isdigit())):
                yield f"{at}: {value!r} is not an integer"
        elif not isinstance(value, str):
            yield f"{at}: {value!r} is not a string"
        elif "enum" in shape and value not in shape["enum"]:
            yield f"{at}: {value!r} is not one of {', '.join(shape['enum'])}"
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            yield f"{at}: {value!r} is not an integer"
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            yield f"{at}: {value!r} is not a number"
    elif kind == "boolean" and not isinstance(value, bool):
        yield f"{at}: {value!r} is not true or false"


def job_problems(body: dict[str, Any]) -> list[str]:
    return list(problems(body, _schema("GoogleCloudMlV1__Job"), ""))
