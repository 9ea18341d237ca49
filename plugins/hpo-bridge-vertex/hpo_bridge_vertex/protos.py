"""Vertex AI messages as plain REST-style dicts (camelCase, enum names, no defaults)."""

from __future__ import annotations

import json
from typing import Any


def to_dict(message: Any) -> dict[str, Any]:
    text = type(message).to_json(message, use_integers_for_enums=False,
                                 always_print_fields_with_no_presence=False, indent=None)
    data: dict[str, Any] = json.loads(text)
    return data
