"""Native job -> spec: requests and descriptions import; spec -> request -> spec keeps
everything SageMaker expresses."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_sagemaker.backend import SageMakerBackend
from hpo_bridge_sagemaker.importer import parse_value
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sagemaker_helpers import DATA, IMAGE, ROLE, SETTINGS, base_spec, make

from hpo_bridge.backends import BackendError
from hpo_bridge.loading import validate_spec

BACKEND = SageMakerBackend()


def without_name(request: dict[str, Any]) -> dict[str, Any]:
    """The request with its job name (also inside the code location) replaced by <job>."""
    name = request["HyperParameterTuningJobName"]
    return json.loads(json.dumps(request).replace(name, "<job>"))


def test_seed_request_imports_to_the_seed_spec(mnist_spec):
    request = BACKEND.compile(mnist_spec).request
    data = BACKEND.import_native(request)
    spec = validate_spec(data, base_dir=DATA / "mnist")
    assert spec.name == request["HyperParameterTuningJobName"]
    assert spec.objective is not None and spec.objective.metric == "average test loss"
    assert spec.objective.goal == "minimize"
    assert spec.search_space["batch-size"].values == [32, 64, 128, 256, 512]
    assert "scale" not in spec.search_space["lr"].model_fields_set  # Auto stays unset
    assert spec.trial.command == ["python", "mnist.py"]
    assert spec.trial.args == {"epochs": 5}
    assert spec.trial.contract == "sagemaker"
    assert spec.limits.max_trials == 9 and spec.limits.max_parallel == 3
    settings_ = spec.backends["sagemaker"]
    assert settings_.code_bucket == "sagemaker-demo" and settings_.code_prefix == ""
    assert settings_.channels == {"training": "s3://sagemaker-demo/sagemaker/DEMO-custom-hpo"}
    again = BACKEND.compile(spec).request
    assert without_name(again) == without_name(request)
    static = again["TrainingJobDefinition"]["StaticHyperParameters"]
    assert static["sagemaker_program"] == '"mnist.py"'


def describe_response(request: dict[str, Any]) -> dict[str, Any]:
    """A DescribeHyperParameterTuningJob answer as boto3 returns it for `request`."""
    described = copy.deepcopy(request)
    described.pop("Tags", None)
    described |= {
        "HyperParameterTuningJobArn": "arn:aws:sagemaker:us-east-1:123456789012:"
        "hyper-parameter-tuning-job/" + request["HyperParameterTuningJobName"],
        "HyperParameterTuningJobStatus": "Completed",
        "CreationTime": dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        "TrainingJobStatusCounters": {"Completed": 4, "InProgress": 0, "RetryableError": 0,
                                      "NonRetryableError": 0, "Stopped": 0},
        "ObjectiveStatusCounters": {"Succeeded": 4, "Pending": 0, "Failed": 0},
        "BestTrainingJob": {"TrainingJobName": "x-001-abcdef12",
                            "TunedHyperParameters": {"lr": "0.01"}},
    }
    return described


def test_a_describe_response_imports_like_the_request():
    request = BACKEND.compile(make(base_spec())).request
    assert BACKEND.import_native(describe_response(request)) == BACKEND.import_native(request)


@pytest.mark.parametrize(("change", "words"), [
    ({"TrainingJobDefinitions": [{}], "TrainingJobDefinition": None}, "several algorithms"),
    ({"HyperParameterTuningJobConfig": None}, "HyperParameterTuningJobConfig is missing"),
])
def test_what_cannot_be_imported_is_one_clear_error(change, words):
    request = BACKEND.compile(make(base_spec())).request
    for key, value in change.items():
        if value is None:
            request.pop(key)
        else:
            request[key] = value
    with pytest.raises(BackendError, match=words):
        BACKEND.import_native(request)


def test_values_parse_back_like_script_mode_encodes_them():
    assert parse_value('"adam"') == "adam"
    assert parse_value("adam") == "adam"
    assert parse_value("64") == 64
    assert parse_value("0.5") == 0.5
    assert parse_value("true") is True
    assert parse_value('"5"') == "5"
    assert parse_value("null") == "null"
    assert parse_value("[1]") == "[1]"


# -- round trip: spec -> request -> spec -> request ------------------------------------------
WORDS = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda w: w not in ("true", "false", "null"))
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)


@st.composite
def float_domains(draw):
    scale = draw(st.sampled_from([None, "linear", "log", "reverse_log"]))
    if scale == "reverse_log":
        low = draw(st.floats(0, 0.5))
        high = draw(st.floats(low + 1e-6, 0.999))
    elif scale == "log":
        low = draw(st.floats(1e-6, 10))
        high = draw(st.floats(low * 1.01 + 1e-9, 1e4))
    else:
        low = draw(st.floats(-100, 100))
        high = draw(st.floats(low + 1e-6, 200))
    domain = {"type": "float", "low": low, "high": high}
    return domain if scale is None else domain | {"scale": scale}


@st.composite
def int_domains(draw):
    scale = draw(st.sampled_from([None, "linear", "log"]))
    low = draw(st.integers(1 if scale == "log" else -50, 50))
    high = draw(st.integers(low + 1, 500))
    domain = {"type": "int", "low": low, "high": high}
    return domain if scale is None else domain | {"scale": scale}


CATEGORICALS = st.one_of(
    st.lists(WORDS, min_size=1, max_size=6, unique=True),
    st.lists(st.integers(-1000, 1000), min_size=1, max_size=6, unique=True),
).map(lambda values: {"type": "categorical", "values": values})


@st.composite
def expressible_specs(draw):
    space = draw(st.dictionaries(NAMES, st.one_of(float_domains(), int_domains(),
                                                  CATEGORICALS), min_size=1, max_size=5))
    data = base_spec(search_space=space)
    strategy: dict[str, Any] = {"algorithm": draw(st.sampled_from(["random", "bayesian"]))}
    if draw(st.booleans()):
        strategy["seed"] = draw(st.integers(0, 2**31 - 1))
    data["strategy"] = strategy
    max_trials = draw(st.integers(1, 500))
    limits: dict[str, Any] = {"max_trials": max_trials,
                              "max_parallel": draw(st.integers(1, max_trials))}
    if draw(st.booleans()):
        limits["max_duration"] = draw(st.integers(120, 86400 * 30))
    if draw(st.booleans()):
        limits["trial_timeout"] = draw(st.integers(60, 86400 * 5))
    if draw(st.booleans()):
        limits["target_value"] = draw(st.floats(-1e6, 1e6))
    if draw(st.booleans()):
        limits["max_trials_without_improvement"] = draw(st.integers(3, 100))
    data["limits"] = limits
    data["objective"]["goal"] = draw(st.sampled_from(["minimize", "maximize"]))
    trial: dict[str, Any] = {}
    args = draw(st.dictionaries(NAMES, st.one_of(WORDS, st.integers(-99, 99)), max_size=3))
    if args:
        trial["args"] = args
    env = draw(st.dictionaries(st.from_regex(r"[A-Z][A-Z0-9_]{0,6}", fullmatch=True), WORDS,
                               max_size=2))
    if env:
        trial["env"] = env
    data["trial"] = trial
    settings_ = dict(SETTINGS)
    settings_["instance_type"] = draw(st.sampled_from(["ml.m5.xlarge", "ml.g5.2xlarge"]))
    settings_["instance_count"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        settings_["channels"] = {"train": "s3://bucket/train"}
    if draw(st.booleans()):
        data["warm_start"] = {"from": ["parent-job"],
                              "type": draw(st.sampled_from(["identical", "transfer"]))}
    data["backends"] = {"sagemaker": settings_}
    return data


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressible_specs())
def test_round_trip_keeps_what_sagemaker_expresses(data):
    spec = make(data)
    request = BACKEND.compile(spec).request
    imported = validate_spec(BACKEND.import_native(request))
    assert without_name(BACKEND.compile(imported).request) == without_name(request)
    # The spec itself comes back: same domains (an unset scale stays unset), strategy,
    # objective, limits and settings.
    for name, domain in spec.search_space.items():
        back = imported.search_space[name]
        assert back.model_dump() == domain.model_dump()
        assert ("scale" in back.model_fields_set) == ("scale" in domain.model_fields_set)
    assert imported.objective == spec.objective
    assert imported.strategy == spec.strategy
    assert imported.limits == spec.limits
    assert imported.trial.args == spec.trial.args
    assert imported.trial.env == spec.trial.env
    assert imported.backends["sagemaker"] == spec.backends["sagemaker"]


def test_script_mode_round_trip(tmp_path: Path):
    (tmp_path / "train.py").write_text("print('loss=0.5')\n")
    data = base_spec(trial={"command": ["python", "train.py"], "contract": "sagemaker",
                            "args": {"epochs": 5, "optimizer": "adam", "tag": "5"}})
    data["backends"]["sagemaker"] |= {"code_bucket": "code", "code_prefix": "jobs/hpo",
                                      "region": "eu-west-1"}
    spec = make(data, tmp_path)
    request = BACKEND.compile(spec).request
    static = request["TrainingJobDefinition"]["StaticHyperParameters"]
    assert static["sagemaker_region"] == '"eu-west-1"'
    assert static["tag"] == '"5"' and static["epochs"] == "5"
    assert static["sagemaker_submit_directory"].startswith('"s3://code/jobs/hpo/small-')
    imported = validate_spec(BACKEND.import_native(request), base_dir=tmp_path)
    assert imported.trial.args == {"epochs": 5, "optimizer": "adam", "tag": "5"}
    assert imported.backends["sagemaker"] == spec.backends["sagemaker"]
    assert without_name(BACKEND.compile(imported).request) == without_name(request)


def test_image_and_role_are_imported():
    request = BACKEND.compile(make(base_spec())).request
    settings_ = BACKEND.import_native(request)["backends"]["sagemaker"]
    assert settings_["role_arn"] == ROLE and settings_["image_uri"] == IMAGE
