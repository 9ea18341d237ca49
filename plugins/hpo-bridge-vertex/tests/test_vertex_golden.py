"""Golden requests: the seed's AI Platform examples (SEEDS.md, 002: the census
`hptuning_config.yaml` and the Python dict) and the repository's example specs compile for
both backends to requests that the SDK types and the discovery document accept."""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_vertex.discovery import job_problems
from hpo_bridge_vertex.ml_backend import AiPlatformBackend
from hpo_bridge_vertex.vertex_backend import VertexBackend
from hpo_bridge_vertex.vertex_checks import check_job
from vertex_helpers import DATA

from hpo_bridge.backends import UnsupportedFeatures
from hpo_bridge.loading import load_spec, validate_spec
from hpo_bridge.spec import parse_yaml

REPO = Path(__file__).resolve().parents[3]
CENSUS = DATA / "census"
GOLDEN = DATA / "golden"
SETTINGS = {"vertex": {"staging_bucket": "gs://hpo-bridge-examples/census"},
            "aiplatform": {"staging_bucket": "gs://hpo-bridge-examples/census"}}
BACKENDS = {"vertex": VertexBackend, "aiplatform": AiPlatformBackend}

# The seed's Python example, built the way the page builds it.
hyperparams: dict[str, Any] = {
    "goal": "MAXIMIZE", "hyperparameterMetricTag": "metric1", "maxTrials": 30,
    "maxParallelTrials": 1, "enableTrialEarlyStopping": True, "params": []}
hyperparams["params"].append({"parameterName": "hidden1", "type": "INTEGER", "minValue": 40,
                              "maxValue": 400, "scaleType": "UNIT_LINEAR_SCALE"})
hyperparams["params"].append({"parameterName": "numRnnCells", "type": "DISCRETE",
                              "discreteValues": [1, 2, 3, 4]})
hyperparams["params"].append({"parameterName": "rnnCellType", "type": "CATEGORICAL",
                              "categoricalValues": ["BasicLSTMCell", "BasicRNNCell", "GRUCell",
                                                    "LSTMCell", "LayerNormBasicLSTMCell"]})
training_inputs: dict[str, Any] = {"scaleTier": "BASIC", "region": "us-central1"}
training_inputs["hyperparameters"] = hyperparams
PYTHON_DICT = {"jobId": "census_dict", "trainingInput": training_inputs}


def accepted(backend: str, request: dict[str, Any]) -> None:
    """The SDK's own schema accepts it (and the checks the SDK skips pass)."""
    if backend == "vertex":
        from google.cloud.aiplatform_v1 import HyperparameterTuningJob

        HyperparameterTuningJob.from_json(json.dumps(request))  # raises when it does not
        assert check_job(request) == []
    else:
        assert job_problems(request) == []


def golden(name: str, request: dict[str, Any]) -> None:
    path = GOLDEN / f"{name}.json"
    text = json.dumps(request, indent=2, sort_keys=True) + "\n"
    if os.environ.get("HPO_BRIDGE_UPDATE_GOLDEN"):
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
    assert json.loads(path.read_text()) == json.loads(text)


def census_spec(data: dict[str, Any], backend: str = "aiplatform") -> Any:
    """An imported seed job, with the code the page's trainer stands for (it reports through
    cloudml-hypertune: on Vertex AI the summaries are not read)."""
    spec = AiPlatformBackend().import_native(copy.deepcopy(data))
    spec["trial"].update(command=["python", "-m", "trainer.task"], code=".")
    if backend == "vertex":
        spec["trial"].pop("summary_dir")
    spec["backends"] = {**SETTINGS, "aiplatform": {**spec["backends"]["aiplatform"],
                                                   **SETTINGS["aiplatform"]}}
    return validate_spec(spec, base_dir=CENSUS)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("source", ["yaml", "dict"])
