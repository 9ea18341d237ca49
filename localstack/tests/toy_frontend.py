"""A throw-away front end for the framework's tests: no AWS, a Google-style REST API.

Routes by path (`GET /v1/things/<name>`, `POST /v1/things/<name>:cancel`), a mounted WSGI
application under `/raw/`, faults in Google's error shape, an optional child program and
optional https.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.framework import (
    Call,
    ChildProcess,
    FrontEnd,
    Site,
    free_port,
    json_response,
    local_tls,
)
from hpo_bridge_localstack.framework.faults import DENY, ERROR, THROTTLE
from werkzeug.wrappers import Request, Response

# Google's JSON error shape: {"error": {"code", "message", "status"}}
GOOGLE = {THROTTLE: (429, "RESOURCE_EXHAUSTED"), ERROR: (503, "UNAVAILABLE"),
          DENY: (403, "PERMISSION_DENIED")}


def google_error(code: int, status: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message, "status": status}}, code)


def raw_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = f"raw {environ['PATH_INFO']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(body)))])
    return [body]


class ToyFrontEnd(FrontEnd):
    def __init__(self, child: bool = False, tls: bool = False, bad_child: bool = False) -> None:
        self.with_child = child
        self.with_tls = tls
        self.bad_child = bad_child
        self.url = ""
        self.ca_file: Path | None = None
        self.child: ChildProcess | None = None
        self.closed = False

    def ssl_context(self, host: str, work_dir: Path) -> Any:
        if not self.with_tls:
            return None
        tls = local_tls(work_dir / "tls")
        self.ca_file = tls.ca_file
        return tls.context

    def mount(self, site: Site) -> None:
        self.url = site.url
        router = site.router
        router.route("/v1/things/<name>", self.get_thing, operation="GetThing")
        router.route("/v1/things/<name>:cancel", self.cancel_thing, methods=["POST"],
                     operation="CancelThing")
        router.route("/v1/boom", self.boom)
        router.route("/v1/whoami", self.whoami, operation=self.whoami_call)
        router.mount(raw_app, prefix="/raw/", operation=lambda r: f"raw:{r.method}")
        if self.with_child or self.bad_child:
            port = free_port()
            argv = ([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
                    if not self.bad_child else
                    [sys.executable, "-c", "import sys; print('no luck'); sys.exit(3)"])
            self.child = site.add_child(ChildProcess("storage", argv, port=port))

    # -- handlers ----------------------------------------------------------------------------
    def get_thing(self, request: Request, name: str) -> Response:
        return json_response({"name": name})

    def cancel_thing(self, request: Request, name: str) -> Response:
        return json_response({"cancelled": name})

    def boom(self, request: Request) -> Response:
        raise RuntimeError("a bug in a handler")

    def whoami(self, request: Request) -> Response:
        return json_response({"internal": request.headers.get("X-Toy-Internal") == "1"})

    @staticmethod
    def whoami_call(request: Request) -> Call:
        return Call("WhoAmI", internal=request.headers.get("X-Toy-Internal") == "1")

    # -- the hooks ---------------------------------------------------------------------------
    def env(self, **options: Any) -> dict[str, str]:
        env = {"TOY_API_ENDPOINT": self.url}
        if self.ca_file is not None:
            env["REQUESTS_CA_BUNDLE"] = str(self.ca_file)
        if self.child is not None:
            env["TOY_STORAGE_HOST"] = f"http://127.0.0.1:{self.child.port}"
        return env

    def fault_response(self, kind: str, call: Call, request: Request) -> Response:
        code, status = GOOGLE[kind]
        return google_error(code, status, f"{call.operation}: injected {kind}")

    def not_found(self, request: Request) -> Response:
        return google_error(404, "NOT_FOUND", f"{request.path} not found")

    def health(self) -> dict[str, Any]:
        return {"toy": True}

    def close(self) -> None:
        self.closed = True
