"""`import --from vertex|aiplatform`: the forms real files come in, what is not meaningful
said one line per problem, and spec -> request -> spec round trips."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_vertex.ml_backend import AiPlatformBackend
from hpo_bridge_vertex.vertex_backend import VertexBackend
from vertex_helpers import DATA, base_spec, make

from hpo_bridge.backends import BackendError
from hpo_bridge.loading import validate_spec
from hpo_bridge.spec import parse_yaml

CENSUS = DATA / "census"


def imported(backend: Any, data: Any) -> Any:
    return validate_spec(backend().import_native(data))


# -- AI Platform -----------------------------------------------------------------------------
def test_the_seeds_hptuning_config_yaml() -> None:
    spec = imported(AiPlatformBackend, parse_yaml((CENSUS / "hptuning_config.yaml").read_text()))
    assert spec.primary.metric == "metric1" and spec.primary.goal == "maximize"
    assert spec.to_dict()["search_space"] == {
        "hidden1": {"type": "int", "low": 40, "high": 400, "scale": "linear"},
        "numRnnCells": {"type": "discrete", "values": [1, 2, 3, 4]},
        "rnnCellType": {"type": "categorical", "values": [
            "BasicLSTMCell", "BasicRNNCell", "GRUCell", "LSTMCell", "LayerNormBasicLSTMCell"]}}
    assert spec.early_stopping.policy == "vertex_median"
    assert (spec.limits.max_trials, spec.limits.max_parallel) == (30, 1)
    settings = spec.backends["aiplatform"]
    assert (settings.scale_tier, settings.master_type, settings.worker_count,
            settings.parameter_server_count) == ("CUSTOM", "complex_model_m", 9, 3)
    assert spec.trial.summary_dir == "."  # AI Platform reads TF summaries too


@pytest.mark.parametrize("written", [True, "TRUE", "True", "true"])
def test_early_stopping_however_it_is_written(written: Any) -> None:
    data = {"trainingInput": {"hyperparameters": {
        "goal": "MINIMIZE", "enableTrialEarlyStopping": written,
        "params": [{"parameterName": "x", "type": "DOUBLE", "minValue": 0, "maxValue": 1}]}}}
    assert imported(AiPlatformBackend, data).early_stopping.policy == "vertex_median"


def test_the_seeds_resume_file_names_what_it_cannot_import() -> None:
    data = parse_yaml((CENSUS / "resume_config.yaml").read_text())
    with pytest.raises(BackendError) as info:
        AiPlatformBackend().import_native(data)
    assert str(info.value) == ("aiplatform: hyperparameters.params: no parameter to import"
                               " (the resumed job's params are not in this file)")


def test_variations_of_real_files() -> None:
    data = {"jobId": "census_v2", "trainingInput": {
        "scaleTier": "BASIC", "region": "$REGION", "jobDir": "gs://$BUCKET/jobs",
        "packageUris": ["gs://${BUCKET}/trainer-0.1.tar.gz"], "pythonModule": "trainer.task",
        "args": ["--epochs=5", "--data", "gs://$BUCKET/data"],
        "hyperparameters": {
            "goal": "MAXIMIZE", "hyperparameterMetricTag": "training/hptuning/metric",
            "maxTrials": 6, "params": [
                {"parameterName": "momentum", "type": "DOUBLE", "minValue": 0.5,
                 "maxValue": 0.999, "scaleType": "UNIT_REVERSE_LOG_SCALE"},
                {"parameterName": "layers", "type": "INTEGER", "minValue": 3, "maxValue": 3},
                {"parameterName": "optimizer", "type": "CATEGORICAL",
                 "categoricalValues": ["adam"]}]}}}
    spec = imported(AiPlatformBackend, data)
    assert spec.name == "census-v2" and spec.primary.metric == "training/hptuning/metric"
    assert spec.to_dict()["search_space"] == {
        "momentum": {"type": "float", "low": 0.5, "high": 0.999, "scale": "reverse_log"},
        "layers": {"type": "categorical", "values": [3]},  # a pinned constant
        "optimizer": {"type": "categorical", "values": ["adam"]}}
    assert spec.trial.command == ["python", "-m", "trainer.task"]
    assert spec.trial.args == {"epochs": 5}
    settings = spec.backends["aiplatform"]
    assert (settings.region, settings.job_dir, settings.staging_bucket) == (
        "us-central1", None, None)  # not imported: shell variables
    assert spec.description.splitlines() == [
        "imported from AI Platform Training job census_v2",
        "not imported: args --data: 'gs://$BUCKET/data' holds a shell variable; set it in"
        " backends.aiplatform",
        "not imported: trainingInput.region: '$REGION' holds a shell variable; set it in"
        " backends.aiplatform",
        "not imported: trainingInput.jobDir: 'gs://$BUCKET/jobs' holds a shell variable; set"
        " it in backends.aiplatform",
        "not imported: trainingInput.packageUris: 'gs://${BUCKET}/trainer-0.1.tar.gz' holds a"
        " shell variable; set it in backends.aiplatform",
        "not imported: trainingInput.packageUris: the code package is not downloaded; set"
        " trial.code to the package's source folder"]


@pytest.mark.parametrize(("data", "message"), [
    ({"trainingInput": {"scaleTier": "BASIC", "pythonModule": "t.task"}},
     "aiplatform: trainingInput.hyperparameters is missing: this is a training job without"
     " hyperparameter tuning"),
    ({"jobId": "x"}, "aiplatform: trainingInput is missing"),
    ({"trainingInput": {"hyperparameters": {"params": [
        {"parameterName": "x", "type": "DOUBLE", "minValue": 0, "maxValue": 1}]}}},
     "aiplatform: hyperparameters.goal: MAXIMIZE or MINIMIZE is required"),
])
def test_what_is_not_a_tuning_job_is_one_line(data: dict[str, Any], message: str) -> None:
    with pytest.raises(BackendError) as info:
        AiPlatformBackend().import_native(data)
    assert str(info.value).startswith(message) and len(str(info.value).splitlines()) == 1


def test_a_job_response_imports_like_its_request(tmp_path: Path) -> None:
    spec = make(base_spec(), tmp_path)
    request = AiPlatformBackend().compile(spec).request
    response = {**copy.deepcopy(request), "state": "SUCCEEDED", "trainingOutput": {
        "isHyperparameterTuningJob": True, "trials": []}, "createTime": "2026-12-01T00:00:00Z"}
    assert AiPlatformBackend().import_native(response) == \
        AiPlatformBackend().import_native(request)


# -- Vertex AI ---------------------------------------------------------------------------------
VERTEX_REST = {
    "displayName": "mnist-tuning",
    "studySpec": {
        "metrics": [{"metricId": "accuracy", "goal": "MAXIMIZE"}],
        "parameters": [
            {"parameterId": "lr", "doubleValueSpec": {"minValue": 1e-4, "maxValue": 0.1},
             "scaleType": "UNIT_LOG_SCALE"},
            {"parameterId": "optimizer", "categoricalValueSpec": {"values": ["sgd", "adam"]},
             "conditionalParameterSpecs": [{
                 "parentCategoricalValues": {"values": ["sgd"]},
                 "parameterSpec": {"parameterId": "momentum",
                                   "doubleValueSpec": {"minValue": 0.5, "maxValue": 0.99}}}]},
            {"parameterId": "units", "discreteValueSpec": {"values": [32, 64, 128]}}],
        "algorithm": "RANDOM_SEARCH", "measurementSelectionType": "BEST_MEASUREMENT",
        "medianAutomatedStoppingSpec": {}},
    "maxTrialCount": 12, "parallelTrialCount": 3, "maxFailedTrialCount": 2,
    "trialJobSpec": {"workerPoolSpecs": [{
        "machineSpec": {"machineType": "n1-standard-8", "acceleratorType": "NVIDIA_TESLA_T4",
                        "acceleratorCount": 1},
        "replicaCount": "1",
        "containerSpec": {"imageUri": "us-docker.pkg.dev/p/r/trainer:1",
                          "args": ["--epochs=10"]}}],
        "baseOutputDirectory": {"outputUriPrefix": "gs://bucket/out"},
        "scheduling": {"timeout": "3600s"}},
}
GCLOUD_YAML = """\
studySpec:
  metrics:
  - metricId: accuracy
    goal: MAXIMIZE
  parameters:
  - parameterId: lr
    doubleValueSpec: {minValue: 0.0001, maxValue: 0.1}
    scaleType: UNIT_LOG_SCALE
  - parameterId: optimizer
    categoricalValueSpec: {values: [sgd, adam]}
    conditionalParameterSpecs:
    - parentCategoricalValues: {values: [sgd]}
      parameterSpec:
        parameterId: momentum
        doubleValueSpec: {minValue: 0.5, maxValue: 0.99}
  - parameterId: units
    discreteValueSpec: {values: [32, 64, 128]}
  algorithm: RANDOM_SEARCH
  measurementSelectionType: BEST_MEASUREMENT
  medianAutomatedStoppingSpec: {}
