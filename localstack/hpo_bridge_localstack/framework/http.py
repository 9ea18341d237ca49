"""Small HTTP helpers the framework and the front ends share (werkzeug underneath)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from http import HTTPStatus
from typing import Any

from werkzeug.wrappers import Request, Response

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]

__all__ = [
    "Environ", "Request", "Response", "StartResponse", "WSGIApp", "json_response", "read_json",
    "status_line",
]


def status_line(status: int) -> str:
    """`404 Not Found`: the status line WSGI wants."""
    return f"{status} {HTTPStatus(status).phrase}"


def json_response(
    payload: Any,
    status: int = 200,
    *,
    content_type: str = "application/json",
    headers: Mapping[str, str] | None = None,
    indent: int | None = None,
) -> Response:
    body = json.dumps(payload, indent=indent, separators=None if indent else (",", ":"))
    return Response(body, status=status, content_type=content_type, headers=dict(headers or {}))


def read_json(request: Request) -> Any:
    """The request's JSON body (None when empty); ValueError when it is not JSON."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        return None
    return json.loads(raw)
