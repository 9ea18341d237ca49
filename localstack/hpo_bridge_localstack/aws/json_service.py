"""An emulated AWS service speaking the JSON protocol (`X-Amz-Target: <Prefix>.<Operation>`).

The request is checked against botocore's model of the service (aws/validation.py), then
answered by the service's `handle`; its errors go back as the service sends them
(`{"__type", "message"}`), and a bug of ours as a 500 InternalFailure.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, Protocol

from botocore.model import ServiceModel

from hpo_bridge_localstack.aws.identity import Caller, caller_from
from hpo_bridge_localstack.aws.protocol import (
    InternalFailure,
    ServiceError,
    UnknownOperation,
    ValidationError,
    encode,
    error_body,
    response_headers,
)
from hpo_bridge_localstack.aws.validation import request_problems, validation_message
from hpo_bridge_localstack.framework.http import Environ, Request, StartResponse, status_line

log = logging.getLogger(__name__)


class JsonService(Protocol):
    """An emulated service speaking the AWS JSON protocol."""

    target_prefix: str
    service_model: ServiceModel

    def handle(self, operation: str, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """The operation's output (a dict in the output shape); raises ServiceError."""
        ...

    def close(self) -> None: ...


def target_operation(request: Request) -> tuple[str, str]:
    """(prefix, operation) of the request's X-Amz-Target ("" when absent)."""
    prefix, _, operation = request.headers.get("X-Amz-Target", "").partition(".")
    return prefix, operation


class JsonServiceApp:
    """The WSGI application serving one JsonService."""

    def __init__(self, service: JsonService) -> None:
        self.service = service

    def accepts(self, request: Request) -> bool:
        prefix, operation = target_operation(request)
        return prefix == self.service.target_prefix and bool(operation)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        _, operation = target_operation(request)
        try:
            params = _read_params(request)
            try:
                op_model = self.service.service_model.operation_model(operation)
            except Exception:
                raise UnknownOperation(f"Operation {operation} is not supported") from None
            problems = request_problems(params, op_model.input_shape)
            if problems:
                raise ValidationError(validation_message(problems))
            output = self.service.handle(operation, params, caller_from(environ))
        except ServiceError as exc:
            return _answer(start_response, exc.status, error_body(exc))
        except Exception as exc:  # a bug of ours is the service's 500, not a dropped request
            log.exception("%s.%s failed", self.service.target_prefix, operation)
            return _answer(start_response, 500, error_body(InternalFailure(str(exc))))
        return _answer(start_response, 200, encode(output))


def _read_params(request: Request) -> dict[str, Any]:
    raw = request.get_data()
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        raise ValidationError("The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ValidationError("The request body must be a JSON object")
    return data


def _answer(start_response: StartResponse, status: int, body: bytes) -> list[bytes]:
    start_response(status_line(status), response_headers(body))
    return [body]
