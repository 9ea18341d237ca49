"""The plugin's own path through the real command, against `hpo-bridge emulate vertex` run
as users run it (a subprocess; credentials from the emulator's metadata server through
Google's unchanged default chain): the example on both backends to completion, --detach,
status and cancel, missing credentials as one line."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "vertex"
NO_GOOGLE = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG",
             "GCE_METADATA_HOST", "GCE_METADATA_IP", "STORAGE_EMULATOR_HOST",
             "CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM", "CLOUDSDK_API_ENDPOINT_OVERRIDES_ML")


@pytest.fixture(scope="module")
def emulate() -> Iterator[Any]:
    testing = pytest.importorskip("hpo_bridge_localstack.testing")
    with testing.EmulatorProcess("vertex") as proc:
        yield proc


def environment(extra: dict[str, str], folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in NO_GOOGLE}
    env["CLOUDSDK_CONFIG"] = str(folder / "gcloud")  # no gcloud ADC file
    env.update(extra)
    return env


def hpo(env: dict[str, str], *args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from hpo_bridge.cli import main; main()",
                           *map(str, args)], env=env, capture_output=True, text=True,
                          timeout=240)


def accuracy(lr: float, layers: int, epoch: int) -> float:
    """examples/vertex/train.py's stand-in for training."""
    distance = (math.log10(lr) + 2) ** 2 + 0.05 * (layers - 2) ** 2
    return round(0.98 - 0.1 * distance - 0.3 / (epoch + 1), 6)


@pytest.mark.parametrize("backend", ["vertex", "aiplatform"])
def test_the_example_runs_on_the_emulator(emulate: Any, tmp_path: Path, backend: str) -> None:
    folder = tmp_path / "vertex"
    shutil.copytree(EXAMPLE, folder)
    env = environment(emulate.env(), tmp_path)
    study = tmp_path / "study"
    done = hpo(env, "run", folder / "spec.yaml", "--backend", backend, "--study-dir", study,
               "--poll-interval", "0.2")
    assert done.returncode == 0, done.stderr
    assert f"submitted {backend} job projects/hpo-bridge-local/" in done.stderr + done.stdout
    out = hpo(env, "results", study, "--json")
    trials = json.loads(out.stdout)["trials"]
    assert [t["id"] for t in trials] == [1, 2, 3, 4, 5, 6]
    for trial in trials:
        assert trial["status"] == "completed"
        params = trial["params"]
        assert isinstance(params["num_layers"], int)
        assert trial["objective"] == accuracy(params["learning_rate"], params["num_layers"], 3)
        assert len(trial["intervals"]) == 3 if isinstance(trial["intervals"], list) else \
            trial["intervals"] == 3
    best = json.loads(hpo(env, "best", study, "--json").stdout)["best"]
    assert best["objective"] == max(t["objective"] for t in trials)
    again = hpo(env, "run", folder / "spec.yaml", "--backend", backend, "--study-dir",
                tmp_path / "again", "--poll-interval", "0.2")
    assert again.returncode == 0, again.stderr
    assert "already exists from this same request: following it" in again.stderr + again.stdout


SLOW = """\
import argparse, time
import hypertune
p = argparse.ArgumentParser(); p.add_argument("--lr", type=float)
a, _ = p.parse_known_args()
hypertune.HyperTune().report_hyperparameter_tuning_metric(
    hyperparameter_metric_tag="accuracy", metric_value=a.lr, global_step=1)
time.sleep(120)
"""


def _handle(study: Path) -> str:
    from hpo_bridge.backends import META_HANDLE, Store

    with Store.open(study) as store:
        return str(store.get_meta(META_HANDLE))


