"""One endpoint for everything: emulated JSON services first, moto for the rest.

A request whose `X-Amz-Target` names an emulated service (`SageMaker.<Operation>`) is
validated against botocore's model and answered by our code; every other request (S3 REST,
CloudWatch Logs JSON, ...) goes to moto's own WSGI application, mounted in this process.
Mounting moto's app (rather than proxying to a second moto server) keeps one port, one
process and one moto state, with no HTTP hop to fail; `/_emulator/*` is the control plane.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from botocore.model import ServiceModel

from hpo_bridge_localstack.aws.identity import Caller, caller_from
from hpo_bridge_localstack.aws.protocol import (
    AccessDenied,
    InternalFailure,
    ServiceError,
    Throttling,
    UnknownOperation,
    ValidationError,
    encode,
    error_body,
    response_headers,
    status_line,
)
from hpo_bridge_localstack.aws.validation import request_problems, validation_message
from hpo_bridge_localstack.faults import CallStats, Fault, FaultPlan, FaultSpecError

log = logging.getLogger(__name__)
StartResponse = Callable[..., Any]


class JsonService(Protocol):
    """An emulated service speaking the AWS JSON protocol."""

    target_prefix: str
    service_model: ServiceModel

    def handle(self, operation: str, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """The operation's output (a dict in the output shape); raises ServiceError."""
        ...

    def close(self) -> None: ...


class EmulatorApp:
    """The WSGI application behind the emulator's one endpoint."""

    def __init__(self, faults: FaultPlan, stats: CallStats) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.faults = faults
        self.stats = stats
        self.services: dict[str, JsonService] = {}
        self._moto = DomainDispatcherApplication(create_backend_app)

    def add_service(self, service: JsonService) -> None:
        self.services[service.target_prefix] = service

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/_emulator/"):
            return self._control(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        prefix, _, operation = target.partition(".")
        service = self.services.get(prefix) if operation else None
        caller = caller_from(environ)
        label = operation if service is not None else self._label(caller, target, environ)
        if not caller.internal:
            self.stats.record(label)
            kind = self.faults.take(label)
            if kind is not None:
                return self._inject(kind, label, caller, environ, start_response, xml=not target)
        if service is not None:
            return self._json_call(service, operation, environ, start_response, caller)
        return self._moto(environ, start_response)

    # -- emulated JSON services --------------------------------------------------------
    def _json_call(
        self,
        service: JsonService,
        operation: str,
        environ: dict[str, Any],
        start_response: StartResponse,
        caller: Caller,
    ) -> Iterable[bytes]:
        try:
            params = _read_json(environ)
            try:
                op_model = service.service_model.operation_model(operation)
            except Exception:
                raise UnknownOperation(f"Operation {operation} is not supported") from None
            problems = request_problems(params, op_model.input_shape)
            if problems:
                raise ValidationError(validation_message(problems))
            output = service.handle(operation, params, caller)
        except ServiceError as exc:
            return _answer(start_response, exc.status, error_body(exc))
        except Exception as exc:  # a bug of ours is the service's 500, not a dropped request
            log.exception("%s.%s failed", service.target_prefix, operation)
            return _answer(start_response, 500, error_body(InternalFailure(str(exc))))
        return _answer(start_response, 200, encode(output))

    # -- faults ------------------------------------------------------------------------
    @staticmethod
    def _label(caller: Caller, target: str, environ: dict[str, Any]) -> str:
        service = caller.service or "unknown"
        if target:
            return f"{service}:{target.rpartition('.')[2]}"
        return f"{service}:{environ.get('REQUEST_METHOD', 'GET')}"

    @staticmethod
    def _inject(
        kind: str,
        label: str,
        caller: Caller,
        environ: dict[str, Any],
        start_response: StartResponse,
        xml: bool,
    ) -> Iterable[bytes]:
        if kind == "drop":
            sock = environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            # werkzeug treats a ConnectionError as a dropped client: no answer is written.
            raise ConnectionAbortedError(f"fault injection: dropped {label}")
        error = _fault_error(kind, label, caller)
        if xml:  # S3 speaks XML: throttling is 503 SlowDown, a denial 403 AccessDenied
            code, status = {"throttle": ("SlowDown", 503), "deny": ("AccessDenied", 403)}.get(
                kind, ("InternalError", 500))
            body = (
                '<?xml version="1.0" encoding="UTF-8"?>'
                f"<Error><Code>{code}</Code><Message>{error.message}</Message></Error>"
            ).encode()
            start_response(
                status_line(status),
                [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return _answer(start_response, error.status, error_body(error))

    # -- control plane -----------------------------------------------------------------
    def _control(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ["PATH_INFO"].rstrip("/")
        method = environ.get("REQUEST_METHOD", "GET")
        try:
            if path == "/_emulator/stats" and method == "GET":
                return _answer_json(start_response, 200, self.stats_payload())
            if path == "/_emulator/stats/reset" and method == "POST":
                self.stats.reset()
                return _answer_json(start_response, 200, self.stats_payload())
            if path == "/_emulator/faults" and method == "POST":
                body = _read_json(environ)
                for text in body.get("faults", []):
                    self.faults.add(Fault.parse(text))
                if "operation" in body:
                    self.faults.add(
                        Fault.make(body["operation"], body.get("kind", ""), body.get("count", 1))
                    )
                return _answer_json(start_response, 200, {"pending": self.faults.pending()})
            if path == "/_emulator/faults" and method == "DELETE":
                self.faults.clear()
                return _answer_json(start_response, 200, {"pending": []})
            if path == "/_emulator/health":
                return _answer_json(
                    start_response, 200, {"status": "ok", "services": sorted(self.services)}
                )
        except (FaultSpecError, ServiceError) as exc:
            return _answer_json(start_response, 400, {"message": str(exc)})
        return _answer_json(start_response, 404, {"message": f"no such endpoint {method} {path}"})

    def stats_payload(self) -> dict[str, Any]:
        return {
            "calls": self.stats.snapshot(),
            "total": self.stats.total(),
            "faults_injected": dict(sorted(self.faults.injected.items())),
            "faults_pending": self.faults.pending(),
        }


def _fault_error(kind: str, label: str, caller: Caller) -> ServiceError:
    if kind == "throttle":
        return Throttling("Rate exceeded")
    if kind == "deny":  # the wording IAM gives a caller whose policies lack the action
        service, _, operation = label.rpartition(":")
        action = f"{service or 'sagemaker'}:{operation}"
        return AccessDenied(
            f"User: arn:aws:iam::{caller.account}:user/emulated is not authorized to perform:"
            f" {action} because no identity-based policy allows the {action} action")
    return InternalFailure("Internal error")


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    from werkzeug.wsgi import get_input_stream

    raw = get_input_stream(environ).read()
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


def _answer_json(start_response: StartResponse, status: int, payload: Any) -> list[bytes]:
    body = json.dumps(payload, indent=1).encode()
    start_response(
        status_line(status),
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]
