"""FilterLogEvents with `logStreamNamePrefix`, which moto's CloudWatch Logs ignores.

CloudWatch Logs searches only the streams whose names start with the prefix (the
SageMaker SDK and `aws logs filter-log-events --log-stream-name-prefix <job>/` read one
training job's logs that way). This app sits in front of moto for that one operation:
it turns the prefix into the matching stream names (moto honours `logStreamNames`) and
hands the request on, then leaves out the null members moto's answer carries (CloudWatch
Logs omits an absent nextToken). Giving both members is refused as CloudWatch Logs
refuses it.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterable
from typing import Any

from hpo_bridge_localstack.aws.identity import caller_from
from hpo_bridge_localstack.aws.protocol import (
    ServiceError,
    drop_none,
    encode,
    error_body,
    response_headers,
)
from hpo_bridge_localstack.framework.http import Environ, Request, StartResponse, WSGIApp

TARGET = "Logs_20140328.FilterLogEvents"


class InvalidParameter(ServiceError):
    code, status = "InvalidParameterException", 400


def is_filter_log_events(request: Request) -> bool:
    return request.headers.get("X-Amz-Target") == TARGET


def _stream_names(account: str, region: str, group: str, prefix: str) -> list[str] | None:
    """Streams of `group` named `prefix...`, sorted; None when the group is unknown."""
    from moto.logs.models import logs_backends

    found = logs_backends[account][region].groups.get(group)
    if found is None:
        return None
    return sorted(name for name in found.streams if name.startswith(prefix))


class FilterLogEventsByPrefix:
    """WSGI app: FilterLogEvents with logStreamNamePrefix, on top of moto's `app`."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        raw = request.get_data()
        try:
            params: Any = json.loads(raw or b"{}")
        except ValueError:
            params = None
        prefix = params.get("logStreamNamePrefix") if isinstance(params, dict) else None
        if prefix is not None:
            try:
                rewritten = self._by_names(environ, params, prefix)
            except ServiceError as exc:
                body = error_body(exc)
                start_response(f"{exc.status} Bad Request", response_headers(body))
                return [body]
            if rewritten is None:  # no stream has the prefix: nothing is searched
                body = json.dumps({"events": [], "searchedLogStreams": []}).encode()
                start_response("200 OK", response_headers(body))
                return [body]
            raw = json.dumps(rewritten).encode()
        environ["wsgi.input"] = io.BytesIO(raw)
        environ["CONTENT_LENGTH"] = str(len(raw))
        return self._without_nulls(environ, start_response)

    def _without_nulls(self, environ: Environ, start_response: StartResponse) -> list[bytes]:
        answer: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
            answer["status"], answer["headers"] = status, headers

        body = b"".join(self.app(environ, keep))
        if answer["status"].startswith("200"):
            with contextlib.suppress(ValueError):  # not JSON: passed on as it is
                body = encode(drop_none(json.loads(body)))
        headers = [(k, v) for k, v in answer["headers"] if k.lower() != "content-length"]
        start_response(answer["status"], [*headers, ("Content-Length", str(len(body)))])
        return [body]

    @staticmethod
    def _by_names(environ: Environ, params: dict[str, Any],
                  prefix: str) -> dict[str, Any] | None:
        if params.get("logStreamNames"):
            raise InvalidParameter(
                "Cannot specify both logStreamNames and logStreamNamePrefix")
        caller = caller_from(environ)
        names = _stream_names(caller.account, caller.region, params.get("logGroupName", ""),
                              prefix)
        rewritten = {k: v for k, v in params.items() if k != "logStreamNamePrefix"}
        if names is None:  # an unknown group: moto answers ResourceNotFoundException
            return rewritten
        if not names:
            return None
        rewritten["logStreamNames"] = names
        return rewritten
