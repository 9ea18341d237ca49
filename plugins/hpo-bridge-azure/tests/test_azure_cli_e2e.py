"""The plugin's own path through the unchanged CLI: `hpo-bridge run examples/azure/sweep.yaml
--backend azure` against the emulator to completion, then `logs` of its trials. (`--detach`
and `cancel` run in test_azure_example_readme.py, as the example's README gives them.)"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from azure_helpers import AZURE_PREFIXES

pytest.importorskip("hpo_bridge_localstack.testing")  # the emulator runs the jobs
EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "azure" / "sweep.yaml"


@pytest.fixture(scope="module")
def azure_env(azure_emulator):
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(AZURE_PREFIXES) and k != "REQUESTS_CA_BUNDLE"}
    return {**clean, **azure_emulator.env()}


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from hpo_bridge.cli import main; main()",
                           *args], env=env, capture_output=True, text=True, timeout=300)


def test_run_the_example_sweep_to_completion_then_trials_logs(azure_env, tmp_path):
    study = tmp_path / "study"
    done = cli(azure_env, "run", str(EXAMPLE), "--backend", "azure", "--study-dir", str(study),
               "--poll-interval", "0.2")
    assert done.returncode == 0, done.stderr[-3000:]
    results = cli(azure_env, "results", str(study), "--json")
    trials = json.loads(results.stdout)["trials"]
    assert len(trials) == 6, (done.stdout, done.stderr[-2000:], results.stderr[-2000:])
    assert all(t["status"] in ("completed", "stopped") for t in trials)
    for trial in trials:
        assert set(trial["params"]) == {"learning_rate", "batch_size"}
        assert 1 <= len(trial["metrics"]["accuracy"]) <= 3  # the curve, from MLflow

    # `logs`: the child run's user_logs/std_log.txt, read back through MLflow's artifacts.
    samples = sum(1 for line in (EXAMPLE.parent / "data" / "train.csv").open() if line.strip())
    job = json.loads((study / "native-request.json").read_text())["name"]
    shown_lines = {}
    # one trial of each fate (a CLI start costs seconds): completed, and stopped if any
    fates = {t["status"]: t for t in reversed(trials)}
    for trial in sorted(fates.values(), key=lambda t: t["id"]):
        shown = cli(azure_env, "logs", str(study), str(trial["id"]))
        assert shown.returncode == 0, shown.stderr[-3000:]
        lines = shown.stdout.splitlines()
        # what train.py printed (stdout), then what its mlflow printed ending the run (stderr)
        printed = re.fullmatch(r"(\d+) samples; sweep value (\S+)", lines[0])
        assert printed, lines
        assert int(printed[1]) == samples
        assert float(printed[2]) == trial["params"]["learning_rate"]
        child = f"{job}_{trial['id'] - 1}"
        if trial["status"] == "completed" or len(lines) > 1:  # mlflow ended the run
            assert len(lines) == 3 and lines[1].startswith(f"🏃 View run {child} at: https://")
            assert lines[2].startswith("🧪 View experiment at: https://")
        else:  # stopped by the bandit policy before its run ended
            assert trial["status"] == "stopped" and len(lines) == 1
        assert shown.stderr == ""  # no progress bars, no SDK chatter
        shown_lines[trial["id"]] = lines
    first = min(shown_lines)
    tail = cli(azure_env, "logs", str(study), str(first), "--tail", "1")
    assert tail.stdout.splitlines() == shown_lines[first][-1:]
    missing = cli(azure_env, "logs", str(study), "42")
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [f"TRIAL: azure: no trial 42 in {job}"]


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
