"""Routing: which front-end code answers a request, and under which operation name.

A front end adds two kinds of targets to the emulator's one `Router`:

- **routes**, by method and path (werkzeug rule syntax, e.g.
  `/v1/projects/<project>/locations/<location>/hyperparameterTuningJobs/<job>:cancel`): the
  handler gets a werkzeug `Request` and the path's values, and returns a `Response`. This is
  how REST APIs (Google's JSON routes, ARM, MLflow) are served.
- **mounts**, whole WSGI applications chosen by a path prefix and/or a predicate on the
  request's headers (e.g. AWS's `X-Amz-Target`, or "everything else" for moto's server app).
  A predicate must not read the body: the mounted application reads it.

Routes are tried first, then mounts in the order they were added. Every target names the
operation of each call (`operation`), which is what call statistics count and what faults
are aimed at, and may bring its own `faults` renderer (else the front end's is used).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, Rule

from hpo_bridge_localstack.framework.http import Request, Response, WSGIApp

Handler = Callable[..., Response]  # handler(request, **path_values) -> Response


@dataclass(frozen=True)
class Call:
    """One request as the statistics and fault injection see it."""

    operation: str
    internal: bool = False  # the emulator calling itself: neither counted nor faulted


Labeller = Callable[[Request], "Call | str"]
FaultRenderer = Callable[[str, Call, Request], Response]  # (kind, call, request) -> answer


@dataclass(frozen=True)
class Target:
    """What the router chose for one request."""

    call: Call
    handler: Handler | None = None  # a route: handler(request, **values)
    values: Mapping[str, Any] | None = None
    app: WSGIApp | None = None  # a mount
    faults: FaultRenderer | None = None


@dataclass(frozen=True)
class _Route:
    handler: Handler
    operation: str | Labeller
    faults: FaultRenderer | None


@dataclass(frozen=True)
class _Mount:
    app: WSGIApp
    prefix: str
    when: Callable[[Request], bool] | None
    operation: Labeller
    faults: FaultRenderer | None


def _call(operation: str | Labeller, request: Request) -> Call:
    found = operation if isinstance(operation, str) else operation(request)
    return found if isinstance(found, Call) else Call(found)


class Router:
    """Routes by method and path, then mounted WSGI applications."""

    def __init__(self) -> None:
        self._map = Map(strict_slashes=False, merge_slashes=False)
        self._routes: list[_Route] = []
        self._mounts: list[_Mount] = []

    def route(
        self,
        rule: str,
        handler: Handler,
        *,
        methods: Sequence[str] = ("GET",),
        operation: str | Labeller | None = None,
        faults: FaultRenderer | None = None,
    ) -> None:
        """Answer `methods` on the path `rule` with `handler(request, **values)`.

        `operation` names the call (default: the handler's name).
        """
        index = len(self._routes)
        self._routes.append(_Route(handler, operation or handler.__name__, faults))
        self._map.add(Rule(rule, methods=[m.upper() for m in methods], endpoint=index))

    def mount(
        self,
        app: WSGIApp,
        *,
        operation: Labeller,
        prefix: str = "",
        when: Callable[[Request], bool] | None = None,
        faults: FaultRenderer | None = None,
    ) -> None:
        """Hand requests under `prefix` (and for which `when(request)` holds) to `app`."""
        self._mounts.append(_Mount(app, prefix, when, operation, faults))

    def match(self, request: Request) -> Target | None:
        """The target for `request`, or None when nothing serves it."""
        if self._routes:
            adapter = self._map.bind_to_environ(request.environ)
            try:
                endpoint, values = adapter.match()
            except HTTPException:  # no such path, or not that method: try the mounts
                pass
            else:
                route = self._routes[endpoint]
                return Target(_call(route.operation, request), handler=route.handler,
                              values=values, faults=route.faults)
        for mount in self._mounts:
            if not request.path.startswith(mount.prefix):
                continue
            if mount.when is not None and not mount.when(request):
                continue
            return Target(_call(mount.operation, request), app=mount.app, faults=mount.faults)
        return None
