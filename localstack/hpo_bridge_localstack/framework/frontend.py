"""What a cloud's front end is to the framework, and what it receives when it is mounted.

The emulator's life cycle, as a front end sees it:

1. `Factory(**options)` (the registry's entry) builds it; nothing is bound yet;
2. `ssl_context(host, work_dir)`: None for plain http, or a server context for https;
3. the server binds its port (0: any free one), so the URL is known;
4. `mount(site)`: add routes and mounts to `site.router`, child programs with
   `site.add_child(...)`; they are started before the first request is served;
5. requests: `fault_response` renders an injected fault (and an unexpected exception of a
   route handler, as an `error`) in the cloud's error shape; `not_found` answers what no
   target serves;
6. `close()` when the emulator stops (end running jobs: no trial outlives the emulator);
   then the port closes and the child programs are stopped.

`env()` is what a user exports to point the cloud's own clients at the emulator (printed
by `hpo-bridge emulate`); `client(...)` builds such a client, for tests.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from werkzeug.serving import WSGIRequestHandler

from hpo_bridge_localstack.framework.faults import DENY, THROTTLE
from hpo_bridge_localstack.framework.http import Request, Response, json_response
from hpo_bridge_localstack.framework.routing import Call, Router

if TYPE_CHECKING:
    from hpo_bridge_localstack.framework.children import ChildProcess


@dataclass
class Site:
    """Where a front end is served, handed to `FrontEnd.mount`."""

    name: str
    host: str
    port: int
    url: str  # http(s)://host:port, no trailing slash
    work_dir: Path  # the emulator's scratch folder (jobs, trials, certificates, logs)
    router: Router
    children: list[ChildProcess] = field(default_factory=list)

    def add_child(self, child: ChildProcess) -> ChildProcess:
        """Start `child` with the emulator (before it serves) and stop it with the emulator."""
        self.children.append(child)
        return child


class FrontEnd:
    """One cloud's API on the emulator's endpoint. Subclass it; `mount` is required."""

    #: The port `hpo-bridge emulate NAME` listens on when --port is not given.
    default_port: ClassVar[int] = 0

    def ssl_context(self, host: str, work_dir: Path) -> ssl.SSLContext | None:
        """A server context to serve https (see framework/tls.py); None: plain http."""
        return None

    def request_handler(self) -> type[WSGIRequestHandler]:
        """The werkzeug request handler class (moto's keeps underscores in header names)."""
        return WSGIRequestHandler

    def mount(self, site: Site) -> None:
        """Add this front end's routes, mounts and child programs to `site`."""
        raise NotImplementedError

    def env(self, **options: Any) -> dict[str, str]:
        """Environment variables pointing the cloud's clients at this emulator."""
        return {}

    def client(self, *args: Any, **kwargs: Any) -> Any:
        """A client of the cloud's SDK talking to this emulator (for tests)."""
        raise NotImplementedError(f"{type(self).__name__} has no client() helper")

    def fault_response(self, kind: str, call: Call, request: Request) -> Response:
        """The answer to an injected fault `kind` (throttle, error, deny) of `call`.

        The default is a neutral JSON error; a front end answers in its cloud's shape.
        """
        status = {THROTTLE: 429, DENY: 403}.get(kind, 500)
        message = f"injected fault: {kind} on {call.operation}"
        return json_response({"error": {"code": kind, "message": message}}, status)

    def not_found(self, request: Request) -> Response:
        message = f"the emulator does not serve {request.method} {request.path}"
        return json_response({"error": {"code": "NotFound", "message": message}}, 404)

    def health(self) -> dict[str, Any]:
        """Extra facts for `GET /_emulator/health`."""
        return {}

    def close(self) -> None:
        """The emulator stops: end what runs (jobs, trials); the port is still open."""
