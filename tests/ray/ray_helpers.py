"""Helpers of the Ray tests: studies around small scripts, the CLI, trial processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from hpo_bridge.executors.procgroup import TRIAL_DIR_VAR
from hpo_bridge.store import Store

CLI = str(Path(sys.executable).parent / "hpo-bridge")


def write_job(folder: Path, script: str, spec: dict[str, Any], name: str = "train.py") -> Path:
    """`script` as `name` in `folder` and `spec` as spec.yaml there; the spec's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(script)
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def hpo(*args: Any, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def start(*args: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([CLI, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def results(study: Path) -> list[dict[str, Any]]:
    done = hpo("results", study, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["trials"]


def decisions(study: Path) -> list[tuple[int, int, str, str]]:
    with Store.open(study) as store:
        return [(d.trial_id, d.interval, d.rule, d.reason) for d in store.decisions()]


def node_of(study: Path, trial: int) -> dict[str, Any]:
    return json.loads((study / "trials" / str(trial) / "node.json").read_text())


def comparable(trials: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """What a local run and a Ray run of the same seeded study must agree on."""
    return [(t["id"], t["params"], t["status"], t["intervals"], t["objective"], t["reason"])
            for t in trials]


def trial_processes(root: Path) -> list[int]:
    """Pids of running processes whose environment places them in a trial under `root`."""
    prefix = f"{TRIAL_DIR_VAR}={root.resolve()}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            environ = Path(f"/proc/{entry.name}/environ").read_bytes()
            state = Path(f"/proc/{entry.name}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state not in ("Z", "X") and any(v.startswith(prefix) for v in environ.split(b"\0")):
            found.append(int(entry.name))
    return found


def wait_until(check: Any, seconds: float = 120.0, what: str = "it") -> Any:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {seconds:.0f} s")


def stored_trials(study: Path) -> list[Any]:
    if not Store.exists(study):
        return []
    with Store.open(study) as store:
        return store.trials()
