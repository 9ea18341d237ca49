"""Serve the emulator on one local port, in a background thread of this process.

    with Emulator("sagemaker") as emu:          # a free port on 127.0.0.1
        client = emu.client("sagemaker")       # or set emu.env() into os.environ
        ...

`hpo-bridge emulate sagemaker --port 0` runs the same server in the foreground and prints
its URL as the first line of its standard output.
"""

from __future__ import annotations

import importlib
import json
import tempfile
import threading
import urllib.request
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.app import EmulatorApp
from hpo_bridge_localstack.aws.identity import DEFAULT_REGION
from hpo_bridge_localstack.faults import CallStats, Fault, FaultPlan

# Emulated clouds by name: "module:factory", imported when that emulator starts.
EMULATORS = {
    "sagemaker": "hpo_bridge_localstack.sagemaker.service:SageMakerService",
}

# moto accepts any credentials; these keep boto3 from searching the machine for real ones.
TEST_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _handler_class(verbose: bool) -> type:
    from moto.moto_server.werkzeug_app import MotoRequestHandler

    class Handler(MotoRequestHandler):
        def log_request(self, code: Any = "-", size: Any = "-") -> None:
            if verbose:
                super().log_request(code, size)

    return Handler


class Emulator:
    """The emulator's HTTP endpoint and the emulated services behind it."""

    def __init__(
        self,
        name: str = "sagemaker",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: list[str] | None = None,
        work_dir: str | Path | None = None,
        verbose: bool = False,
        **service_options: Any,
    ) -> None:
        if name not in EMULATORS:
            raise ValueError(f"unknown emulator {name!r} (available: {', '.join(EMULATORS)})")
        self.name = name
        self.host = host
        self.port = port
        self.verbose = verbose
        self.faults = FaultPlan([Fault.parse(f) for f in faults or []])
        self.calls = CallStats()
        self.app = EmulatorApp(self.faults, self.calls)
        self._work_dir = Path(work_dir) if work_dir else None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self._service_options = service_options
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.service: Any = None

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> Emulator:
        from werkzeug.serving import make_server

        self._server = make_server(
            self.host,
            self.port,
            self.app,
            threaded=True,
            request_handler=_handler_class(self.verbose),
        )
        self.port = self._server.server_port
        if self._work_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix=f"hpo-bridge-emulate-{self.name}-")
            self._work_dir = Path(self._tmp.name)
        module, _, attr = EMULATORS[self.name].partition(":")
        factory = getattr(importlib.import_module(module), attr)
        self.service = factory(
            endpoint_url=self.url, work_dir=self._work_dir, **self._service_options
        )
        self.app.add_service(self.service)
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
        """Stop every tuning job (no trial process outlives this) and close the port."""
        if self.service is not None:
            self.service.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Emulator:
        return self.start() if self._server is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- conveniences for tests and callers ------------------------------------------------
    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"

    @property
    def work_dir(self) -> Path:
        assert self._work_dir is not None, "start() first"
        return self._work_dir

    def env(self, region: str = DEFAULT_REGION) -> dict[str, str]:
        """Environment variables that point boto3 (and any AWS SDK) at this emulator."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_DEFAULT_REGION": region,
            **TEST_CREDENTIALS,
        }

    def client(self, service: str, region: str = DEFAULT_REGION, **kwargs: Any) -> Any:
        import boto3

        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name=region,
            aws_access_key_id=TEST_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=TEST_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            **kwargs,
        )

    def inject_fault(self, operation: str, kind: str, count: int = 1) -> None:
        """The first `count` calls of `operation` (`*`: any) fail as `kind`."""
        self.faults.add(Fault.make(operation, kind, count))

    def stats(self) -> dict[str, Any]:
        """Calls received per operation, faults injected and faults still pending."""
        return self.app.stats_payload()

    def reset_stats(self) -> None:
        self.calls.reset()


def fetch_stats(url: str) -> dict[str, Any]:
    """`GET /_emulator/stats` of an emulator running elsewhere (e.g. a subprocess)."""
    with urllib.request.urlopen(f"{url.rstrip('/')}/_emulator/stats", timeout=10) as resp:
        return json.loads(resp.read())
