"""Starting an emulator from tests: in this process (a thread) or as a subprocess.

In-process (fast; an AWS emulator shares this process's moto state)::

    from hpo_bridge_localstack.testing import emulator

    with emulator("sagemaker", faults=["DescribeHyperParameterTuningJob:throttle:2"]) as emu:
        for key, value in emu.env().items():     # what a user would export
            monkeypatch.setenv(key, value)
        emu.inject_fault("CreateHyperParameterTuningJob", "drop", 1)
        emu.stats()["calls"]                      # API calls per operation

As a subprocess, exactly what a user runs (`hpo-bridge emulate NAME --port 0`)::

    with EmulatorProcess("sagemaker") as proc:
        proc.url, proc.env(), proc.stats()
        proc.inject_fault("CreateHyperParameterTuningJob", "deny"); proc.reset_stats()

Once per pytest session, for every test folder that asks (an emulator with helper programs,
such as Azure's Azurite, is worth starting once)::

    @pytest.fixture(scope="session")
    def azure(pytestconfig):
        return session_emulator(pytestconfig, "azure")      # or session_process(...)

`sagemaker_emulator()`, `upload_code()` and `code_tarball()` are the AWS helpers of
`hpo_bridge_localstack.aws.testing`, reachable from here as before.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import ssl
import subprocess
import sys
import threading
import urllib.request
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from hpo_bridge_localstack.framework.server import Emulator

__all__ = ["Emulator", "EmulatorProcess", "emulator", "environ_with", "fetch_stats",
           "session_emulator", "session_process"]

T = TypeVar("T")
READY_MARK = ": listening on "  # the line `hpo-bridge emulate` writes after its env lines
_AWS_ALIASES = ("sagemaker_emulator", "upload_code", "code_tarball")


def __getattr__(name: str) -> Any:
    if name in _AWS_ALIASES:
        from hpo_bridge_localstack.aws import testing as aws_testing

        return getattr(aws_testing, name)
    raise AttributeError(name)


@contextlib.contextmanager
def emulator(name: str, **options: Any) -> Iterator[Emulator]:
    """The emulator `name` on a free 127.0.0.1 port (unless `port=` is given), stopped on
    exit with everything it runs. `options` go to `Emulator` and the front end's factory."""
    with Emulator(name, **options) as running:
        yield running


def _client_context(url: str, env: Mapping[str, str]) -> ssl.SSLContext | None:
    """For an https emulator: trust the CA bundle its env() names (REQUESTS_CA_BUNDLE or
    SSL_CERT_FILE), as its users' clients do."""
    if not url.startswith("https://"):
        return None
    cafile = env.get("REQUESTS_CA_BUNDLE") or env.get("SSL_CERT_FILE")
    return ssl.create_default_context(cafile=cafile)


def _request(url: str, payload: Any = None, method: str = "GET",
             context: ssl.SSLContext | None = None) -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10, context=context) as resp:
        return json.loads(resp.read())


def fetch_stats(url: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """`GET /_emulator/stats` of an emulator running elsewhere (e.g. a subprocess)."""
    stats: dict[str, Any] = _request(f"{url.rstrip('/')}/_emulator/stats",
                                     context=_client_context(url, env or {}))
    return stats


class EmulatorProcess:
    """`hpo-bridge emulate NAME --port 0` in a subprocess.

    Its URL is the first line of its standard output; the variables it tells users to
    export (`export K=V` lines on standard error, before the `listening` line) are `env()`.
    The rest of its standard error is passed on to this process's.
    """

    def __init__(self, name: str, *args: str, faults: tuple[str, ...] = ()):
        self.name = name
        self.args = [*args, *(f"--fault={f}" for f in faults)]
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self._env: dict[str, str] = {}
        self._said: deque[str] = deque(maxlen=20)
        self._relay: threading.Thread | None = None

    def start(self, timeout: float = 60) -> EmulatorProcess:
        argv = [sys.executable, "-c", "from hpo_bridge.cli import main; main()",
                "emulate", self.name, "--port", "0", *self.args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        assert self.proc.stdout is not None and self.proc.stderr is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith(("http://", "https://")):
            self.proc.terminate()
            try:
                _, said = self.proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                _, said = self.proc.communicate()
            raise RuntimeError(f"hpo-bridge emulate {self.name} did not start"
                               f" (said {line!r}): {said.strip()[-2000:]}")
        self.url = line
        for text in self.proc.stderr:
            self._said.append(text.rstrip("\n"))
            if text.startswith("export "):
                key, _, value = text[len("export "):].strip().partition("=")
                self._env[key] = " ".join(shlex.split(value))
            elif READY_MARK in text:
                break
        self._relay = threading.Thread(target=self._pass_on, daemon=True,
                                       name=f"emulate-{self.name}-stderr")
        self._relay.start()
        return self

    def _pass_on(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for text in self.proc.stderr:
            self._said.append(text.rstrip("\n"))
            sys.stderr.write(text)

    def stop(self, timeout: float = 60) -> int | None:
        """SIGTERM (the emulator stops its jobs and exits 0); SIGKILL if it hangs."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self._relay is not None:
            self._relay.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()
        return self.proc.returncode

    def env(self) -> dict[str, str]:
        """What the emulator told its user to export."""
        return dict(self._env)

    def _control(self, path: str, payload: Any = None, method: str = "GET") -> Any:
        return _request(f"{self.url}/_emulator/{path}", payload, method,
                        _client_context(self.url, self._env))

    def stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self._control("stats")
        return stats

    def reset_stats(self) -> None:
        self._control("stats/reset", {}, "POST")

    def inject_fault(self, operation: str, kind: str, count: int = 1) -> None:
        """The next `count` calls of `operation` (`*`: any) fail as `kind` (see faults.py)."""
        self._control("faults", {"operation": operation, "kind": kind, "count": count}, "POST")

    def clear_faults(self) -> None:
        self._control("faults", None, "DELETE")

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def environ_with(env: Mapping[str, str]) -> dict[str, str]:
    """os.environ plus `env` (e.g. for a subprocess that runs the plugin's CLI)."""
    return {**os.environ, **env}


_SESSION_KEY: Any = None  # pytest.StashKey, made when first needed (no pytest import here)


def _shared(config: Any, key: str, opener: Callable[[], AbstractContextManager[T]]) -> T:
    """`opener()` entered once per pytest session under `key`, exited when the session
    ends. `config` is pytest's Config (the `pytestconfig` fixture)."""
    global _SESSION_KEY
    import pytest

    if _SESSION_KEY is None:
        _SESSION_KEY = pytest.StashKey[tuple[contextlib.ExitStack, dict[str, Any]]]()
    if _SESSION_KEY not in config.stash:
        stack = contextlib.ExitStack()
        config.stash[_SESSION_KEY] = (stack, {})
        config.add_cleanup(stack.close)
    stack, opened = config.stash[_SESSION_KEY]
    if key not in opened:
        opened[key] = stack.enter_context(opener())
    found: T = opened[key]
    return found


def session_emulator(config: Any, name: str) -> Emulator:
    """The in-process emulator `name` shared by the whole pytest session. Tests that inject
    faults or read call counts reset them first (`faults.clear()`, `reset_stats()`)."""
    return _shared(config, f"emulator:{name}", lambda: emulator(name))


def session_process(config: Any, name: str) -> EmulatorProcess:
    """`hpo-bridge emulate NAME --port 0` shared by the whole pytest session."""
    return _shared(config, f"process:{name}", lambda: EmulatorProcess(name))
