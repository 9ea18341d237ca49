"""The plugin's own path through the unchanged CLI: `hpo-bridge run examples/azure/sweep.yaml
--backend azure` against the emulator to completion, then `--detach` and `cancel`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from azure_helpers import AZURE_PREFIXES

emulator_testing = pytest.importorskip("hpo_bridge_localstack.testing")
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "azure" / "sweep.yaml"


@pytest.fixture(scope="module")
def azure_env():
    with emulator_testing.emulator("azure") as emu:
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(AZURE_PREFIXES) and k != "REQUESTS_CA_BUNDLE"}
        yield {**clean, **emu.env()}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from hpo_bridge.cli import main; main()",
                           *args], env=env, capture_output=True, text=True, timeout=300)


def test_run_the_example_sweep_to_completion(azure_env, tmp_path):
    study = tmp_path / "study"
    done = cli(azure_env, "run", str(EXAMPLE), "--backend", "azure", "--study-dir", str(study),
               "--poll-interval", "0.2")
    assert done.returncode == 0, done.stderr[-3000:]
    results = cli(azure_env, "results", str(study), "--json")
    trials = json.loads(results.stdout)["trials"]
    assert len(trials) == 6
    assert all(t["status"] in ("completed", "stopped") for t in trials)
    for trial in trials:
        assert set(trial["params"]) == {"learning_rate", "batch_size"}
        assert 1 <= len(trial["metrics"]["accuracy"]) <= 3  # the curve, from MLflow


def test_detach_then_cancel(azure_env, tmp_path):
    study = tmp_path / "study"
    detached = cli(azure_env, "run", str(EXAMPLE), "--backend", "azure", "--study-dir",
                   str(study), "--detach", "--seed", "11")
    assert detached.returncode == 0, detached.stderr[-3000:]
    cancelled = cli(azure_env, "cancel", str(study))
    assert cancelled.returncode == 0, cancelled.stderr[-3000:]
    assert cancelled.stdout.startswith("stopping azure-sweep-example-")


def test_missing_workspace_settings_are_one_line_each(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(AZURE_PREFIXES) and k != "REQUESTS_CA_BUNDLE"}
    out = cli(env, "run", str(EXAMPLE), "--backend", "azure", "--study-dir",
              str(tmp_path / "s"))
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [
        "azure: backends.azure.subscription_id: required (or set AZURE_SUBSCRIPTION_ID)",
        "azure: backends.azure.resource_group: required (or set AZURE_RESOURCE_GROUP)",
        "azure: backends.azure.workspace_name: required (or set AZUREML_WORKSPACE_NAME)"]
    assert not (tmp_path / "s").exists()
