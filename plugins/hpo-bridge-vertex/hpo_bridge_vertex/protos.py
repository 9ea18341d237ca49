"""Vertex AI messages as plain REST-style dicts (camelCase, enum names, no defaults)."""

from __future__ import annotations

import json
from typing import Any


def to_dict(message: Any, defaults: bool = False) -> dict[str, Any]:
    """`defaults`: also the fields at their default (proto3 JSON leaves out a 0 bound, so
    comparing a request with a job's GET needs them)."""
    text = type(message).to_json(message, use_integers_for_enums=False,
                                 always_print_fields_with_no_presence=defaults, indent=None)
    data: dict[str, Any] = json.loads(text)
    return data
