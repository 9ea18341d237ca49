"""The AWS JSON 1.1 protocol as botocore parses it: bodies, errors and timestamps."""

from __future__ import annotations

import json
import uuid
from typing import Any

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"


class ServiceError(Exception):
    """An error the service answers with: `{"__type": code, "message": ...}` and a status."""

    code = "InternalFailure"
    status = 500

    def __init__(self, message: str, code: str | None = None, status: int | None = None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class ValidationError(ServiceError):
    code, status = "ValidationException", 400


class ResourceNotFound(ServiceError):
    code, status = "ResourceNotFound", 400


class ResourceInUse(ServiceError):
    code, status = "ResourceInUse", 400


class ResourceLimitExceeded(ServiceError):
    code, status = "ResourceLimitExceeded", 400


class Throttling(ServiceError):
    code, status = "ThrottlingException", 400


class AccessDenied(ServiceError):
    code, status = "AccessDeniedException", 400


class InternalFailure(ServiceError):
    code, status = "InternalFailure", 500


class UnknownOperation(ServiceError):
    code, status = "UnknownOperationException", 400


def epoch(t: float | None) -> float | None:
    """Timestamps travel as epoch seconds (with milliseconds) in the JSON protocol."""
    return None if t is None else round(t, 3)


def response_headers(body: bytes) -> list[tuple[str, str]]:
    return [
        ("Content-Type", JSON_CONTENT_TYPE),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


def error_body(error: ServiceError) -> bytes:
    return encode({"__type": error.code, "message": error.message})


def drop_none(value: Any) -> Any:
    """Absent members are left out of the body rather than sent as null."""
    if isinstance(value, dict):
        return {k: drop_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_none(v) for v in value]
    return value
