"""Fixtures of the CI tests: the `hpo-bridge` console script and a small simulated study."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ci_helpers import TABLE, TABLE_SPEC, write_yaml


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
