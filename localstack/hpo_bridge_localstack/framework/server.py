"""Serve one emulator on one local port, in a background thread of this process.

    with Emulator("sagemaker") as emu:          # port 0: a free port on 127.0.0.1
        emu.url, emu.env(), emu.client("s3")    # the front end's env() and client()
        emu.inject_fault("CreateHyperParameterTuningJob", "throttle", 2)
        emu.stats()["calls"]

`hpo-bridge emulate NAME --port 0` runs the same server in the foreground and prints its URL
as the first line of its standard output. Which front end serves NAME comes from the
registry (registry.py); the front end's hooks are described in frontend.py.
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from pathlib import Path
from typing import Any

from werkzeug.serving import WSGIRequestHandler

from hpo_bridge_localstack.framework import registry
from hpo_bridge_localstack.framework.app import EmulatorApp
from hpo_bridge_localstack.framework.faults import CallStats, Fault, FaultPlan
from hpo_bridge_localstack.framework.frontend import FrontEnd, Site
from hpo_bridge_localstack.framework.routing import Router

CHILD_LOGS = "children"


def _handler_class(base: type[WSGIRequestHandler], verbose: bool) -> type[WSGIRequestHandler]:
    class Handler(base):  # type: ignore[valid-type, misc]
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            if verbose:
                super().log_request(code, size)

    return Handler


class Emulator:
    """An emulator's HTTP(S) endpoint: the framework around one front end."""

    def __init__(
        self,
        name: str,
        *,
        host: str = "127.0.0.1",
        port: int | None = 0,
        faults: list[str] | None = None,
        work_dir: str | Path | None = None,
        verbose: bool = False,
        **options: Any,
    ) -> None:
        self.entry = registry.entry(name)  # UnknownEmulator before anything starts
        self.name = name
        self.host = host
        self.port = port
        self.verbose = verbose
        self.faults = FaultPlan([Fault.parse(f) for f in faults or []])
        self.calls = CallStats()
        self.options = options
        self.frontend: FrontEnd | None = None
        self.app: EmulatorApp | None = None
        self.site: Site | None = None
        self.scheme = "http"
        self._work_dir = Path(work_dir) if work_dir else None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> Emulator:
        """Build the front end, bind the port, start its child programs, serve."""
        from werkzeug.serving import make_server

        frontend = self.entry.load()(**self.options)
        self.frontend = frontend
        if self.port is None:  # `hpo-bridge emulate NAME` without --port
            self.port = frontend.default_port
        if self._work_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"hpo-bridge-emulate-{self.name}-")
            self._work_dir = Path(self._tmp.name)
        try:
            tls = frontend.ssl_context(self.host, self._work_dir)
            self.scheme = "https" if tls is not None else "http"
            router = Router()
            self.app = EmulatorApp(self.name, frontend, router, self.faults, self.calls)
            self._server = make_server(
                self.host, self.port, self.app, threaded=True, ssl_context=tls,
                request_handler=_handler_class(frontend.request_handler(), self.verbose),
            )
            self.port = self._server.server_port
            self.site = Site(self.name, self.host, self.port, self.url, self._work_dir, router)
            self.app.children = self.site.children
            frontend.mount(self.site)
            for child in self.site.children:
                child.start(self._work_dir / CHILD_LOGS)
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"emulate-{self.name}", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Start and block until `stop()` is called from another thread or a signal handler."""
        if self._server is None:
            self.start()
        assert self._thread is not None
        while self._thread.is_alive():
            self._thread.join(0.5)

    def stop(self) -> None:
        """End what the front end runs (no trial outlives this), close the port, stop the
        child programs, remove the temporary folder. Safe to call twice."""
        if self.frontend is not None:
            frontend, self.frontend = self.frontend, None
            frontend.close()
        if self._server is not None:
            server, self._server = self._server, None
            if self._thread is not None:
                server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self.site is not None:
            for child in reversed(self.site.children):
                with contextlib.suppress(Exception):
                    child.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
            self._work_dir = None

    def __enter__(self) -> Emulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- conveniences for tests and callers ------------------------------------------------
    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"{self.scheme}://{host}:{self.port}"

    @property
    def work_dir(self) -> Path:
        assert self._work_dir is not None, "start() first"
        return self._work_dir

    def _front(self) -> FrontEnd:
        assert self.frontend is not None, "start() first"
        return self.frontend

    def env(self, **options: Any) -> dict[str, str]:
        """What a user exports to point the cloud's clients here (the front end's env())."""
        return self._front().env(**options)

    def client(self, *args: Any, **kwargs: Any) -> Any:
        """A client of the cloud's SDK pointed here (the front end's client())."""
        return self._front().client(*args, **kwargs)

    def inject_fault(self, operation: str, kind: str, count: int = 1) -> None:
        """The first `count` calls of `operation` (`*`: any) fail as `kind`."""
        self.faults.add(Fault.make(operation, kind, count))

    def stats(self) -> dict[str, Any]:
        """Calls received per operation, faults injected and faults still pending."""
        assert self.app is not None, "start() first"
        return self.app.control.stats()

    def reset_stats(self) -> None:
        self.calls.reset()
