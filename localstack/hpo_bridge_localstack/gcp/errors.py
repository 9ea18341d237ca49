"""Google's JSON error shape, `{"error": {"code", "message", "status"}}`, which the REST
clients (google-api-core, google-api-python-client) turn into the right exception by code."""

from __future__ import annotations

from typing import Any

from hpo_bridge_localstack.framework.faults import DENY, THROTTLE
from hpo_bridge_localstack.framework.http import Request, Response, json_response
from hpo_bridge_localstack.framework.routing import Call

# An injected fault as Google's front ends answer it.
FAULTS = {THROTTLE: (429, "RESOURCE_EXHAUSTED", "Quota exceeded for {op}: rate limited"),
          DENY: (403, "PERMISSION_DENIED", "Permission denied on {op} (or it may not exist)")}
UNAVAILABLE = (503, "UNAVAILABLE", "The service is currently unavailable ({op})")


class GoogleError(Exception):
    """An error answer; str() is its message."""

    code = 500
    status = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def response(self) -> Response:
        return google_error(self.code, self.status, self.message)


class InvalidArgument(GoogleError):
    code, status = 400, "INVALID_ARGUMENT"


class FailedPrecondition(GoogleError):
    code, status = 400, "FAILED_PRECONDITION"


class NotFound(GoogleError):
    code, status = 404, "NOT_FOUND"


class AlreadyExists(GoogleError):
    code, status = 409, "ALREADY_EXISTS"


class Unimplemented(GoogleError):
    code, status = 501, "UNIMPLEMENTED"


def google_error(code: int, status: str, message: str, **extra: Any) -> Response:
    return json_response({"error": {"code": code, "message": message, "status": status,
                                    **extra}}, code)


def fault_response(kind: str, call: Call, request: Request) -> Response:
    code, status, text = FAULTS.get(kind, UNAVAILABLE)
    return google_error(code, status, text.format(op=call.operation))
