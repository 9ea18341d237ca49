"""The request walker: constraints read from botocore's SageMaker model."""

from __future__ import annotations

import copy
import string

import botocore.session
import pytest
from emulate_requests import BASE_REQUEST
from hpo_bridge_localstack.aws.validation import request_problems, validation_message
from hypothesis import given
from hypothesis import strategies as st

MODEL = botocore.session.get_session().get_service_model("sagemaker")
CREATE = MODEL.operation_model("CreateHyperParameterTuningJob").input_shape
DESCRIBE = MODEL.operation_model("DescribeHyperParameterTuningJob").input_shape


def request(**changes):
    r = copy.deepcopy(BASE_REQUEST)
    r["HyperParameterTuningJobName"] = "ok-name"
    r.update(changes)
    return r


def test_valid_request_has_no_problem():
    assert request_problems(request(), CREATE) == []


def test_enum_from_the_model():
    r = request()
    r["HyperParameterTuningJobConfig"]["Strategy"] = "Foo"
    assert request_problems(r, CREATE) == [
        "Value 'Foo' at 'hyperParameterTuningJobConfig.strategy' failed to satisfy constraint:"
        " Member must satisfy enum value set: [Bayesian, Random, Hyperband, Grid]"
    ]


def test_list_maximum_from_the_model():
    r = request()
    r["HyperParameterTuningJobConfig"]["ParameterRanges"]["IntegerParameterRanges"] = [
        {"Name": f"p{i}", "MinValue": "1", "MaxValue": "5"} for i in range(31)
    ]
    (problem,) = request_problems(r, CREATE)
    assert "parameterRanges.integerParameterRanges" in problem
    assert problem.endswith("Member must have length less than or equal to 30")


def test_nested_string_maximum_and_number_range():
    r = request()
    definition = r["TrainingJobDefinition"]
    definition["AlgorithmSpecification"]["MetricDefinitions"][0]["Regex"] = "x" * 501
    r["HyperParameterTuningJobConfig"]["ResourceLimits"]["MaxRuntimeInSeconds"] = 60
    problems = request_problems(r, CREATE)
    assert len(problems) == 2
    assert any(
        "trainingJobDefinition.algorithmSpecification.metricDefinitions.1.member.regex" in p
        and "length less than or equal to 500" in p
        for p in problems
    )
    assert any("ResourceLimits.MaxRuntimeInSeconds, value: 60, valid min value: 120" in p
               for p in problems)


def test_structural_problems_come_from_botocore():
    r = request()
    del r["HyperParameterTuningJobConfig"]["ResourceLimits"]
    r["Bogus"] = 1
    problems = request_problems(r, CREATE)
    assert any('Missing required parameter in HyperParameterTuningJobConfig: "ResourceLimits"'
               in p for p in problems)
    assert any('Unknown parameter in input: "Bogus"' in p for p in problems)


def test_static_hyperparameter_value_maximum():
    r = request()
    r["TrainingJobDefinition"]["StaticHyperParameters"]["long"] = "v" * 2501
    (problem,) = request_problems(r, CREATE)
    assert "staticHyperParameters.long.value" in problem
    assert "less than or equal to 2500" in problem


def test_message_counts_problems():
    assert validation_message(["a"]) == "1 validation error detected: a"
    assert validation_message(["a", "b"]) == "2 validation errors detected: a; b"


NAME_CHARS = string.ascii_letters + string.digits + "-_."


def _valid_tuning_job_name(name: str) -> bool:
    # The documented rule, stated independently of the model's regex.
    return (
        1 <= len(name) <= 32
        and all(c.isascii() and (c.isalnum() or c == "-") for c in name)
        and name[0] != "-"
        and name[-1] != "-"
    )


@given(st.text(alphabet=NAME_CHARS, min_size=1, max_size=40))
def test_tuning_job_name_rule(name):
    problems = request_problems({"HyperParameterTuningJobName": name}, DESCRIBE)
    assert (problems == []) == _valid_tuning_job_name(name)


@pytest.mark.parametrize("body", [[], "text", 3])
def test_body_must_be_an_object(body):
    assert request_problems(body, DESCRIBE) == ["The request body must be a JSON object"]