trialJobSpec:
  workerPoolSpecs:
  - machineSpec: {machineType: n1-standard-8, acceleratorType: NVIDIA_TESLA_T4,
                  acceleratorCount: 1}
    replicaCount: 1
    containerSpec:
      imageUri: us-docker.pkg.dev/p/r/trainer:1
      args: [--epochs=10]
  baseOutputDirectory: {outputUriPrefix: gs://bucket/out}
  scheduling: {timeout: 3600s}
"""
GAPIC = {
    "display_name": "mnist-tuning",
    "study_spec": {
        "metrics": [{"metric_id": "accuracy", "goal": 1}],  # enums as numbers
        "parameters": [
            {"parameter_id": "lr", "double_value_spec": {"min_value": 1e-4, "max_value": 0.1},
             "scale_type": 2},
            {"parameter_id": "optimizer", "categorical_value_spec": {"values": ["sgd", "adam"]},
             "conditional_parameter_specs": [{
                 "parent_categorical_values": {"values": ["sgd"]},
                 "parameter_spec": {"parameter_id": "momentum",
                                    "double_value_spec": {"min_value": 0.5,
                                                          "max_value": 0.99}}}]},
            {"parameter_id": "units", "discrete_value_spec": {"values": [32, 64, 128]}}],
        "algorithm": 3, "measurement_selection_type": 2,
        "median_automated_stopping_spec": {}},
    "max_trial_count": 12, "parallel_trial_count": 3, "max_failed_trial_count": 2,
    "trial_job_spec": {"worker_pool_specs": [{
        "machine_spec": {"machine_type": "n1-standard-8",
                         "accelerator_type": "NVIDIA_TESLA_T4", "accelerator_count": 1},
        "replica_count": 1,
        "container_spec": {"image_uri": "us-docker.pkg.dev/p/r/trainer:1",
                           "args": ["--epochs=10"]}}],
        "base_output_directory": {"output_uri_prefix": "gs://bucket/out"},
        "scheduling": {"timeout": "3600s"}},
}


@pytest.mark.parametrize("form", ["rest", "gcloud", "gapic"])
def test_the_three_forms_of_a_vertex_job_import_alike(form: str) -> None:
    data = {"rest": copy.deepcopy(VERTEX_REST), "gcloud": parse_yaml(GCLOUD_YAML),
            "gapic": copy.deepcopy(GAPIC)}[form]
    spec = imported(VertexBackend, data)
    assert spec.primary.measurement == "best"
    assert spec.to_dict()["search_space"] == {
        "lr": {"type": "float", "low": 0.0001, "high": 0.1, "scale": "log"},
        "optimizer": {"type": "categorical", "values": ["sgd", "adam"]},
        "momentum": {"type": "float", "low": 0.5, "high": 0.99,
                     "condition": {"parent": "optimizer", "values": ["sgd"]}},
        "units": {"type": "discrete", "values": [32, 64, 128]}}
    assert (spec.strategy.algorithm, spec.early_stopping.policy) == ("random", "vertex_median")
    if form != "gcloud":
        assert (spec.limits.max_trials, spec.limits.max_parallel, spec.limits.max_failed) == (
            12, 3, 2)
    assert spec.limits.trial_timeout == 3600
    settings = spec.backends["vertex"]
    assert (settings.container_image, settings.machine_type, settings.accelerator_type,
            settings.accelerator_count, settings.base_output_dir) == (
        "us-docker.pkg.dev/p/r/trainer:1", "n1-standard-8", "NVIDIA_TESLA_T4", 1,
        "gs://bucket/out")
    assert spec.trial.args == {"epochs": 10}


@pytest.mark.parametrize(("change", "message"), [
    (lambda g: g["study_spec"]["parameters"][0].update(scale_type=99),
     "studySpec.parameters[0].scaleType: 99 is not one of"),
    (lambda g: g["study_spec"]["parameters"].append(
        {"parameter_id": "n", "integer_value_spec": {"min_value": 1.5, "max_value": 4}}),
     "integerValueSpec.minValue: 1.5 is not an integer (it would be truncated)"),
    (lambda g: g["study_spec"]["parameters"][0].update(
        integer_value_spec={"min_value": 1, "max_value": 2}),
     "two members of one oneof: doubleValueSpec and integerValueSpec"),
    (lambda g: g["study_spec"]["parameters"][0]["double_value_spec"].update(min_value=1.0),
     "minValue 1.0 is greater than maxValue 0.1"),
    (lambda g: g["study_spec"]["parameters"][2]["discrete_value_spec"].update(
        values=[64, 32]), "must be strictly increasing (64 then 32)"),
    (lambda g: g.update(max_failed_trial_count=20), "must not exceed maxTrialCount"),
])
def test_what_proto_plus_would_let_through_is_refused(change: Any, message: str) -> None:
    data = copy.deepcopy(GAPIC)
    change(data)
    with pytest.raises(BackendError) as info:
        VertexBackend().import_native(data)
    assert any(line.startswith("vertex: ") and message in line
               for line in str(info.value).splitlines()), str(info.value)


# -- round trips: spec -> request -> spec --------------------------------------------------------
ROUND_TRIP = base_spec(
    objective={"metric": "training/hptuning/metric", "goal": "minimize", "measurement": "best"},
    search_space={"lr": {"type": "float", "low": 0.001, "high": 0.1, "scale": "log"},
                  "momentum": {"type": "float", "low": 0.5, "high": 0.99,
                               "scale": "reverse_log"},
                  "layers": {"type": "int", "low": 1, "high": 6, "scale": "linear"},
                  "units": {"type": "discrete", "values": [32, 64, 128]},
                  "opt": {"type": "categorical", "values": ["sgd", "adam"]},
                  "nesterov": {"type": "categorical", "values": ["yes", "no"],
                               "condition": {"parent": "opt", "values": ["sgd"]}}},
    strategy={"algorithm": "grid"}, early_stopping={"policy": "vertex_median"},
    limits={"max_trials": 20, "max_parallel": 4, "max_failed": 3, "trial_timeout": "1h"},
    trial={"command": ["python", "-m", "trainer.task"], "contract": "vertex",
           "args": {"epochs": 5}, "env": {"MODE": "tune"}})


def _without(data: dict[str, Any], *paths: str) -> dict[str, Any]:
    out = json.loads(json.dumps(data))
    for path in paths:
        *head, last = path.split(".")
        node = out
        for key in head:
            node = node[key]
        node.pop(last, None)
    return out


def test_round_trip_vertex(tmp_path: Path) -> None:
    data = copy.deepcopy(ROUND_TRIP)
    data["search_space"] = {k: v for k, v in data["search_space"].items()
                            if v["type"] != "float" or k != "lr"} | {
        "lr": {"type": "discrete", "values": [0.001, 0.01, 0.1]}}  # grid: finite domains only
    data["search_space"].pop("momentum")
    spec = make(data, tmp_path)
    request = VertexBackend().compile(spec).request
    back = validate_spec(VertexBackend().import_native(request))
    original = spec.to_dict()
    again = back.to_dict()
    assert again["search_space"] == original["search_space"]
    assert again["objective"] == original["objective"]
    assert again["strategy"] == original["strategy"]
    assert again["early_stopping"] == original["early_stopping"]
    assert again["limits"] == {"max_trials": 20, "max_parallel": 4, "max_failed": 3,
                               "trial_timeout": "1h"}
    assert (again["trial"]["command"][-1], again["trial"]["args"], again["trial"]["env"]) == (
        "trainer.task", {"epochs": 5},
        {"MODE": "tune"})


def test_round_trip_aiplatform(tmp_path: Path) -> None:
    data = _without(ROUND_TRIP, "search_space.nesterov", "objective.measurement",
                    "limits.trial_timeout", "trial.env")
    data["strategy"] = {"algorithm": "random"}
    spec = make(data, tmp_path)
    request = AiPlatformBackend().compile(spec).request
    back = validate_spec(AiPlatformBackend().import_native(request)).to_dict()
    original = spec.to_dict()
    for section in ("search_space", "objective", "strategy", "early_stopping", "limits"):
        assert back[section] == original[section], section
    assert back["trial"]["args"] == {"epochs": 5}
    assert back["name"] == request["jobId"].replace("_", "-")
