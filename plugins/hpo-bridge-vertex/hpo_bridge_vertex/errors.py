"""What a Google client's exception means for the kit: retry it, or tell the user.

Retried: 429 (RESOURCE_EXHAUSTED), 500, 502, 503, 504 and dropped connections; never 400,
401, 403 or 404. The GAPIC calls are made with `retry=None` and the discovery calls with
no `num_retries`, so the kit's policy makes the only retries.
"""

from __future__ import annotations

import http.client
from typing import Any

from hpo_bridge.backends import CloudError, ErrorKind

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
KINDS = {400: ErrorKind.INVALID, 401: ErrorKind.CREDENTIALS, 403: ErrorKind.ACCESS,
         404: ErrorKind.NOT_FOUND, 409: ErrorKind.CONFLICT}


class JobNameTaken(Exception):
    """A job of this display name exists already (Vertex AI names jobs by number)."""

    def __init__(self, name: str) -> None:
        super().__init__(f"a job named {name} exists")
        self.name = name


def _kind(status: int) -> ErrorKind:
    if status in RETRY_STATUS:
        return ErrorKind.RETRYABLE
    return KINDS.get(status, ErrorKind.OTHER)


def _dropped(exc: BaseException) -> bool:
    import requests

    try:
        import httplib2
        lib2: tuple[type[BaseException], ...] = (httplib2.HttpLib2Error,)
    except ImportError:  # pragma: no cover - installed with google-api-python-client
        lib2 = ()
    dropped = (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
               ConnectionError, http.client.HTTPException, TimeoutError, *lib2)
    return isinstance(exc, dropped)


def classify(exc: BaseException) -> CloudError | None:
    from google.api_core import exceptions as core
    from google.auth import exceptions as auth

    if isinstance(exc, JobNameTaken):
        return CloudError(ErrorKind.CONFLICT, "ALREADY_EXISTS", str(exc))
    if isinstance(exc, auth.DefaultCredentialsError | auth.RefreshError):
        return CloudError(ErrorKind.CREDENTIALS, type(exc).__name__, _line(exc))
    if isinstance(exc, auth.TransportError):
        return CloudError(ErrorKind.RETRYABLE, type(exc).__name__, _line(exc))
    if isinstance(exc, core.GoogleAPICallError):
        status = int(exc.code or 0)
        reason = getattr(exc, "grpc_status_code", None)
        code = reason.name if reason is not None else type(exc).__name__
        return CloudError(_kind(status), code, _line(exc.message or exc))
    http_error = _http_error(exc)
    if http_error is not None:
        return http_error
    if _dropped(exc):
        return CloudError(ErrorKind.RETRYABLE, type(exc).__name__, _line(exc))
    return None


def _http_error(exc: BaseException) -> CloudError | None:
    try:
        from googleapiclient.errors import HttpError
    except ImportError:  # pragma: no cover
        return None
    if not isinstance(exc, HttpError):
        return None
    status = int(exc.status_code or 0)
    code = _status_word(exc) or str(status)
    return CloudError(_kind(status), code, _line(exc.reason or exc))


def _status_word(exc: Any) -> str | None:
    import json

    try:
        return str(json.loads(exc.content)["error"]["status"])
    except (ValueError, KeyError, TypeError):
        return None


def _line(value: Any) -> str:
    return " ".join(str(value).split())
