"""The emulator's own reading of Google's requests (no server): Vertex and AI Platform jobs
as the spec hpo-bridge's core runs."""

from __future__ import annotations

from pathlib import Path

from hpo_bridge_localstack.gcp import ml_translate, vertex_translate
from hpo_bridge_localstack.gcp.packages import Program, from_container_spec

from hpo_bridge.loading import validate_spec

ROOTS = [Path("/code/0")]
PROGRAM = Program("trainer.task", ["gs://b/p.tar.gz"], ["--data=x"], {"MODE": "tune"})


def test_a_vertex_job_as_a_spec() -> None:
    job = {
        "studySpec": {
            "metrics": [{"metricId": "acc", "goal": "MINIMIZE"}],
            "parameters": [
                {"parameterId": "lr", "doubleValueSpec": {"maxValue": 0.5},  # min 0: omitted
                 "scaleType": "UNIT_LINEAR_SCALE"},
                {"parameterId": "opt", "categoricalValueSpec": {"values": ["sgd", "adam"]},
                 "conditionalParameterSpecs": [{
                     "parentCategoricalValues": {"values": ["sgd"]},
                     "parameterSpec": {"parameterId": "m", "integerValueSpec": {
                         "minValue": "2", "maxValue": "2"}}}]},
                {"parameterId": "bs", "discreteValueSpec": {"values": [16.0, 32.0]}}],
            "measurementSelectionType": "BEST_MEASUREMENT",
            "decayCurveStoppingSpec": {}},
        "maxTrialCount": 5, "parallelTrialCount": 9, "maxFailedTrialCount": 0,
        "trialJobSpec": {"scheduling": {"timeout": "600s"}},
    }
    data = vertex_translate.spec_data("7", job, PROGRAM, ROOTS)
    assert data["objective"] == {"metric": "acc", "goal": "minimize", "measurement": "best"}
    assert data["search_space"] == {
        "lr": {"type": "float", "low": 0.0, "high": 0.5, "scale": "linear"},
        "opt": {"type": "categorical", "values": ["sgd", "adam"]},
        "m": {"type": "categorical", "values": [2],
              "condition": {"parent": "opt", "values": ["sgd"]}},
        "bs": {"type": "discrete", "values": [16, 32]}}
    assert data["strategy"] == {"algorithm": "bayesian"}  # unset: Vertex's default
    assert data["early_stopping"] == {"policy": "decay_curve"}
    assert data["limits"] == {"max_trials": 5, "max_parallel": 5, "trial_timeout": 600.0}
    assert data["trial"]["command"] == ["python", "-m", "trainer.task", "--data=x"]
    assert data["trial"]["env"] == {"MODE": "tune", "PYTHONPATH": "/code/0"}
    assert validate_spec(data, base_dir=Path("/")).early_stopping.policy == "decay_curve"


def test_an_ai_platform_job_as_a_spec() -> None:
    hyper = {"goal": "MAXIMIZE", "maxTrials": 4, "maxParallelTrials": 2, "maxFailedTrials": 2,
             "enableTrialEarlyStopping": True, "algorithm": "RANDOM_SEARCH", "params": [
                 {"parameterName": "n", "type": "INTEGER", "minValue": 1, "maxValue": 8,
                  "scaleType": "UNIT_LOG_SCALE"}]}
    data = ml_translate.spec_data("job_1", {"jobDir": "gs://b/j"}, hyper, PROGRAM, ROOTS,
                                  previous=3)
    assert data["name"] == "ml-job-1"
    assert data["objective"] == {"metric": "training/hptuning/metric", "goal": "maximize"}
    assert data["limits"] == {"max_trials": 7, "max_parallel": 2, "max_failed": 2}
    assert data["early_stopping"] == {"policy": "vertex_median"}
    assert data["trial"]["args"] == {"job-dir": "job"}
    assert data["trial"]["summary_dir"] == "."
    assert validate_spec(data, base_dir=Path("/")).limits.max_trials == 7


def test_the_from_local_script_command_is_read_for_what_it_means() -> None:
    program = from_container_spec({"imageUri": "python:3.11", "command": [
        "sh", "-c", "pip install --upgrade pip && pip3 install -q --user "
        "/gcs/b/aiplatform-x-aiplatform_custom_trainer_script-0.1.tar.gz && python3 -m "
        "aiplatform_custom_trainer_script.task --epochs 3"], "env": [{"name": "A",
                                                                       "value": "1"}]})
    assert (program.module, program.packages, program.args, program.env) == (
        "aiplatform_custom_trainer_script.task",
        ["gs://b/aiplatform-x-aiplatform_custom_trainer_script-0.1.tar.gz"],
        ["--epochs", "3"], {"A": "1"})
