"""The simulation examples of the README run through the CLI and find what the tables hold."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    code = "from hpo_bridge.cli import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("spec", "source", "trials"),
    [("branin-hyperband.yaml", "branin-mf", 200), ("curves-median.yaml", "curves", 60)],
)
def test_simulation_example(tmp_path: Path, spec: str, source: str, trials: int) -> None:
    study = tmp_path / "study"
    done = _run("run", str(ROOT / "examples/simulate" / spec), "--simulate", source,
                "--study-dir", str(study))
    assert done.returncode == 0, done.stderr
    results = json.loads(_run("results", str(study), "--json").stdout)["trials"]
    assert len(results) == trials
    assert len({t["id"] for t in results}) == trials
    if source == "branin-mf":
        # ASHA stops most trials at a rung: far fewer epochs than 200 x 27.
        epochs = sum(t["intervals"] for t in results)
        assert epochs < 0.5 * trials * 27
        best = min(t["objective"] for t in results if t["objective"] is not None)
        assert 0.397887 <= best < 2.0
    else:
        stopped = [t for t in results if t["status"] == "stopped"]
        assert stopped and all(t["reason"].startswith("median: ") for t in stopped)
        assert all(t["intervals"] >= 5 for t in stopped)  # auto: delay_evaluation 5
