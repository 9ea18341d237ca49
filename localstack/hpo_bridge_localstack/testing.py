"""Starting the emulator from tests: in this process (a thread) or as a subprocess.

In-process (fast; shares this process's moto state)::

    from hpo_bridge_localstack.testing import sagemaker_emulator

    with sagemaker_emulator(faults=["DescribeHyperParameterTuningJob:throttle:2"]) as emu:
        for key, value in emu.env().items():   # AWS_ENDPOINT_URL, region, test keys
            monkeypatch.setenv(key, value)       # (or use emu.client("sagemaker"))
        emu.inject_fault("CreateHyperParameterTuningJob", "drop", 1)
        emu.stats()["calls"]                          # API calls per operation

As a subprocess, exactly what a user runs (`hpo-bridge emulate sagemaker --port 0`)::

    with EmulatorProcess("sagemaker") as proc:
        proc.url, proc.env(), proc.stats()
        proc.inject_fault("CreateHyperParameterTuningJob", "deny"); proc.reset_stats()
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tarfile
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

from hpo_bridge_localstack.aws.identity import DEFAULT_REGION
from hpo_bridge_localstack.server import TEST_CREDENTIALS, Emulator, fetch_stats


@contextlib.contextmanager
def sagemaker_emulator(**options: Any) -> Iterator[Emulator]:
    """The SageMaker emulator on a free 127.0.0.1 port, stopped (trials too) on exit."""
    with Emulator("sagemaker", **options) as emulator:
        yield emulator


class EmulatorProcess:
    """`hpo-bridge emulate NAME --port 0` in a subprocess; its URL is its first output line."""

    def __init__(self, name: str = "sagemaker", *args: str, faults: tuple[str, ...] = ()):
        self.name = name
        self.args = [*args, *(f"--fault={f}" for f in faults)]
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self, timeout: float = 60) -> EmulatorProcess:
        argv = [sys.executable, "-c", "from hpo_bridge.cli import main; main()",
                "emulate", self.name, "--port", "0", *self.args]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.stop()
            raise RuntimeError(f"hpo-bridge emulate {self.name} did not start (said {line!r})")
        self.url = line
        return self

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
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return self.proc.returncode

    def env(self, region: str = DEFAULT_REGION) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.url, "AWS_DEFAULT_REGION": region, **TEST_CREDENTIALS}

    def stats(self) -> dict[str, Any]:
        return fetch_stats(self.url)

    def reset_stats(self) -> None:
        _post(f"{self.url}/_emulator/stats/reset", {})

    def inject_fault(self, operation: str, kind: str, count: int = 1) -> None:
        """The next `count` calls of `operation` (`*`: any) fail as `kind` (see faults.py)."""
        _post(f"{self.url}/_emulator/faults",
              {"operation": operation, "kind": kind, "count": count})

    def clear_faults(self) -> None:
        _post(f"{self.url}/_emulator/faults", None, method="DELETE")

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _post(url: str, payload: Any, method: str = "POST") -> Any:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(url, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def code_tarball(files: Mapping[str, str | bytes]) -> bytes:
    """A script-mode `sourcedir.tar.gz` holding `files` (name -> content)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def upload_code(s3: Any, bucket: str, key: str, files: Mapping[str, str | bytes]) -> str:
    """Create `bucket` if needed, upload the tarball of `files`; its s3:// URI."""
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=code_tarball(files))
    return f"s3://{bucket}/{key}"


def environ_with(env: Mapping[str, str]) -> dict[str, str]:
    """os.environ plus `env` (e.g. for a subprocess that runs the plugin's CLI)."""
    return {**os.environ, **env}
