"""The emulator's reading of a CreateHyperParameterTuningJob request as a TuningSpec."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from emulate_requests import BASE_REQUEST
from hpo_bridge_localstack.aws.sagemaker.checks import hyperband_bounds
from hpo_bridge_localstack.aws.sagemaker.translate import build_spec, spec_data, unquote


def request(**config):
    r = copy.deepcopy(BASE_REQUEST)
    r["HyperParameterTuningJobName"] = "translate-me"
    r["HyperParameterTuningJobConfig"].update(config)
    return r


def data_of(r):
    return spec_data(r, r["TrainingJobDefinition"], Path("/code"), {"training": "/data"})


def test_the_base_request():
    data = data_of(request())
    assert data["name"] == "translate-me"
    assert data["objective"] == {"metric": "test:loss", "goal": "minimize"}
    assert data["metrics"] == [
        {"name": "test:loss", "regex": "Test set: Average loss: ([0-9.]+)"}]
    assert data["search_space"] == {
        "lr": {"type": "float", "low": 0.001, "high": 0.1, "scale": "log"},
        "batch-size": {"type": "categorical", "values": ["32", "64"]},
    }
    assert data["strategy"] == {"algorithm": "random", "seed": 7}
    # max_failed: the core never ends the run for failures (SageMaker's rule is the host's)
    assert data["limits"] == {"max_trials": 4, "max_parallel": 2, "max_failed": 4,
                              "trial_timeout": 600}
    assert data["trial"] == {
        "command": ["python", "train.py"],  # sagemaker_program, JSON-decoded
        # Every hyperparameter as SageMaker holds it: the contract leaves its own out of argv.
        "args": {**BASE_REQUEST["TrainingJobDefinition"]["StaticHyperParameters"],
                 "_tuning_objective_metric": "test:loss"},
        "env": {},
        "contract": "sagemaker",
        "inputs": {"training": "/data"},
        "code": "/code",
    }
    assert "early_stopping" not in data


def test_scales_integers_and_single_values():
    r = request()
    r["HyperParameterTuningJobConfig"]["ParameterRanges"] = {
        "IntegerParameterRanges": [
            {"Name": "layers", "MinValue": "1", "MaxValue": "6"},
            {"Name": "units", "MinValue": "16", "MaxValue": "512", "ScalingType": "Logarithmic"},
            {"Name": "fixed", "MinValue": "3", "MaxValue": "3"},
        ],
        "ContinuousParameterRanges": [
            {"Name": "beta", "MinValue": "0.9", "MaxValue": "0.999",
             "ScalingType": "ReverseLogarithmic"},
            {"Name": "dropout", "MinValue": "0", "MaxValue": "0.5", "ScalingType": "Auto"},
        ],
    }
    assert data_of(r)["search_space"] == {
        "layers": {"type": "int", "low": 1, "high": 6},
        "units": {"type": "int", "low": 16, "high": 512, "scale": "log"},
        "fixed": {"type": "categorical", "values": ["3"]},
        "beta": {"type": "float", "low": 0.9, "high": 0.999, "scale": "reverse_log"},
        "dropout": {"type": "float", "low": 0.0, "high": 0.5},
    }


def test_limits_completion_criteria_and_auto_early_stopping():
    r = request(
        TrainingJobEarlyStoppingType="Auto",
        ResourceLimits={"MaxNumberOfTrainingJobs": 20, "MaxParallelTrainingJobs": 4,
                        "MaxRuntimeInSeconds": 3600},
        TuningJobCompletionCriteria={
            "TargetObjectiveMetricValue": 0.05,
            "BestObjectiveNotImproving": {"MaxNumberOfTrainingJobsNotImproving": 5},
        },
    )
    data = data_of(r)
    assert data["limits"] == {
        "max_trials": 20, "max_parallel": 4, "max_failed": 20, "max_duration": 3600,
        "trial_timeout": 600, "target_value": 0.05, "max_trials_without_improvement": 5,
    }
    # SageMaker's documented rule: the median of the previous training jobs, every epoch.
    assert data["early_stopping"] == {"policy": "previous_median", "evaluation_interval": 1}


def test_grid_runs_every_combination_once():
    r = request(Strategy="Grid", ResourceLimits={"MaxParallelTrainingJobs": 10})
    r["HyperParameterTuningJobConfig"]["ParameterRanges"] = {"CategoricalParameterRanges": [
        {"Name": "a", "Values": ["1", "2", "3"]}, {"Name": "b", "Values": ["x", "y"]}]}
    data = data_of(r)
    assert data["strategy"]["algorithm"] == "grid"
    assert data["limits"]["max_trials"] == 6
    assert data["limits"]["max_parallel"] == 6


def test_hyperband_resource_from_the_epochs_hyperparameter():
    r = request(Strategy="Hyperband",
                StrategyConfig={"HyperbandStrategyConfig": {"MinResource": 1}})
    data = data_of(r)
    assert data["strategy"]["algorithm"] == "hyperband"
    assert data["trial"]["resource"] == {"name": "epochs", "min": 1, "max": 2}
    assert data["trial"]["args"]["epochs"] == "2"
    config = {"StrategyConfig": {"HyperbandStrategyConfig": {"MinResource": 2,
                                                             "MaxResource": 9}}}
    assert hyperband_bounds(config, {"num_epochs": "5"}) == (2, 9, "num_epochs")


def test_the_translation_is_a_valid_spec(tmp_path):
    spec = build_spec(request(), BASE_REQUEST["TrainingJobDefinition"], tmp_path)
    assert spec.max_trials == 4
    assert spec.primary.metric == "test:loss"
    assert spec.code_dir == tmp_path
    assert spec.trial.contract == "sagemaker"


@pytest.mark.parametrize(
    ("given", "value"),
    [('"train.py"', "train.py"), ("train.py", "train.py"), ('"', '"'), ("5", "5"),
     ('"a\\"b"', 'a"b'), ('"not json', '"not json')],
)
def test_unquote(given, value):
    assert unquote(given) == value
