"""Fixtures of the end-to-end tests: the installed `hpo-bridge` console script."""

from __future__ import annotations

import os
import subprocess
from typing import Any

import pytest


@pytest.fixture
def hpo(cli_exe):
    """Run `hpo-bridge ARGS...`; the finished process (text output)."""

    def call(*args: Any, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
        return subprocess.run([str(cli_exe), *map(str, args)], capture_output=True, text=True,
                              env=env, timeout=timeout)

    return call

