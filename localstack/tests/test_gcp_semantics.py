"""The service's semantics, as hpo-bridge's core plays them in `hpo-bridge emulate vertex`:
AI Platform's failure rules, a trial without a metric, Vertex's median automated stopping
(exact trials stopped on hand-computed curves), resumePreviousJobId, TensorFlow summaries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gcp_jobs import hpt_job, ml_job, upload, wait_ml, wait_vertex

pytest.importorskip("google.cloud.aiplatform")
from hpo_bridge_localstack.testing import emulator  # noqa: E402

PARENT = "projects/p/locations/us-central1"
# Trial k runs curve k (grid search over x = 1..5, one trial at a time).
CURVES = """\
import argparse, hypertune, time
p = argparse.ArgumentParser(); p.add_argument("--x", type=int)
a, _ = p.parse_known_args()
curves = {1: [0.5, 0.6, 0.7], 2: [0.8, 0.8, 0.8], 3: [0.6, 0.6, 0.9],
          4: [0.7, 0.71, 0.72], 5: [0.55, 0.9, 0.9]}
h = hypertune.HyperTune()
for step, value in enumerate(curves[a.x], start=1):
    h.report_hyperparameter_tuning_metric(hyperparameter_metric_tag="acc",
                                          metric_value=value, global_step=step)
time.sleep(1.5)  # alive while its reports are judged (a trial that has exited is not stopped)
"""
FAILING = """\
import argparse, hypertune, sys
p = argparse.ArgumentParser(); p.add_argument("--x", type=int)
a, _ = p.parse_known_args()
if a.x in FAIL:
    sys.exit("cannot train with x=%d" % a.x)
if a.x not in SILENT:
    hypertune.HyperTune().report_hyperparameter_tuning_metric(
        hyperparameter_metric_tag="acc", metric_value=a.x / 10, global_step=1)
"""
TF_SUMMARIES = """\
import argparse, os, time
from tensorboard.compat.proto import event_pb2
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.summary.writer.event_file_writer import EventFileWriter
p = argparse.ArgumentParser(); p.add_argument("--x", type=int); p.add_argument("--job-dir")
a, _ = p.parse_known_args()
writer = EventFileWriter(os.path.join(a.job_dir, "eval"))
for step in (1, 2):
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=step,
                                     summary=scalar_pb("metric1", a.x * step / 10)))
