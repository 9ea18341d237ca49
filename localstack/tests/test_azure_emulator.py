"""`hpo-bridge emulate azure` answers the real azure-ai-ml, azure-identity and MLflow clients,
unchanged, with only the variables it prints set (the clients run in subprocesses: the SDK
writes AZUREML_CURRENT_CLOUD into its process's environment)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_localstack.testing import EmulatorProcess, emulator

CLIENTS = Path(__file__).parent / "azure_clients"
# azure-ai-ml reads these when it is imported: jobs.stream polls every second.
POLLING = {"AZUREML_RUN_POLLING_INTERVAL_MIN": "1", "AZUREML_RUN_POLLING_INTERVAL_MAX": "1"}


@pytest.fixture(scope="module")
def azure():
    with emulator("azure") as emu:
        yield emu


def client_env(env: dict[str, str]) -> dict[str, str]:
    """This process's environment without any Azure or MLflow setting, plus `env`."""
    clean = {k: v for k, v in os.environ.items()
             if not k.startswith(("AZURE", "MLFLOW", "IDENTITY_", "MSI_", "ARM_"))
             and k != "REQUESTS_CA_BUNDLE"}
    return {**clean, **POLLING, **env}


def run_client(env: dict[str, str], mode: str, code: Path) -> tuple[dict[str, Any], str]:
    proc = subprocess.run([sys.executable, str(CLIENTS / "sweep_client.py"), str(code), mode],
                          env=client_env(env), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    line = next(x for x in proc.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT "):]), proc.stdout


def code_folder(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "code"
    folder.mkdir()
    for name in names:
        shutil.copy(CLIENTS / name, folder / name)
    return folder


def expected_history(params: dict[str, str]) -> list[list[float]]:
    lr, bs = float(params["lr"]), int(params["bs"])
    return [[step, round(lr * 100 + bs / 1000 + step / 10, 9)] for step in range(3)]


def test_a_sweep_runs_to_completion_with_the_real_clients(azure, tmp_path):
    result, _ = run_client(azure.env(), "complete", code_folder(tmp_path, "train.py"))
    name = result["name"]
    assert result["status"] == "Completed"
    assert sorted(result["children"]) == [f"{name}_{i}" for i in range(3)]
    assert set(result["children"].values()) == {"Completed"}
    for child, history in result["history"].items():
        assert history == expected_history(result["params"][child])
    best = max(result["history"], key=lambda c: result["history"][c][-1][1])
    assert result["best"] == best
    calls = azure.stats()["calls"]
    # code went through the asset API (blobs in Azurite), metrics through MLflow
    assert calls["codes.startPendingUpload"] >= 1 and calls["mlflow:runs/log-metric"] >= 9


def test_begin_cancel_ends_a_sweep_as_canceled(azure, tmp_path):
    result, _ = run_client(azure.env(), "cancel", code_folder(tmp_path, "train.py"))
    assert result["status"] == "Canceled"
    assert result["children"] and set(result["children"].values()) == {"Canceled"}


def test_the_seed_bandit_example_cancels_exactly_the_trials_below_0667(azure, tmp_path):
    result, _ = run_client(azure.env(), "bandit", code_folder(tmp_path, "bandit.py"))
    name = result["name"]
    by_q = {float(result["params"][c]["q"]): c for c in result["children"]}
    assert result["status"] == "Completed"
    # best 0.8 at interval 10, slack_factor 0.2: 0.8 / 1.2 = 0.667
    assert {q: result["children"][c] for q, c in by_q.items()} == {
        0.8: "Completed", 0.7: "Completed", 0.6: "Canceled", 0.5: "Canceled"}
    assert {q: len(result["history"][c]) for q, c in by_q.items()} == {
        0.8: 12, 0.7: 12, 0.6: 10, 0.5: 10}
    assert sorted(result["children"]) == [f"{name}_{i}" for i in range(4)]


def test_jobs_stream_prints_the_sweep_log(azure, tmp_path):
    result, stdout = run_client(azure.env(), "stream", code_folder(tmp_path, "train.py"))
    name = result["name"]
    assert f"RunId: {name}" in stdout
    assert f"Sweep {name} started" in stdout
    assert f"Trial {name}_0 generated" in stdout


def _get(url: str, env: dict[str, str]) -> Any:
    import ssl

    context = ssl.create_default_context(cafile=env["REQUESTS_CA_BUNDLE"])
    try:
        with urllib.request.urlopen(url, context=context, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_errors_are_arm_shaped_and_faults_answer_as_arm(azure):
    env = azure.env()
    workspace = (f"{azure.url}/subscriptions/s/resourceGroups/r/providers/"
                 "Microsoft.MachineLearningServices/workspaces/w")
    status, body = _get(f"{workspace}/jobs/no-such-job", env)
    assert status == 404 and set(body["error"]) == {"code", "message"}
    azure.inject_fault("jobs.get", "throttle", 1)
    azure.inject_fault("jobs.get", "deny", 1)
    assert _get(f"{workspace}/jobs/x", env)[0] == 429
    status, body = _get(f"{workspace}/jobs/x", env)
    assert status == 403 and body["error"]["code"] == "AuthorizationFailed"


def test_the_service_refuses_what_load_job_lets_through(azure):
    from hpo_bridge_localstack.azure.sweep import check

    base = {"searchSpace": {"lr": ["uniform", [0.1, 0.5]]},
            "samplingAlgorithm": {"samplingAlgorithmType": "Random"},
            "objective": {"goal": "maximize", "primaryMetric": "acc"},
            "limits": {"maxTotalTrials": 4, "maxConcurrentTrials": 2},
            "trial": {"command": "python t.py --lr ${{search_space.lr}}"}}
    assert check(base) == []
    cases = {
        "Bayesian sampling does not support early": {
            "samplingAlgorithm": {"samplingAlgorithmType": "Bayesian"},
            "earlyTermination": {"policyType": "MedianStopping"}},
        "uniform is not supported with Grid": {
            "samplingAlgorithm": {"samplingAlgorithmType": "Grid"}},
        "min (0.5) must be below max (0.1)": {"searchSpace": {"lr": ["uniform", [0.5, 0.1]]}},
        "exactly one of slackFactor": {"earlyTermination": {"policyType": "Bandit"}},
        "truncationPercentage must be in 1..99": {
            "earlyTermination": {"policyType": "TruncationSelection",
                                 "truncationPercentage": 150}},
        "exceeds maxTotalTrials": {"limits": {"maxTotalTrials": 2, "maxConcurrentTrials": 4}},
        "${{search_space.zzz}} is not in searchSpace": {
            "trial": {"command": "python t.py --x ${{search_space.zzz}}"}},
    }
    for expected, change in cases.items():
        problems = check({**base, **change})
        assert any(expected in p for p in problems), (expected, problems)


def test_the_command_prints_the_environment_a_user_exports():
    with EmulatorProcess("azure") as proc:
        env = proc.env()
        assert proc.url.startswith("https://127.0.0.1:")
        assert set(env) >= {"ARM_CLOUD_METADATA_URL", "REQUESTS_CA_BUNDLE",
                            "IDENTITY_ENDPOINT", "IDENTITY_HEADER"}
        assert env["ARM_CLOUD_METADATA_URL"].startswith(proc.url + "/metadata/endpoints")
        status, clouds = _get(env["ARM_CLOUD_METADATA_URL"], env)
        assert status == 200 and clouds[0]["resourceManager"] == proc.url + "/"
        assert proc.stats()["calls"]["metadata"] == 1
