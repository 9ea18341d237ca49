"""The AWS front end: emulated JSON services first, moto's server application for the rest.

A request whose `X-Amz-Target` names an emulated service (`SageMaker.<Operation>`) is
answered by our code; every other request (S3 REST, CloudWatch Logs JSON, CloudWatch
metrics, STS, ...) goes to moto's own WSGI application, mounted in this process (Logs'
FilterLogEvents through logs_filter.py, which adds the logStreamNamePrefix moto ignores).
Mounting moto's app (rather than proxying to a second moto server) keeps one port, one
process and one moto state, with no HTTP hop to fail.

Calls are named by operation: an emulated service's operation as is
(`DescribeHyperParameterTuningJob`), moto's as `<service>:<Operation>` (`logs:PutLogEvents`)
or `<service>:<HTTP method>` for REST services (`s3:PUT`). Faults are answered as AWS does:
400 ThrottlingException, 500 InternalFailure, 400 AccessDeniedException with IAM's wording;
S3 (XML) gets 503 SlowDown, 500 InternalError and 403 AccessDenied. The emulator's own calls
(its boto3 clients, marked by their user agent) are neither counted nor faulted.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from werkzeug.serving import WSGIRequestHandler

from hpo_bridge_localstack.aws.identity import DEFAULT_REGION, caller_from
from hpo_bridge_localstack.aws.json_service import JsonService, JsonServiceApp
from hpo_bridge_localstack.aws.logs_filter import FilterLogEventsByPrefix, is_filter_log_events
from hpo_bridge_localstack.aws.protocol import (
    AccessDenied,
    InternalFailure,
    ServiceError,
    Throttling,
    error_body,
    response_headers,
)
from hpo_bridge_localstack.framework.faults import DENY, THROTTLE
from hpo_bridge_localstack.framework.frontend import FrontEnd, Site
from hpo_bridge_localstack.framework.http import Request, Response
from hpo_bridge_localstack.framework.routing import Call

# moto accepts any credentials; these keep boto3 from searching the machine for real ones.
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def aws_call(request: Request) -> Call:
    """The call's operation name and whether the emulator itself made it."""
    caller = caller_from(request.environ)
    target = request.headers.get("X-Amz-Target", "")
    service = caller.service or "unknown"
    if target:
        operation = target.rpartition(".")[2]
        label = f"{service}:{operation}"
    else:
        label = f"{service}:{request.method}"
    return Call(label, internal=caller.internal)


def _service_call(request: Request) -> Call:
    call = aws_call(request)  # an emulated service's own operations go by their bare names
    return Call(call.operation.partition(":")[2], call.internal)


def aws_fault(kind: str, call: Call, request: Request) -> Response:
    """An injected fault as AWS answers it (JSON services; XML for REST ones like S3)."""
    if not request.headers.get("X-Amz-Target"):
        code, status = {THROTTLE: ("SlowDown", 503), DENY: ("AccessDenied", 403)}.get(
            kind, ("InternalError", 500))
        message = _fault_error(kind, call, request).message
        body = ('<?xml version="1.0" encoding="UTF-8"?>'
                f"<Error><Code>{code}</Code><Message>{message}</Message></Error>")
        return Response(body, status=status, content_type="application/xml")
    error = _fault_error(kind, call, request)
    body_bytes = error_body(error)
    return Response(body_bytes, status=error.status, headers=response_headers(body_bytes))


def _fault_error(kind: str, call: Call, request: Request) -> ServiceError:
    if kind == THROTTLE:
        return Throttling("Rate exceeded")
    if kind == DENY:  # the wording IAM gives a caller whose policies lack the action
        caller = caller_from(request.environ)
        service, _, operation = call.operation.rpartition(":")
        action = f"{service or caller.service or 'aws'}:{operation}"
        return AccessDenied(
            f"User: arn:aws:iam::{caller.account}:user/emulated is not authorized to perform:"
            f" {action} because no identity-based policy allows the {action} action")
    return InternalFailure("Internal error")


class AwsFrontEnd(FrontEnd):
    """AWS on one endpoint: the JSON services `services(site)` makes, then moto."""

    default_port = 4566  # LocalStack's edge port, which AWS tooling users expect

    def __init__(self) -> None:
        self.services: list[JsonService] = []
        self.endpoint_url = ""

    def services_for(self, site: Site) -> list[JsonService]:
        """The emulated JSON services (a subclass's)."""
        return []

    def request_handler(self) -> type[WSGIRequestHandler]:
        from moto.moto_server.werkzeug_app import MotoRequestHandler

        handler: type[WSGIRequestHandler] = MotoRequestHandler
        return handler

    def mount(self, site: Site) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.endpoint_url = site.url
        self.services = self.services_for(site)
        for service in self.services:
            app = JsonServiceApp(service)
            site.router.mount(app, when=app.accepts, operation=_service_call,
                              faults=aws_fault)
        moto_app = DomainDispatcherApplication(create_backend_app)
        site.router.mount(FilterLogEventsByPrefix(moto_app), when=is_filter_log_events,
                          operation=aws_call, faults=aws_fault)
        site.router.mount(moto_app, operation=aws_call, faults=aws_fault)

    def env(self, region: str = DEFAULT_REGION, **_: Any) -> dict[str, str]:
        """AWS_ENDPOINT_URL (every AWS SDK's own setting), the region and test keys."""
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_DEFAULT_REGION": region,
                **TEST_CREDENTIALS}

    def client(self, service: str, region: str = DEFAULT_REGION, **kwargs: Any) -> Any:
        """A boto3 client of `service` talking to this emulator."""
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=region,
            aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            **kwargs,
        )

    def fault_response(self, kind: str, call: Call, request: Request) -> Response:
        return aws_fault(kind, call, request)

    def health(self) -> dict[str, Any]:
        return {"services": sorted(s.target_prefix for s in self.services)}

    def close(self) -> None:
        for service in self.services:
            service.close()


class SageMakerFrontEnd(AwsFrontEnd):
    """`hpo-bridge emulate sagemaker`: SageMaker tuning (our code), S3 and Logs (moto)."""

    def __init__(self, quotas: Any = None, run_jobs: bool = True,
                 clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.quotas = quotas
        self.run_jobs = run_jobs  # False: jobs are accepted and described, never run
        self.clock = clock

    def services_for(self, site: Site) -> list[JsonService]:
        from hpo_bridge_localstack.aws.sagemaker.service import SageMakerService

        return [SageMakerService(endpoint_url=site.url, work_dir=site.work_dir,
                                 quotas=self.quotas, run_jobs=self.run_jobs, clock=self.clock)]