writer.close()
"""


def grid(values: list[int]) -> dict[str, Any]:
    return {"parameterName": "x", "type": "DISCRETE", "discreteValues": values}


@pytest.fixture(scope="module")
def emu() -> Iterator[Any]:
    with emulator("vertex") as running:
        yield running


@pytest.fixture(scope="module")
def ml(emu: Any) -> Any:
    return emu.client("ml")


def run_ml(emu: Any, ml: Any, job_id: str, task: str, training: dict[str, Any] | None = None,
           **hyper: Any) -> dict[str, Any]:
    package = upload(emu, f"code/{job_id}.tar.gz", task)
    body = ml_job(job_id, package, **hyper)
    body["trainingInput"].update(training or {})
    ml.projects().jobs().create(parent="projects/p", body=body).execute()
    return wait_ml(ml, "p", job_id)


def trials_of(job: dict[str, Any]) -> list[tuple[str, str, str, list[float]]]:
    return [(t["hyperparameters"]["x"], t["state"], str(t.get("isTrialStoppedEarly", False)),
             [m["objectiveValue"] for m in t.get("allMetrics", [])])
            for t in job["trainingOutput"]["trials"]]


def test_median_automated_stopping_stops_exactly_trials_3_and_5(emu: Any, ml: Any) -> None:
    """Completed trials' running averages by step: 1 -> 0.5, 0.55, 0.6; 2 -> 0.8 each.
    Trial 3 (0.6 at step 1) is below their median 0.65: stopped, and then a reference itself
    (0.6). Trial 4's 0.7 >= median(0.5, 0.8, 0.6) = 0.6 at steps 1-3: completes. Trial 5's
    0.55 < median(0.5, 0.8, 0.6, 0.7) = 0.65 at step 1: stopped."""
    job = run_ml(emu, ml, "median_curves", CURVES, goal="MAXIMIZE",
                 hyperparameterMetricTag="acc", maxTrials=5, maxParallelTrials=1,
                 algorithm="GRID_SEARCH", enableTrialEarlyStopping=True,
                 params=[grid([1, 2, 3, 4, 5])])
    assert job["state"] == "SUCCEEDED"
    assert trials_of(job) == [
        ("1", "SUCCEEDED", "False", [0.5, 0.6, 0.7]),
        ("2", "SUCCEEDED", "False", [0.8, 0.8, 0.8]),
        ("3", "SUCCEEDED", "True", [0.6]),
        ("4", "SUCCEEDED", "False", [0.7, 0.71, 0.72]),
        ("5", "SUCCEEDED", "True", [0.55]),
    ]


def test_vertex_median_stopping_through_the_gapic_client(emu: Any) -> None:
    """The same curves as a Vertex job with median_automated_stopping_spec: the stopped
    trials end SUCCEEDED with one measurement, which is their final one."""
    gapic = emu.client("vertex")
    package = upload(emu, "code/vertex-median.tar.gz", CURVES.replace("--x\", type=int",
                                                                      "--x\", type=float"))
    body = hpt_job(package, [{"parameter_id": "x",
                              "discrete_value_spec": {"values": [1, 2, 3, 4, 5]}}],
                   trials=5, parallel=1, algorithm="GRID_SEARCH",
                   median_automated_stopping_spec={})
    created = gapic.create_hyperparameter_tuning_job(parent=PARENT,
                                                     hyperparameter_tuning_job=body)
    job = wait_vertex(gapic, created.name)
    assert job.state.name == "JOB_STATE_SUCCEEDED"
    assert [(t.id, t.state.name, len(t.measurements), t.final_measurement.metrics[0].value)
            for t in job.trials] == [("1", "SUCCEEDED", 3, 0.7), ("2", "SUCCEEDED", 3, 0.8),
                                     ("3", "SUCCEEDED", 1, 0.6), ("4", "SUCCEEDED", 3, 0.72),
                                     ("5", "SUCCEEDED", 1, 0.55)]


def test_the_first_trial_failing_ends_the_job_at_once(emu: Any, ml: Any) -> None:
    task = FAILING.replace("FAIL", "{1}").replace("SILENT", "()")
    job = run_ml(emu, ml, "first_fails", task, goal="MAXIMIZE", hyperparameterMetricTag="acc",
                 maxTrials=4, maxParallelTrials=1, algorithm="GRID_SEARCH",
                 params=[grid([1, 2, 3, 4])])
    assert job["state"] == "FAILED"
    assert [t["state"] for t in job["trainingOutput"]["trials"]] == ["FAILED"]
    assert "the first trial failed" in job["errorMessage"]
    assert "cannot train with x=1" in job["errorMessage"]


def test_max_failed_trials_lets_the_job_go_on(emu: Any, ml: Any) -> None:
    task = FAILING.replace("FAIL", "{1}").replace("SILENT", "()")
    job = run_ml(emu, ml, "max_failed", task, goal="MAXIMIZE", hyperparameterMetricTag="acc",
                 maxTrials=3, maxParallelTrials=1, maxFailedTrials=2, algorithm="GRID_SEARCH",
                 params=[grid([1, 2, 3])])
    assert job["state"] == "SUCCEEDED"
    assert [t["state"] for t in job["trainingOutput"]["trials"]] == [
        "FAILED", "SUCCEEDED", "SUCCEEDED"]


def test_a_trial_without_a_metric_fails_while_the_job_succeeds(emu: Any, ml: Any) -> None:
    task = FAILING.replace("FAIL", "()").replace("SILENT", "{2}")
    job = run_ml(emu, ml, "no_metric", task, goal="MAXIMIZE", hyperparameterMetricTag="acc",
                 maxTrials=3, maxParallelTrials=1, algorithm="GRID_SEARCH",
                 params=[grid([1, 2, 3])])
    assert job["state"] == "SUCCEEDED"
    assert trials_of(job) == [("1", "SUCCEEDED", "False", [0.1]), ("2", "FAILED", "False", []),
                              ("3", "SUCCEEDED", "False", [0.3])]


def test_resume_previous_job_continues_from_its_trials(emu: Any, ml: Any) -> None:
    task = FAILING.replace("FAIL", "()").replace("SILENT", "()")
    first = run_ml(emu, ml, "resume_parent", task, goal="MINIMIZE",
                   hyperparameterMetricTag="acc", maxTrials=3, maxParallelTrials=1,
                   algorithm="GRID_SEARCH", params=[grid([1, 2, 3, 4, 5, 6])])
    assert [t["hyperparameters"]["x"] for t in first["trainingOutput"]["trials"]] == [
        "1", "2", "3"]
    # The seed's form: no goal, params or tag; they come from the earlier job.
    second = run_ml(emu, ml, "resume_child", task, maxTrials=3, maxParallelTrials=1,
                    algorithm="GRID_SEARCH", resumePreviousJobId="resume_parent")
    assert second["state"] == "SUCCEEDED"
    assert [(t["trialId"], t["hyperparameters"]["x"], t["finalMetric"]["objectiveValue"])
            for t in second["trainingOutput"]["trials"]] == [
        ("4", "4", 0.4), ("5", "5", 0.5), ("6", "6", 0.6)]
    assert second["trainingOutput"]["hyperparameterMetricTag"] == "acc"


def test_tensorflow_summaries_are_the_metric_and_job_dir_lands_in_storage(
        emu: Any, ml: Any) -> None:
    job = run_ml(emu, ml, "tf_summaries", TF_SUMMARIES,
                 {"jobDir": "gs://hpo-bridge-examples/tf-job"}, goal="MAXIMIZE",
                 hyperparameterMetricTag="metric1", maxTrials=2, maxParallelTrials=2,
                 algorithm="GRID_SEARCH", params=[grid([1, 2])])
    assert job["state"] == "SUCCEEDED"
    assert trials_of(job) == [("1", "SUCCEEDED", "False", [0.1, 0.2]),
                              ("2", "SUCCEEDED", "False", [0.2, 0.4])]
    # Each trial's --job-dir is its own folder, copied to <jobDir>/<trial id>/.
    names = [b.name for b in emu.client("storage").list_blobs("hpo-bridge-examples",
                                                              prefix="tf-job/")]
    assert [n.split("/")[:3] for n in names] == [["tf-job", "1", "eval"],
                                                 ["tf-job", "2", "eval"]]
    assert all("events.out.tfevents." in n for n in names)


def test_trial_outputs_go_under_the_base_output_directory(emu: Any) -> None:
    gapic = emu.client("vertex")
    package = upload(emu, "code/outputs.tar.gz", """\
