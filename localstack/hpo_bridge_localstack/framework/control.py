"""The control plane every emulator serves under `/_emulator/` (JSON in, JSON out):

    GET    /_emulator/health         {"status": "ok", "emulator": NAME, "children": [...], ...}
    GET    /_emulator/env            what a user exports (the front end's env())
    GET    /_emulator/stats          calls per operation, faults injected and pending
    POST   /_emulator/stats/reset    zero the counts
    POST   /_emulator/faults         {"faults": ["OP:KIND:N"]} or {"operation", "kind", "count"}
    DELETE /_emulator/faults         drop the pending faults
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo_bridge_localstack.framework.faults import Fault, FaultSpecError
from hpo_bridge_localstack.framework.http import Request, Response, json_response, read_json

if TYPE_CHECKING:
    from hpo_bridge_localstack.framework.app import EmulatorApp

CONTROL_PREFIX = "/_emulator/"


def _answer(payload: Any, status: int = 200) -> Response:
    return json_response(payload, status, indent=1)


class Control:
    def __init__(self, app: EmulatorApp) -> None:
        self.app = app

    def stats(self) -> dict[str, Any]:
        return {
            "calls": self.app.calls.snapshot(),
            "total": self.app.calls.total(),
            "faults_injected": dict(sorted(self.app.faults.injected.items())),
            "faults_pending": self.app.faults.pending(),
        }

    def health(self) -> dict[str, Any]:
        children = [{"name": c.name, "port": c.port, "running": c.running}
                    for c in self.app.children]
        return {"status": "ok", "emulator": self.app.name, "children": children,
                **self.app.frontend.health()}

    def __call__(self, request: Request) -> Response:
        path = request.path.rstrip("/")
        method = request.method
        faults = self.app.faults
        try:
            if path == "/_emulator/stats" and method == "GET":
                return _answer(self.stats())
            if path == "/_emulator/stats/reset" and method == "POST":
                self.app.calls.reset()
                return _answer(self.stats())
            if path == "/_emulator/faults" and method == "POST":
                body = read_json(request) or {}
                if not isinstance(body, dict):
                    raise FaultSpecError("the body must be a JSON object")
                for text in body.get("faults", []):
                    faults.add(Fault.parse(text))
                if "operation" in body:
                    faults.add(Fault.make(body["operation"], body.get("kind", ""),
                                          body.get("count", 1)))
                return _answer({"pending": faults.pending()})
            if path == "/_emulator/faults" and method == "DELETE":
                faults.clear()
                return _answer({"pending": []})
            if path == "/_emulator/health":
                return _answer(self.health())
            if path == "/_emulator/env" and method == "GET":
                return _answer(self.app.frontend.env())
        except (FaultSpecError, ValueError) as exc:
            return _answer({"message": str(exc)}, 400)
        return _answer({"message": f"no such endpoint {method} {path}"}, 404)
