"""spec -> CreateHyperParameterTuningJob: golden requests, every mapping, validated offline."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest
from hpo_bridge_sagemaker.backend import SageMakerBackend
from hpo_bridge_sagemaker.service_model import validate
from hpo_bridge_sagemaker.translate import OPERATION
from sagemaker_helpers import DATA, IMAGE, ROLE, base_spec, make

from hpo_bridge.backends import Compiled, InvalidRequest
from hpo_bridge.backends.packaging import pack

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def compile_(data, approximate=False, base_dir=None) -> Compiled:
    return SageMakerBackend().compile(make(data, base_dir), approximate=approximate)


def config(compiled: Compiled) -> dict:
    return compiled.request["HyperParameterTuningJobConfig"]


def test_seed_003_request_is_pinned(mnist_spec):
    compiled = SageMakerBackend().compile(mnist_spec)
    job = "pytorch-mnist-custom-hp-11570702"
    source = f"s3://sagemaker-demo/{job}/source/sourcedir.tar.gz"
    assert compiled.request == {
        "HyperParameterTuningJobName": job,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Bayesian",
            "HyperParameterTuningJobObjective": {
                "Type": "Minimize", "MetricName": "average test loss"},
            "ResourceLimits": {"MaxNumberOfTrainingJobs": 9, "MaxParallelTrainingJobs": 3},
            "ParameterRanges": {
                "ContinuousParameterRanges": [
                    {"Name": "lr", "MinValue": "0.001", "MaxValue": "0.1",
                     "ScalingType": "Auto"}],
                "CategoricalParameterRanges": [
                    {"Name": "batch-size", "Values": ["32", "64", "128", "256", "512"]}],
            },
            "TrainingJobEarlyStoppingType": "Off",
        },
        "TrainingJobDefinition": {
            "AlgorithmSpecification": {
                "TrainingImage": IMAGE,
                "TrainingInputMode": "File",
                "MetricDefinitions": [
                    {"Name": "average test loss",
                     "Regex": "Test set: Average loss: ([0-9.]+)"}],
            },
            "RoleArn": ROLE,
            "InputDataConfig": [{
                "ChannelName": "training",
                "DataSource": {"S3DataSource": {
                    "S3DataType": "S3Prefix",
                    "S3Uri": "s3://sagemaker-demo/sagemaker/DEMO-custom-hpo",
                    "S3DataDistributionType": "FullyReplicated"}},
            }],
            "OutputDataConfig": {
                "S3OutputPath": "s3://sagemaker-demo/sagemaker/DEMO-custom-hpo/output"},
            "ResourceConfig": {
                "InstanceType": "ml.c5.2xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
            "StoppingCondition": {"MaxRuntimeInSeconds": 86400},
            "StaticHyperParameters": {
                "epochs": "5",
                "sagemaker_program": '"mnist.py"',
                "sagemaker_submit_directory": json.dumps(source),
                "sagemaker_container_log_level": "20",
            },
        },
    }
    assert compiled.warnings == []
    assert list(compiled.artifacts) == [source]
    assert validate(OPERATION, compiled.request) == []


def test_script_mode_tarball_is_deterministic_and_holds_the_code(mnist_spec):
    compiled = SageMakerBackend().compile(mnist_spec)
    (path,) = compiled.artifacts.values()
    data = path.read_bytes()
    assert data == pack(DATA / "mnist")
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(data))) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert sorted(members) == ["mnist.py", "spec.yaml"]
    assert all(m.mtime == 0 and m.uid == 0 and m.uname == "" for m in members.values())


def test_same_spec_same_name_and_any_change_a_new_name(mnist_spec):
    first = compile_(base_spec()).request["HyperParameterTuningJobName"]
    assert compile_(base_spec()).request["HyperParameterTuningJobName"] == first
    changed = base_spec(limits={"max_trials": 5, "max_parallel": 2})
    assert compile_(changed).request["HyperParameterTuningJobName"] != first
    explicit = base_spec()
    explicit["backends"]["sagemaker"]["job_name"] = "my-job"
    assert compile_(explicit).request["HyperParameterTuningJobName"] == "my-job"


def test_invalid_explicit_job_name_is_one_clear_line():
    data = base_spec()
    data["backends"]["sagemaker"]["job_name"] = "x" * 33
    with pytest.raises(InvalidRequest, match="backends.sagemaker.job_name"):
        compile_(data)


# -- parameter ranges -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("domain", "kind", "expected"),
    [
        ({"type": "float", "low": 0.1, "high": 0.9}, "Continuous",
         {"MinValue": "0.1", "MaxValue": "0.9", "ScalingType": "Auto"}),
        ({"type": "float", "low": 0.1, "high": 0.9, "scale": "linear"}, "Continuous",
         {"MinValue": "0.1", "MaxValue": "0.9", "ScalingType": "Linear"}),
        ({"type": "float", "low": 1e-5, "high": 1.0, "scale": "log"}, "Continuous",
         {"MinValue": "1e-05", "MaxValue": "1.0", "ScalingType": "Logarithmic"}),
        ({"type": "float", "low": 0.9, "high": 0.999, "scale": "reverse_log"}, "Continuous",
         {"MinValue": "0.9", "MaxValue": "0.999", "ScalingType": "ReverseLogarithmic"}),
        ({"type": "int", "low": 1, "high": 6}, "Integer",
         {"MinValue": "1", "MaxValue": "6", "ScalingType": "Auto"}),
        ({"type": "int", "low": 32, "high": 1024, "scale": "log"}, "Integer",
         {"MinValue": "32", "MaxValue": "1024", "ScalingType": "Logarithmic"}),
        ({"distribution": "uniform", "low": -1, "high": 1}, "Continuous",
         {"MinValue": "-1.0", "MaxValue": "1.0", "ScalingType": "Linear"}),
        ({"distribution": "loguniform", "low": 0.001, "high": 1}, "Continuous",
         {"MinValue": "0.001", "MaxValue": "1.0", "ScalingType": "Logarithmic"}),
        ({"distribution": "randint", "upper": 10}, "Integer",
         {"MinValue": "0", "MaxValue": "9", "ScalingType": "Linear"}),
        ({"type": "categorical", "values": ["adam", 3, 0.5, True]}, "Categorical",
         {"Values": ["adam", "3", "0.5", "true"]}),
        ({"type": "discrete", "values": [1, 2.5, 10]}, "Categorical",
         {"Values": ["1", "2.5", "10"]}),
        ({"type": "bool"}, "Categorical", {"Values": ["false", "true"]}),
    ],
)
def test_domains_map_to_native_ranges(domain, kind, expected):
    compiled = compile_(base_spec(search_space={"p": domain}))
    ranges = config(compiled)["ParameterRanges"]
    assert ranges == {f"{kind}ParameterRanges": [{"Name": "p", **expected}]}
    assert compiled.warnings == []


def test_grid_turns_every_finite_domain_into_categorical_values():
    data = base_spec(
        search_space={
            "layers": {"type": "int", "low": 1, "high": 3},
            "dropout": {"type": "float", "low": 0.0, "high": 0.2, "q": 0.1},
            "opt": {"type": "categorical", "values": ["sgd", "adam"]},
            "k": {"distribution": "quniform", "low": 0, "high": 4, "q": 2, "type": "int"},
        },
        strategy={"algorithm": "grid"},
        limits={"max_parallel": 2},
    )
    compiled = compile_(data)
    cfg = config(compiled)
    assert cfg["Strategy"] == "Grid"
    assert cfg["ParameterRanges"] == {"CategoricalParameterRanges": [
        {"Name": "layers", "Values": ["1", "2", "3"]},
        {"Name": "dropout", "Values": ["0.0", "0.1", "0.2"]},
        {"Name": "opt", "Values": ["sgd", "adam"]},
        {"Name": "k", "Values": ["0", "2", "4"]},
    ]}
    # SageMaker runs the whole grid: no MaxNumberOfTrainingJobs.
    assert cfg["ResourceLimits"] == {"MaxParallelTrainingJobs": 2}


def test_hyperband_strategy_config_from_the_resource():
    data = base_spec(strategy={"algorithm": "hyperband", "seed": 3},
                     trial={"resource": {"name": "epochs", "min": 2, "max": 27}})
    cfg = config(compile_(data))
    assert cfg["Strategy"] == "Hyperband"
    assert cfg["StrategyConfig"] == {"HyperbandStrategyConfig": {"MinResource": 2,
                                                                 "MaxResource": 27}}
    assert cfg["TrainingJobEarlyStoppingType"] == "Off"
    assert cfg["RandomSeed"] == 3


def test_limits_completion_criteria_and_timeouts():
    data = base_spec(limits={"max_trials": 50, "max_parallel": 5, "max_duration": "2h",
                             "trial_timeout": "30m", "target_value": 0.05,
                             "max_trials_without_improvement": 10})
    compiled = compile_(data)
    cfg = config(compiled)
    assert cfg["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 50,
                                     "MaxParallelTrainingJobs": 5,
                                     "MaxRuntimeInSeconds": 7200}
    assert cfg["TuningJobCompletionCriteria"] == {
        "TargetObjectiveMetricValue": 0.05,
        "BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 10}}
    definition = compiled.request["TrainingJobDefinition"]
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 1800}


def test_training_job_definition_from_settings():
    data = base_spec(trial={"args": {"epochs": 5, "optimizer": "adam", "nesterov": True},
                            "env": {"A": "1"},
                            "inputs": {"test": "s3://bucket/test"}})
    data["backends"]["sagemaker"].update({
        "instance_type": "ml.g5.xlarge", "instance_count": 2, "volume_size_gb": 100,
        "channels": {"train": "s3://bucket/train"}, "input_mode": "FastFile",
        "environment": {"B": "2"}, "max_runtime": "3h", "use_spot": True, "max_wait": "4h",
        "checkpoint_s3_uri": "s3://bucket/ckpt", "tags": {"team": "ml"},
    })
    data["warm_start"] = {"from": ["earlier-job"], "type": "transfer"}
    request = compile_(data).request
    definition = request["TrainingJobDefinition"]
    assert definition["AlgorithmSpecification"]["TrainingInputMode"] == "FastFile"
    assert [c["ChannelName"] for c in definition["InputDataConfig"]] == ["test", "train"]
    assert definition["ResourceConfig"] == {"InstanceType": "ml.g5.xlarge",
                                            "InstanceCount": 2, "VolumeSizeInGB": 100}
    assert definition["StoppingCondition"] == {"MaxRuntimeInSeconds": 10800,
                                               "MaxWaitTimeInSeconds": 14400}
    assert definition["EnableManagedSpotTraining"] is True
    assert definition["CheckpointConfig"] == {"S3Uri": "s3://bucket/ckpt"}
    assert definition["Environment"] == {"A": "1", "B": "2"}
    # Image mode (no trial.command): plain strings, as SageMaker passes them.
    assert definition["StaticHyperParameters"] == {"epochs": "5", "optimizer": "adam",
                                                   "nesterov": "true"}
    assert request["WarmStartConfig"] == {
        "ParentHyperParameterTuningJobs": [{"HyperParameterTuningJobName": "earlier-job"}],
        "WarmStartType": "TransferLearning"}
    assert request["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert validate(OPERATION, request) == []


def test_early_stopping_override():
    data = base_spec()
    data["backends"]["sagemaker"]["early_stopping_type"] = "Auto"
    assert config(compile_(data))["TrainingJobEarlyStoppingType"] == "Auto"


def test_missing_settings_are_named():
    data = base_spec()
    data["backends"] = {"sagemaker": {}}
    with pytest.raises(InvalidRequest) as info:
        compile_(data)
    assert info.value.problems == [
        "backends.sagemaker.role_arn: required for SageMaker",
        "backends.sagemaker.image_uri: required for SageMaker",
        "backends.sagemaker.output_path: required for SageMaker",
    ]


def test_service_model_limits_are_enforced_from_the_model():
    space = {f"p{i}": {"type": "float", "low": 0, "high": 1} for i in range(31)}
    with pytest.raises(InvalidRequest) as info:
        compile_(base_spec(search_space=space))
    assert any("ContinuousParameterRanges: 31 items, at most 30" in p
               for p in info.value.problems)
    metrics = [{"name": f"m{i}", "regex": f"m{i}=([0-9.]+)"} for i in range(41)]
    metrics[0] = {"name": "loss", "regex": "loss=([0-9.]+)"}
    with pytest.raises(InvalidRequest, match="MetricDefinitions: 41 items, at most 40"):
        compile_(base_spec(metrics=metrics))
    with pytest.raises(InvalidRequest, match="Regex: 501 characters, at most 500"):
        compile_(base_spec(metrics=[{"name": "loss", "regex": "(x)" + "y" * 498}]))
    args = {f"a{i}": i for i in range(101)}
    with pytest.raises(InvalidRequest, match="StaticHyperParameters: 101 entries, at most 100"):
        compile_(base_spec(trial={"args": args}))
    with pytest.raises(InvalidRequest, match="2501 characters, at most 2500"):
        compile_(base_spec(trial={"args": {"long": "z" * 2501}}))


def test_ranges_of_all_kinds_count_together():
    space = {f"f{i}": {"type": "float", "low": 0, "high": 1} for i in range(20)}
    space |= {f"i{i}": {"type": "int", "low": 0, "high": 9} for i in range(11)}
    with pytest.raises(InvalidRequest, match="31 tuned parameters, SageMaker takes at most 30"):
        compile_(base_spec(search_space=space))


def _examples() -> list[Path]:
    return sorted(EXAMPLES.glob("*/spec.yaml"))


@pytest.mark.parametrize("path", _examples(), ids=lambda p: p.parent.name)
def test_examples_translate_or_name_what_sagemaker_cannot_run(path: Path):
    """Examples under a SageMaker-compatible contract (with a regex for the objective)
    become requests the model accepts; the others fail naming the contract or metric."""
    from hpo_bridge.backends import UnsupportedFeatures
    from hpo_bridge.spec import parse_yaml

    data = parse_yaml(path.read_text())
    data["backends"] = {"sagemaker": {"role_arn": ROLE, "image_uri": IMAGE,
                                      "output_path": "s3://b/out"}}
    trial = data.get("trial", {})
    runnable = trial.get("contract", "local") in ("local", "sagemaker") and any(
        m["name"] == data["objective"]["metric"] for m in data.get("metrics", []))
    if runnable:
        compiled = compile_(data, approximate=True, base_dir=path.parent)
        assert validate(OPERATION, compiled.request) == []
    else:
        with pytest.raises(UnsupportedFeatures) as info:
            compile_(data, approximate=True, base_dir=path.parent)
        assert {"trial.contract", "metrics"} & {item.path for item in info.value.items}


def test_the_sagemaker_example_compiles_exactly():
    from hpo_bridge.spec import parse_yaml

    path = EXAMPLES / "sagemaker" / "spec.yaml"
    data = parse_yaml(path.read_text())
    data["backends"] = {"sagemaker": {"role_arn": ROLE, "image_uri": IMAGE,
                                      "output_path": "s3://b/out"}}
    compiled = compile_(data, base_dir=path.parent)
    assert compiled.warnings == []
    job = compiled.request["HyperParameterTuningJobName"]
    assert set(compiled.artifacts) == {f"s3://b/{job}/source/sourcedir.tar.gz",
                                       f"s3://b/{job}/input/training"}
    (channel,) = compiled.request["TrainingJobDefinition"]["InputDataConfig"]
    assert channel["DataSource"]["S3DataSource"]["S3Uri"] == f"s3://b/{job}/input/training"
    assert validate(OPERATION, compiled.request) == []