import argparse, hypertune, os
p = argparse.ArgumentParser(); p.add_argument("--x", type=float)
a, _ = p.parse_known_args()
with open(os.path.join(os.environ["AIP_MODEL_DIR"], "model.txt"), "w") as f:
    f.write("x=%s trial=%s" % (a.x, os.environ["CLOUD_ML_TRIAL_ID"]))
hypertune.HyperTune().report_hyperparameter_tuning_metric(
    hyperparameter_metric_tag="acc", metric_value=a.x, global_step=1)
""")
    body = hpt_job(package, [{"parameter_id": "x", "discrete_value_spec": {"values": [1, 2]}}],
                   trials=2, parallel=2, algorithm="GRID_SEARCH")
    body["trial_job_spec"]["base_output_directory"]["output_uri_prefix"] = \
        "gs://hpo-bridge-examples/outputs-test"
    created = emu.client("vertex").create_hyperparameter_tuning_job(
        parent=PARENT, hyperparameter_tuning_job=body)
    assert wait_vertex(gapic, created.name).state.name == "JOB_STATE_SUCCEEDED"
    bucket = emu.client("storage").bucket("hpo-bridge-examples")
    texts = {b.name: b.download_as_text() for b in bucket.list_blobs(prefix="outputs-test/")}
    assert texts == {"outputs-test/1/model/model.txt": "x=1.0 trial=1",
                     "outputs-test/2/model/model.txt": "x=2.0 trial=2"}
