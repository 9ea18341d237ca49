"""The WSGI application behind an emulator's one endpoint.

Every request goes through the same steps, whatever the cloud:

1. `/_emulator/...` is the control plane (control.py);
2. the router picks the front end's target and names the call's operation;
3. unless the call is the emulator's own, it is counted, and a pending fault for its
   operation is injected: `drop` closes the connection here, the other kinds are answered by
   the target's (or the front end's) fault renderer, in the cloud's error shape;
4. the target answers: a route handler (an exception it raises is rendered as an `error`
   fault, logged), or a mounted WSGI application.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hpo_bridge_localstack.framework.control import CONTROL_PREFIX, Control
from hpo_bridge_localstack.framework.faults import DROP, ERROR, CallStats, FaultPlan
from hpo_bridge_localstack.framework.frontend import FrontEnd
from hpo_bridge_localstack.framework.http import Environ, Request, Response, StartResponse
from hpo_bridge_localstack.framework.routing import Router, Target

if TYPE_CHECKING:
    from hpo_bridge_localstack.framework.children import ChildProcess

log = logging.getLogger(__name__)


class EmulatorApp:
    def __init__(self, name: str, frontend: FrontEnd, router: Router, faults: FaultPlan,
                 calls: CallStats) -> None:
        self.name = name
        self.frontend = frontend
        self.router = router
        self.faults = faults
        self.calls = calls
        self.children: list[ChildProcess] = []
        self.control = Control(self)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        if request.path.startswith(CONTROL_PREFIX):
            return self.control(request)(environ, start_response)
        target = self.router.match(request)
        if target is None:
            return self.frontend.not_found(request)(environ, start_response)
        call = target.call
        if not call.internal:
            self.calls.record(call.operation)
            kind = self.faults.take(call.operation)
            if kind is not None:
                return self._fault(kind, target, request)(environ, start_response)
        if target.app is not None:
            return target.app(environ, start_response)
        return self._handle(target, request)(environ, start_response)

    def _handle(self, target: Target, request: Request) -> Response:
        assert target.handler is not None
        try:
            return target.handler(request, **(target.values or {}))
        except Exception:  # a bug of ours is the service's 500, not a dropped request
            log.exception("%s: %s failed", self.name, target.call.operation)
            return self._render(ERROR, target, request)

    def _fault(self, kind: str, target: Target, request: Request) -> Response:
        if kind == DROP:
            sock = request.environ.get("werkzeug.socket")
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
            # werkzeug treats a ConnectionError as a dropped client: no answer is written.
            raise ConnectionAbortedError(f"fault injection: dropped {target.call.operation}")
        return self._render(kind, target, request)

    def _render(self, kind: str, target: Target, request: Request) -> Response:
        render = target.faults or self.frontend.fault_response
        return render(kind, target.call, request)
