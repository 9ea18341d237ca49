"""Helpers of the end-to-end tests: results, example copies, small studies, process checks."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import yaml

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def results(hpo, study: Path) -> list[dict[str, Any]]:
    out = hpo("results", study, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["trials"]


def copy_example(name: str, dest: Path, **changes: Any) -> Path:
    """The example's folder copied to `dest`; `changes` merged into its spec's sections."""
    folder = dest / name
    shutil.copytree(EXAMPLES / name, folder)
    spec_path = folder / "spec.yaml"
    spec = yaml.safe_load(spec_path.read_text())
    for section, values in changes.items():
        if isinstance(values, dict):
            spec.setdefault(section, {}).update(values)
        else:
            spec[section] = values
    spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return spec_path


def write_study(folder: Path, script: str, spec: dict[str, Any]) -> Path:
    """A spec around `script` (train.py in `folder`); the spec's path."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "train.py").write_text(script)
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def alive(pid: int) -> bool:
    """Running: it exists and is not a zombie (an orphan's zombie waits for init)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def wait_dead(pids: list[int], seconds: float = 5.0) -> list[int]:
    """The pids still running after up to `seconds`."""
    end = time.monotonic() + seconds
    while time.monotonic() < end and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def pids_in(study: Path, name: str = "*.pid") -> list[int]:
    """Pids the trial scripts wrote to files in their trial folders."""
    return sorted(int(p.read_text()) for p in study.glob(f"trials/*/{name}"))


def needs(module: str) -> None:
    """Skip unless `module` is installed (without importing it here: mlflow takes seconds)."""
    import importlib.util

    import pytest

    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed")


def train(w: float, lr: float, epochs: int) -> list[float]:
    """The PBT tests' scripts' model: each epoch moves the weight lr of the way to 1."""
    out = []
    for _ in range(epochs):
        w += lr * (1 - w)
        out.append(w)
    return out
