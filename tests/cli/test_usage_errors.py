"""Bad flags and arguments: one line naming them, exit code 2, no traceback, no usage box."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["run", "x.yaml", "--seed", "abc"], "hpo-bridge run: Invalid value for '--seed'"),
        (["logs", "somewhere", "abc"], "hpo-bridge logs: Invalid value for 'trial'"),
        (["nosuch"], "hpo-bridge: No such command 'nosuch'."),
        (["results", "d", "--nosuch"], "hpo-bridge results: No such option: --nosuch"),
        (["import", "x.json"], "hpo-bridge import: Missing option '--from'"),
    ],
)
def test_usage_error_is_one_line(cli_exe: Path, args: list[str], expected: str) -> None:
    done = subprocess.run([cli_exe, *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(expected)
    assert lines[0].endswith("(see --help)")
    assert "Traceback" not in done.stderr


def test_version_and_help_exit_0(cli_exe: Path) -> None:
    assert subprocess.run([cli_exe, "--version"], capture_output=True, timeout=60).returncode == 0
    helped = subprocess.run([cli_exe, "run", "--help"], capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "--simulate" in helped.stdout
