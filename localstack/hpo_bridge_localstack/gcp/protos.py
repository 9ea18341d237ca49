"""Vertex AI's request bodies through the SDK's own types (`google.cloud.aiplatform_v1`).

The REST clients send camelCase JSON with enums as integers and int64 as strings
(`?$alt=json;enum-encoding=int`); the types parse either form, reject unknown fields and
bad types, and give back a canonical dict (enum names, defaults left out) to work on.
"""

from __future__ import annotations

import json
from typing import Any

from hpo_bridge_localstack.gcp.errors import InvalidArgument


def compact(message: Any, integers: bool = False) -> dict[str, Any]:
    """A message as REST JSON without default values (enum names unless `integers`)."""
    text = type(message).to_json(message, use_integers_for_enums=integers,
                                 always_print_fields_with_no_presence=False, indent=None)
    data: dict[str, Any] = json.loads(text)
    return data


def parse(message_type: Any, raw: bytes | str) -> Any:
    """The message of `raw` JSON; InvalidArgument (Google's wording) when it is not one."""
    try:
        return message_type.from_json(raw if isinstance(raw, str) else raw.decode())
    except Exception as exc:  # json_format.ParseError, ValueError, UnicodeDecodeError
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InvalidArgument(f"Invalid JSON payload received. {first}") from None
