"""The real Google SDKs against `hpo-bridge emulate vertex`: the high-level aiplatform SDK
(CustomJob.from_local_script + HyperparameterTuningJob), the GAPIC JobServiceClient over
REST, the ml v1 discovery client, google-auth's default chain, google-cloud-storage."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gcp_jobs import BUCKET, PARENT, hpt_job, ml_job, upload, wait_ml, wait_vertex

pytest.importorskip("google.cloud.aiplatform")
from google.api_core import exceptions  # noqa: E402
from googleapiclient.errors import HttpError  # noqa: E402
from hpo_bridge_localstack.testing import emulator  # noqa: E402

REPORTS = """\
import argparse, hypertune
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float); p.add_argument("--n", type=int)
p.add_argument("--opt"); p.add_argument("--bs", type=int)
a, _ = p.parse_known_args()
h = hypertune.HyperTune()
bonus = {"adam": 0.5, "sgd": 0.0}[a.opt]
for step in (1, 2):
    h.report_hyperparameter_tuning_metric(
        hyperparameter_metric_tag="acc", global_step=step,
        metric_value=round(a.lr * a.n * step + bonus + a.bs / 1000, 6))
"""
TASK = """\
import argparse, hypertune, time
p = argparse.ArgumentParser()
p.add_argument("--x", type=float); p.add_argument("--wait", type=float, default=0)
a, _ = p.parse_known_args()
hypertune.HyperTune().report_hyperparameter_tuning_metric(
    hyperparameter_metric_tag="acc", metric_value=a.x, global_step=1)
