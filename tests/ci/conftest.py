"""Fixtures of the CI tests: the `hpo-bridge` console script and small simulated studies."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

# A table study (tests/ci/studies.py): trial 1 completes at 0.8, trial 2 at 0.96, trial 3
# is stopped by the median rule at its first interval, trial 4 exits without reporting,
# trial 5 reports NaN.
TABLE = {
    "metric": "accuracy", "seconds_per_interval": 1.0,
    "rows": [
        {"params": {"curve": "A"}, "values": [0.5, 0.6, 0.7, 0.8],
         "metrics": {"loss": [0.9, 0.8, 0.7, 0.6]}},
        {"params": {"curve": "B"}, "values": [0.9, 0.92, 0.95, 0.96],
         "metrics": {"loss": [0.5, 0.4, 0.3, 0.2]}},
        {"params": {"curve": "C"}, "values": [0.1, 0.1, 0.1, 0.1]},
        {"params": {"curve": "D"}, "values": []},
        {"params": {"curve": "E"}, "values": [float("nan")]},
    ],
}
TABLE_SPEC: dict[str, Any] = {
    "name": "table_study",
    "objective": {"metric": "accuracy", "goal": "maximize"},
    "search_space": {"curve": {"type": "categorical", "values": ["A", "B", "C", "D", "E"]}},
    "strategy": {"algorithm": "grid"},
    "early_stopping": {"policy": "median", "delay_evaluation": 1},
    "limits": {"max_failed": 3},
}


@pytest.fixture
def hpo(cli_exe):
    """Run `hpo-bridge ARGS...` (text output); `env` adds variables."""

    def call(*args: Any, env: dict[str, str] | None = None, cwd: Path | None = None,
             timeout: float = 120) -> subprocess.CompletedProcess[str]:
        full = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        full.pop("GITHUB_STEP_SUMMARY", None)
        full.update(env or {})
        return subprocess.run([str(cli_exe), *map(str, args)], capture_output=True, text=True,
                              env=full, timeout=timeout, cwd=cwd)

    return call


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture
def table_study(hpo, tmp_path):
    """A finished table study: (spec path, table path, study directory)."""
    table = tmp_path / "table.json"
    table.write_text(json.dumps(TABLE))
    spec = write_yaml(tmp_path / "spec.yaml", TABLE_SPEC)
    study = tmp_path / "study"
    out = hpo("run", spec, "--simulate", table, "--study-dir", study)
    assert out.returncode == 0, out.stdout + out.stderr
    return spec, table, study