def test_the_seeds_census_job_compiles_for_both_backends(backend: str, source: str) -> None:
    data = parse_yaml((CENSUS / "hptuning_config.yaml").read_text()) if source == "yaml" \
        else PYTHON_DICT
    spec = census_spec(data, backend)
    request = BACKENDS[backend]().compile(spec).request
    accepted(backend, request)
    golden(f"census-{source}-{backend}", request)


def test_the_seeds_yaml_keeps_its_machines_and_early_stopping() -> None:
    request = AiPlatformBackend().compile(census_spec(parse_yaml(
        (CENSUS / "hptuning_config.yaml").read_text()))).request["trainingInput"]
    assert {k: request[k] for k in ("scaleTier", "masterType", "workerType",
                                    "parameterServerType", "workerCount",
                                    "parameterServerCount")} == {
        "scaleTier": "CUSTOM", "masterType": "complex_model_m",
        "workerType": "complex_model_m", "parameterServerType": "large_model",
        "workerCount": "9", "parameterServerCount": "3"}
    hyper = request["hyperparameters"]
    assert (hyper["enableTrialEarlyStopping"], hyper["hyperparameterMetricTag"],
            hyper["maxTrials"], hyper["maxParallelTrials"]) == (True, "metric1", 30, 1)
    assert hyper["params"][1] == {"parameterName": "numRnnCells", "type": "DISCRETE",
                                  "discreteValues": [1, 2, 3, 4]}


EXAMPLES = sorted([*REPO.glob("examples/specs/*.yaml"), *REPO.glob("examples/*/spec.yaml")])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_example_spec_compiles_or_names_each_gap(path: Path, backend: str) -> None:
    """A vertex-contract example compiles (with --approximate where the cloud lacks a
    feature) to an accepted request; any other names each gap on one line."""
    spec = load_spec(path)
    if spec.trial.contract == "vertex":
        data = spec.to_dict()
        data.setdefault("backends", {}).setdefault(backend, {}).setdefault(
            "staging_bucket", "gs://hpo-bridge-examples/examples")
        spec = validate_spec(data, base_dir=path.parent)
        request = BACKENDS[backend]().compile(spec, approximate=True).request
        accepted(backend, request)
        if path.parent.name == "vertex":
            golden(f"example-vertex-{backend}", request)
        return
    with pytest.raises(UnsupportedFeatures) as info:
        BACKENDS[backend]().compile(spec, approximate=True)
    lines = str(info.value).splitlines()
    assert lines and all(line.startswith(f"{backend}: ") and "(not supported; nearest: " in
                         line for line in lines)
    assert any("trial.contract: contract " in line for line in lines)


def test_conditions_nest_under_their_parents_on_vertex() -> None:
    data = load_spec(REPO / "examples/specs/aiplatform-conditional.yaml").to_dict()
    data["backends"] = {"vertex": SETTINGS["vertex"]}
    spec = validate_spec(data, base_dir=REPO / "examples/specs")
    params = VertexBackend().compile(spec).request["studySpec"]["parameters"]
    layers = next(p for p in params if p["parameterId"] == "num-layers")
    assert [(c["parentDiscreteValues"]["values"], c["parameterSpec"]["parameterId"])
            for c in layers["conditionalParameterSpecs"]] == [
        ([2.0, 3.0, 4.0], "second-layer-size"), ([3.0, 4.0], "third-layer-size")]
    optimizer = next(p for p in params if p["parameterId"] == "optimizer")
    assert optimizer["conditionalParameterSpecs"] == [{
        "parentCategoricalValues": {"values": ["sgd"]},
        "parameterSpec": {"parameterId": "sgd-momentum",
                          "doubleValueSpec": {"minValue": 0.5, "maxValue": 0.999},
                          "scaleType": "UNIT_REVERSE_LOG_SCALE"}}]
    assert [p["parameterId"] for p in params] == [
        "training/hptuning/first-layer-size", "num-layers", "optimizer"]