time.sleep(a.wait)
"""
X = [{"parameter_id": "x", "discrete_value_spec": {"values": [1, 2, 3]}}]


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with emulator("vertex") as running:
        yield running


@pytest.fixture
def gapic(emu: Any) -> Any:
    return emu.client("vertex")


@pytest.fixture
def ml(emu: Any) -> Any:
    return emu.client("ml")


@pytest.fixture
def task(emu: Any) -> str:
    return upload(emu, "code/task.tar.gz", TASK)


def _expected(params: dict[str, Any], step: int) -> float:
    bonus = {"adam": 0.5, "sgd": 0.0}[params["opt"]]
    return round(params["lr"] * params["n"] * step + bonus + params["bs"] / 1000, 6)


# -- the high-level SDK ----------------------------------------------------------------------
@pytest.fixture
def high_level(emu: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import aiplatform

    monkeypatch.setenv("STORAGE_EMULATOR_HOST", emu.env()["STORAGE_EMULATOR_HOST"])
    aiplatform.init(project="hpo-bridge-local", location="us-central1",
                    staging_bucket=f"gs://{BUCKET}", api_endpoint=emu.url,
                    api_transport="rest", credentials=AnonymousCredentials())
    script = tmp_path / "task.py"
    script.write_text(REPORTS + "import os, time\ntime.sleep(float(os.environ.get('WAIT', 0)))\n")
    return aiplatform, script


def _hpt(aiplatform: Any, script: Path, trials: int, env: dict[str, str] | None = None) -> Any:
    from google.cloud.aiplatform import hyperparameter_tuning as hpt

    job = aiplatform.CustomJob.from_local_script(
        display_name="from-local-script", script_path=str(script), container_uri="python:3.11",
        environment_variables=env)
    return aiplatform.HyperparameterTuningJob(
        display_name="high-level", custom_job=job, metric_spec={"acc": "maximize"},
        parameter_spec={"lr": hpt.DoubleParameterSpec(min=0.1, max=0.5, scale="log"),
                        "n": hpt.IntegerParameterSpec(min=1, max=3, scale="linear"),
                        "opt": hpt.CategoricalParameterSpec(values=["adam", "sgd"]),
                        "bs": hpt.DiscreteParameterSpec(values=[16, 32], scale="linear")},
        max_trial_count=trials, parallel_trial_count=trials)


def test_high_level_sdk_runs_a_tuning_job_to_success(high_level: Any) -> None:
    aiplatform, script = high_level
    job = _hpt(aiplatform, script, trials=3)
    job.run(sync=True)  # the SDK polls every 5 s: one test waits for it
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    assert [t.id for t in job.trials] == ["1", "2", "3"]
    for trial in job.trials:
        assert trial.state.name == "SUCCEEDED"
        params = {p.parameter_id: p.value for p in trial.parameters}
        params["n"], params["bs"] = int(params["n"]), int(params["bs"])
        assert 0.1 <= params["lr"] <= 0.5 and params["opt"] in ("adam", "sgd")
        # Every measurement is what the script reported through cloudml-hypertune.
        assert [(m.step_count, m.metrics[0].metric_id, m.metrics[0].value)
                for m in trial.measurements] == [(1, "acc", _expected(params, 1)),
                                                 (2, "acc", _expected(params, 2))]
        assert trial.final_measurement.metrics[0].value == _expected(params, 2)


def test_high_level_cancel_ends_cancelled(high_level: Any) -> None:
    aiplatform, script = high_level
    job = _hpt(aiplatform, script, trials=2, env={"WAIT": "60"})
    job.run(sync=False)
    job.wait_for_resource_creation()
    while not any(t.state.name == "ACTIVE" for t in _trials(job)):
        pass
    job.cancel()
    while (state := job.state.name) != "JOB_STATE_CANCELLED":  # each `state` is a GET
        assert state in ("JOB_STATE_RUNNING", "JOB_STATE_CANCELLING")
    with pytest.raises(RuntimeError, match="CANCELED"):
        job.wait()  # the SDK's own thread saw the cancelled job


def _trials(job: Any) -> list[Any]:
    job._sync_gca_resource()  # what `state` does; `trials` reads the synced resource
    return list(job.trials)


# -- the GAPIC client ------------------------------------------------------------------------
def test_gapic_create_get_list_cancel_delete(gapic: Any, task: str) -> None:
    body = hpt_job(task, X, trials=3, parallel=3)
    body["trial_job_spec"]["worker_pool_specs"][0]["python_package_spec"]["args"] = ["--wait=60"]
    created = gapic.create_hyperparameter_tuning_job(parent=PARENT, hyperparameter_tuning_job=body)
    assert created.state.name == "JOB_STATE_PENDING"
    assert created.name.startswith(f"{PARENT}/hyperparameterTuningJobs/")
    second = gapic.create_hyperparameter_tuning_job(
        parent=PARENT, hyperparameter_tuning_job=hpt_job(task, X, trials=1))
    pages = gapic.list_hyperparameter_tuning_jobs(request={"parent": PARENT, "page_size": 1})
    names = [j.name for j in pages]
    assert created.name in names and second.name in names  # two pages, read by the pager
    filtered = gapic.list_hyperparameter_tuning_jobs(
        request={"parent": PARENT, "filter": 'display_name="test" AND state=JOB_STATE_SUCCEEDED'})
    assert created.name not in [j.name for j in filtered]
    with pytest.raises(exceptions.BadRequest, match="cancel it first"):
        gapic.delete_hyperparameter_tuning_job(name=created.name)
    while not any(t.state.name == "ACTIVE" for t in
                  gapic.get_hyperparameter_tuning_job(name=created.name).trials):
        pass
    gapic.cancel_hyperparameter_tuning_job(name=created.name)
    ended = wait_vertex(gapic, created.name)
    assert ended.state.name == "JOB_STATE_CANCELLED" and ended.error.code == 1
    assert ended.start_time < ended.end_time
    assert {t.state.name for t in ended.trials} == {"STOPPING"}  # ended with the job
    operation = gapic.delete_hyperparameter_tuning_job(name=created.name)
    assert operation.done()
    with pytest.raises(exceptions.NotFound):
        gapic.get_hyperparameter_tuning_job(name=created.name)
    with pytest.raises(exceptions.BadRequest, match="Cannot cancel"):
        gapic.cancel_hyperparameter_tuning_job(name=wait_vertex(gapic, second.name).name)


@pytest.mark.parametrize(("change", "message"), [
    (lambda b: b["studySpec"]["parameters"][0].update(scaleType=99), "scaleType: 99"),
    (lambda b: b["studySpec"]["parameters"][0]["discreteValueSpec"].update(values=[2, 1]),
     "strictly increasing"),
    (lambda b: b["studySpec"]["parameters"].append(
        {"parameterId": "n", "integerValueSpec": {"minValue": "5", "maxValue": "1"}}),
     "minValue 5 is greater than maxValue 1"),
    (lambda b: b["studySpec"]["parameters"].append(
        {"parameterId": "n", "integerValueSpec": {"minValue": 1.5, "maxValue": "4"}}),
     "Couldn't parse integer: 1.5"),
    (lambda b: b["studySpec"].update(medianAutomatedStoppingSpec={},
                                     decayCurveStoppingSpec={}), "oneof"),
    (lambda b: b.update(maxFailedTrialCount=9), "must not exceed maxTrialCount"),
    (lambda b: b.update(bogus=1), "no field named \"bogus\""),
])
def test_the_service_refuses_what_proto_plus_lets_through(emu: Any, task: str, change: Any,
                                                          message: str) -> None:
    """Raw REST JSON (the GAPIC types would truncate or reorder some of these first)."""
    from google.cloud.aiplatform_v1 import HyperparameterTuningJob

    body = json.loads(HyperparameterTuningJob.to_json(
        HyperparameterTuningJob(hpt_job(task, X)), use_integers_for_enums=False))
    change(body)
    request = urllib.request.Request(
        f"{emu.url}/v1/{PARENT}/hyperparameterTuningJobs", data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    error = json.loads(info.value.read())["error"]
    assert (info.value.code, error["status"]) == (400, "INVALID_ARGUMENT")
    assert message in error["message"]


def test_faults_come_in_googles_shape(emu: Any, gapic: Any, task: str) -> None:
    emu.inject_fault("GetHyperparameterTuningJob", "throttle", 1)
    emu.inject_fault("CreateHyperparameterTuningJob", "deny", 1)
    emu.inject_fault("ListHyperparameterTuningJobs", "error", 1)
    with pytest.raises(exceptions.TooManyRequests):
        gapic.get_hyperparameter_tuning_job(name=f"{PARENT}/hyperparameterTuningJobs/1")
    with pytest.raises(exceptions.Forbidden):  # 403, as REST maps PERMISSION_DENIED
        gapic.create_hyperparameter_tuning_job(parent=PARENT,
                                               hyperparameter_tuning_job=hpt_job(task, X))
    with pytest.raises(exceptions.ServiceUnavailable):
        gapic.list_hyperparameter_tuning_jobs(parent=PARENT, retry=None)


# -- AI Platform's discovery client --------------------------------------------------------------
def test_discovery_client_creates_gets_lists_and_cancels(ml: Any, task: str) -> None:
    hyper = {"goal": "MAXIMIZE", "hyperparameterMetricTag": "acc", "maxTrials": 2,
             "maxParallelTrials": 2, "params": [
                 {"parameterName": "x", "type": "DISCRETE", "discreteValues": [1, 2]}]}
    body = ml_job("sdk_job", task, **hyper)
    body["trainingInput"]["args"] = ["--wait=60"]
    created = ml.projects().jobs().create(parent="projects/p", body=body).execute()
    assert (created["jobId"], created["state"]) == ("sdk_job", "QUEUED")
    with pytest.raises(HttpError) as info:
        ml.projects().jobs().create(parent="projects/p", body=body).execute()
    assert info.value.status_code == 409
    listed = ml.projects().jobs().list(parent="projects/p", filter="state=RUNNING").execute()
    assert "sdk_job" in [j["jobId"] for j in listed.get("jobs", [])] or \
        ml.projects().jobs().get(name="projects/p/jobs/sdk_job").execute()["state"] == "QUEUED"
    assert ml.projects().jobs().cancel(name="projects/p/jobs/sdk_job", body={}).execute() == {}
    job = wait_ml(ml, "p", "sdk_job")
    assert job["state"] == "CANCELLED"
    assert job["trainingOutput"]["isHyperparameterTuningJob"] is True
    with pytest.raises(HttpError) as info:
        ml.projects().jobs().get(name="projects/p/jobs/nothing").execute()
    assert info.value.status_code == 404


@pytest.mark.parametrize(("hyper", "message"), [
    ({"goal": "MAXIMIZE", "maxTrials": 2, "maxFailedTrials": 3,
      "params": [{"parameterName": "x", "type": "INTEGER", "minValue": 1, "maxValue": 3}]},
     "maxFailedTrials: 3 must be between 0 and maxTrials (2)"),
    ({"goal": "MAXIMIZE", "params": [{"parameterName": "x", "type": "DISCRETE",
                                      "discreteValues": [1, 3, 2]}]}, "strictly increasing"),
    ({"goal": "UP", "params": []}, "'UP' is not one of"),
    ({"goal": "MAXIMIZE", "maxTrial": 3, "params": []}, 'Unknown name "maxTrial"'),
])
def test_discovery_client_bodies_are_checked(ml: Any, task: str, hyper: dict[str, Any],
                                              message: str) -> None:
    with pytest.raises(HttpError) as info:
        ml.projects().jobs().create(parent="projects/p",
                                    body=ml_job("bad_job", task, **hyper)).execute()
    assert info.value.status_code == 400 and message in info.value.reason


# -- google-auth's default chain ---------------------------------------------------------------
def test_google_auth_default_finds_the_emulators_metadata_server(emu: Any) -> None:
    """In a fresh process (google-auth reads GCE_METADATA_HOST once, at import)."""
    code = textwrap.dedent("""
        import google.auth, google.auth.transport.requests as r
        credentials, project = google.auth.default()
        credentials.refresh(r.Request())
        print(type(credentials).__module__, project, credentials.token.startswith("emulated-"))
    """)
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT")}
    env.update(emu.env(), CLOUDSDK_CONFIG="/nonexistent-gcloud-config")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["google.auth.compute_engine.credentials", "hpo-bridge-local",
                                   "True"]


# -- custom jobs ---------------------------------------------------------------------------------
def test_custom_jobs_run_once_and_write_their_outputs(emu: Any, gapic: Any) -> None:
    package = upload(emu, "code/custom.tar.gz", """\
import os, sys
with open(os.path.join(os.environ["AIP_MODEL_DIR"], "model.txt"), "w") as f:
    f.write(" ".join(sys.argv[1:]))
""")
    body = hpt_job(package, X)["trial_job_spec"]
    body["worker_pool_specs"][0]["python_package_spec"]["args"] = ["--epochs=2"]
    body["base_output_directory"]["output_uri_prefix"] = f"gs://{BUCKET}/custom-out"
    created = gapic.create_custom_job(parent=PARENT, custom_job={"display_name": "once",
                                                                 "job_spec": body})
    assert created.state.name == "JOB_STATE_PENDING"
    deadline = time.monotonic() + 60
    while (job := gapic.get_custom_job(name=created.name)).state.name not in (
            "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED"):
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert job.state.name == "JOB_STATE_SUCCEEDED", job.error
    blob = emu.client("storage").bucket(BUCKET).blob("custom-out/model/model.txt")
    assert blob.download_as_text() == "--epochs=2"
    assert created.name in [j.name for j in gapic.list_custom_jobs(parent=PARENT)]
    assert gapic.delete_custom_job(name=created.name).done()
