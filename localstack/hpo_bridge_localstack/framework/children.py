"""Helper programs a front end needs beside it (a storage emulator: Azurite,
gcp-storage-emulator, ...), started with the emulator and stopped with it.

    port = free_port()
    site.add_child(ChildProcess("gcs", ["gcp-storage-emulator", "start", "--port", str(port)],
                                port=port))

`start()` returns once the program accepts connections on its port (or raises
ChildStartError with the end of its output); `stop()` sends SIGTERM to its process group,
then SIGKILL. Its output goes to `<work_dir>/children/<name>.log`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

LOG_TAIL = 2000  # characters of a child's output quoted when it fails to start


class ChildStartError(RuntimeError):
    """A child program exited or did not listen on its port in time."""


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (for a child that needs to be told its port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class ChildProcess:
    """One helper program, in its own process group."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        ready_timeout: float = 30.0,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self.host = host
        self.env = dict(env or {})
        self.cwd = cwd
        self.ready_timeout = ready_timeout
        self.log_path: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc is not None else None

    def start(self, log_dir: str | Path) -> ChildProcess:
        """Start it and wait until it listens on its port (when it has one)."""
        folder = Path(log_dir)
        folder.mkdir(parents=True, exist_ok=True)
        self.log_path = folder / f"{self.name}.log"
        with self.log_path.open("wb") as log:
            self._proc = subprocess.Popen(
                self.argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **self.env}, cwd=self.cwd, start_new_session=True,
            )
        if self.port is not None:
            self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        assert self._proc is not None and self.port is not None
        deadline = time.monotonic() + self.ready_timeout
        while not port_open(self.host, self.port):
            code = self._proc.poll()
            if code is not None:
                raise ChildStartError(
                    f"{self.name} exited with code {code} before listening on port"
                    f" {self.port}: {self.output_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise ChildStartError(
                    f"{self.name} did not listen on port {self.port} within"
                    f" {self.ready_timeout:g} s: {self.output_tail()}")
            time.sleep(0.05)

    def output_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return "(no output)"
        text = self.log_path.read_text(errors="replace").strip()
        return text[-LOG_TAIL:] or "(no output)"

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM to its process group; SIGKILL after `timeout` seconds. Its exit code."""
        proc = self._proc
        if proc is None:
            return None
        if proc.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                proc.wait()
        return proc.returncode

    def _signal(self, signum: int) -> None:
        assert self._proc is not None
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signum)

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"ChildProcess({self.name!r}, port={self.port}, {state})"