def wait(emulate: Any, handle: str, done: Any, timeout: float = 60) -> None:
    """Until `done(trial states, job state)` holds, asking the emulator with the clients
    (cheaper than a command per look)."""
    from google.auth.credentials import AnonymousCredentials

    deadline = time.monotonic() + timeout
    while True:
        if "/hyperparameterTuningJobs/" in handle:
            from google.cloud import aiplatform_v1

            client = aiplatform_v1.JobServiceClient(
                transport="rest", credentials=AnonymousCredentials(),
                client_options={"api_endpoint": emulate.url})
            job = client.get_hyperparameter_tuning_job(name=handle)
            state = job.state.name
            trials = ["running" if t.state.name == "ACTIVE" else t.state.name for t in job.trials]
        else:
            from googleapiclient import discovery

            ml = discovery.build("ml", "v1", credentials=AnonymousCredentials(),
                                 client_options={"api_endpoint": emulate.url},
                                 static_discovery=True, cache_discovery=False)
            answer = ml.projects().jobs().get(name=handle).execute()
            state = answer["state"]
            trials = [t["state"].lower() for t in answer["trainingOutput"].get("trials", [])]
        if done(trials, state):
            return
        assert time.monotonic() < deadline, (state, trials)
        time.sleep(0.1)


@pytest.mark.parametrize("backend", ["vertex", "aiplatform"])
def test_detach_status_and_cancel(emulate: Any, tmp_path: Path, backend: str) -> None:
    (tmp_path / "train.py").write_text(SLOW)
    spec = {"name": f"slow-{backend}", "objective": {"metric": "accuracy", "goal": "maximize"},
            "search_space": {"lr": {"type": "float", "low": 0.01, "high": 0.1}},
            "limits": {"max_trials": 2, "max_parallel": 2},
            "trial": {"command": ["python", "train.py"], "contract": "vertex"},
            "backends": {backend: {"staging_bucket": "gs://hpo-bridge-examples/slow"}}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    env = environment(emulate.env(), tmp_path)
    study = tmp_path / "study"
    done = hpo(env, "run", tmp_path / "spec.yaml", "--backend", backend, "--study-dir",
               study, "--detach")
    assert done.returncode == 0, done.stderr
    assert "detached: `hpo-bridge status" in done.stdout + done.stderr
    handle = _handle(study)
    wait(emulate, handle, lambda trials, state: sum(t == "running" for t in trials) == 2)
    status = hpo(env, "status", study)
    assert "2 running" in status.stdout, status.stdout + status.stderr
    cancelled = hpo(env, "cancel", study)
    assert cancelled.returncode == 0, cancelled.stderr
    assert cancelled.stdout == f"stopping {handle}\n"
    wait(emulate, handle, lambda trials, state: state in ("JOB_STATE_CANCELLED", "CANCELLED"))
    status = hpo(env, "status", study)  # syncs the study with its job
    assert "cancelled" in status.stdout, status.stdout + status.stderr
    trials = json.loads(hpo(env, "results", study, "--json").stdout)["trials"]
    assert [t["status"] for t in trials] == ["cancelled", "cancelled"]
    again = hpo(env, "cancel", study)  # a job that has ended: not an error
    assert again.returncode == 0, again.stderr


@pytest.mark.parametrize("backend", ["vertex", "aiplatform"])
def test_missing_credentials_is_one_line_and_leaves_no_study(tmp_path: Path,
                                                            backend: str) -> None:
    folder = tmp_path / "vertex"
    shutil.copytree(EXAMPLE, folder)
    closed = "127.0.0.1:9"  # nothing listens: no metadata server on this machine
    env = environment({"GCE_METADATA_HOST": closed, "GCE_METADATA_IP": closed,
                       "NO_GCE_CHECK": "true"}, tmp_path)
    study = tmp_path / "study"
    done = hpo(env, "run", folder / "spec.yaml", "--backend", backend, "--study-dir", study)
    assert done.returncode == 2
    errors = [line for line in done.stderr.splitlines() if line.startswith(f"{backend}: ")]
    assert errors == [
        f"{backend}: no Google credentials found: run `gcloud auth application-default login`,"
        " or set GOOGLE_APPLICATION_CREDENTIALS to a key file",
        f"{backend}: no Google Cloud project: set backends.{backend}.project in the spec, or"
        " GOOGLE_CLOUD_PROJECT, or `gcloud config set project`"]
    assert "Traceback" not in done.stderr
    assert not study.exists()
