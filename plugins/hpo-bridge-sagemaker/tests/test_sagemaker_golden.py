"""Golden translations of every spec in examples/specs/: what SageMaker cannot express is
pinned per spec, and whatever compiles (with --approximate where needed) is a request
botocore's model accepts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_sagemaker.backend import SageMakerBackend
from hpo_bridge_sagemaker.service_model import validate
from hpo_bridge_sagemaker.translate import OPERATION
from sagemaker_helpers import IMAGE, ROLE

from hpo_bridge.backends import Compiled, UnsupportedFeatures
from hpo_bridge.loading import validate_spec
from hpo_bridge.spec import parse_yaml

SPECS = Path(__file__).resolve().parents[3] / "examples" / "specs"
SETTINGS = {"role_arn": ROLE, "image_uri": IMAGE, "output_path": "s3://b/out"}
CONDITIONS = ["search_space.second-layer-size.condition",
              "search_space.third-layer-size.condition", "search_space.sgd-momentum.condition"]
AZURE_DISTRIBUTIONS = [f"search_space.{p}.distribution" for p in
                       ("momentum", "weight_decay", "hidden_units", "embedding", "noise", "scale")]
FORBIDDEN_CONDITIONS = ["search_space.momentum.condition",
                        "search_space.skip_connections.condition", "forbidden"]
RICH_APPROXIMABLE = ["objective.measurement", "limits.max_failed", "search_space.dropout.q",
                     "search_space.keep_prob.distribution", "early_stopping.policy"]

# Each spec as written (plus backends.sagemaker): the unsupported features compile names,
# then those --approximate cannot map. [] means it compiles.
AS_WRITTEN: dict[str, tuple[list[str], list[str]]] = {
    "aiplatform-conditional.yaml": (
        ["metrics", "limits.max_failed", *CONDITIONS, "trial.contract", "trial.command"],
        ["metrics", "trial.contract", "trial.command"]),
    "azure-median.yaml": (
        ["metrics", *AZURE_DISTRIBUTIONS, "early_stopping.policy", "trial.contract"],
        ["metrics", "trial.contract"]),
    "forbidden-conditions.yaml": (["metrics", *FORBIDDEN_CONDITIONS], ["metrics"]),
    "grid.yaml": (["metrics"], ["metrics"]),
    "hyperband.yaml": (["strategy.reduction_factor", "metrics"], ["metrics"]),
    "multi-objective.yaml": (["objectives", "metrics", "trial.contract"],
                             ["metrics", "trial.contract"]),
    "rich-local.yaml": ([*RICH_APPROXIMABLE, "trial.args.pretrained", "trial.command"],
                        ["trial.args.pretrained", "trial.command"]),
    "sagemaker-mnist.yaml": ([], []),
    "vega-bool-log.yaml": (
        ["metrics", "trial.contract", "trial.devices", "trial.fullytrain",
         "trial.args.pretrained"],
        ["metrics", "trial.contract", "trial.args.pretrained"]),
}
# Ported to SageMaker the way a user would: the sagemaker contract and a regex for each
# objective metric (SageMaker reads metrics from the training log).
PORTED: dict[str, tuple[list[str], list[str]]] = {
    "aiplatform-conditional.yaml": (["limits.max_failed", *CONDITIONS, "trial.command"],
                                    ["trial.command"]),
    "azure-median.yaml": ([*AZURE_DISTRIBUTIONS, "early_stopping.policy"], []),
    "forbidden-conditions.yaml": (FORBIDDEN_CONDITIONS, []),
    "grid.yaml": ([], []),
    "hyperband.yaml": (["strategy.reduction_factor"], []),
    "multi-objective.yaml": (["objectives"], []),
    "rich-local.yaml": AS_WRITTEN["rich-local.yaml"],
    "sagemaker-mnist.yaml": ([], []),
    "vega-bool-log.yaml": (["trial.devices", "trial.fullytrain", "trial.args.pretrained"],
                           ["trial.args.pretrained"]),
}


def load(name: str, folder: Path, ported: bool = False) -> Any:
    """The example with its scripts (stand-ins) beside it, as compile packs the code folder."""
    shutil.copy(SPECS / name, folder / name)
    for script in ("train.py", "mnist.py"):
        (folder / script).write_text("print('loss=0.5')\n")
    data = parse_yaml((folder / name).read_text())
    data["backends"] = {"sagemaker": dict(SETTINGS)}
    if ported:
        objectives = [data["objective"]] if data.get("objective") else data["objectives"]
        metrics = data.setdefault("metrics", [])
        named = {m["name"] for m in metrics}
        metrics += [{"name": o["metric"], "regex": f"{o['metric']}=([0-9.]+)"}
                    for o in objectives if o["metric"] not in named]
        data.setdefault("trial", {})["contract"] = "sagemaker"
    return validate_spec(data, base_dir=folder)


def outcome(spec: Any, approximate: bool) -> tuple[list[str], Compiled | None]:
    try:
        return [], SageMakerBackend().compile(spec, approximate=approximate)
    except UnsupportedFeatures as exc:
        return [item.path for item in exc.items], None


def test_every_example_spec_has_a_golden_entry():
    assert sorted(p.name for p in SPECS.glob("*.yaml")) == sorted(AS_WRITTEN) == sorted(PORTED)


@pytest.mark.parametrize("ported", [False, True], ids=["as-written", "ported"])
@pytest.mark.parametrize("name", sorted(AS_WRITTEN))
def test_example_spec_translates_or_names_every_feature(name, ported, tmp_path):
    unsupported, left = (PORTED if ported else AS_WRITTEN)[name]
    spec = load(name, tmp_path, ported)
    assert outcome(spec, approximate=False)[0] == unsupported
    missing, compiled = outcome(spec, approximate=True)
    assert missing == left
    if compiled is not None:
        # botocore's ParamValidator plus the model's enums, maxima and patterns
        assert validate(OPERATION, compiled.request) == []
        assert len(compiled.warnings) == len(unsupported)  # one warning per mapping
        assert [w.split(": ", 1)[0] for w in compiled.warnings] == unsupported


def test_sagemaker_mnist_example_request_is_pinned(tmp_path):
    compiled = SageMakerBackend().compile(load("sagemaker-mnist.yaml", tmp_path))
    request = json.loads(json.dumps(compiled.request))
    job = request.pop("HyperParameterTuningJobName")
    assert job.startswith("pytorch-mnist-") and len(job) == len("pytorch-mnist-") + 8
    source = f"s3://b/{job}/source/sourcedir.tar.gz"
    assert request == {
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {"Type": "Minimize",
                                                 "MetricName": "average test loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 9, "MaxParallelTrainingJobs": 3},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "lr", "MinValue": "0.001", "MaxValue": "0.1",
                     "ScalingType": "Logarithmic"},
                    {"Name": "momentum", "MinValue": "0.1", "MaxValue": "0.9",
                     "ScalingType": "Auto"}],
                "CategoricalParameterRanges": [
                    {"Name": "batch-size", "Values": ["32", "64", "128", "256"]}],
            },
            "TrainingJobEarlyStoppingType": "Off",
            "RandomSeed": 11,
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": IMAGE,
                "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "average test loss",
                                       "Regex": "Test set: Average loss: ([0-9.]+)"}],
            },
            "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": "s3://b/out"},
            "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1,
                               "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
            # Script mode: hyperparameters JSON-encoded, as the SageMaker Python SDK sends them.
            "StaticHyperParameters": {
                "epochs": "5",
                "backend": '"gloo"',
                "sagemaker_program": '"mnist.py"',
                "sagemaker_submit_directory": json.dumps(source),
                "sagemaker_container_log_level": "20",
            },
        },
    }
    assert compiled.warnings == [] and list(compiled.artifacts) == [source]
