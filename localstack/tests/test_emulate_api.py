"""The SageMaker tuning API through a real boto3 client (jobs accepted, not run)."""

from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import ClientError
from hpo_bridge_localstack.aws.sagemaker.checks import Quotas
from hpo_bridge_localstack.testing import sagemaker_emulator


def error_of(call, **kwargs):
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response = info.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], \
        response["Error"]["Message"]


@pytest.fixture(scope="module")
def sm(api_emulator):
    return api_emulator.client("sagemaker")


def test_create_describe_list(sm, make_request):
    request = make_request()
    name = request["HyperParameterTuningJobName"]
    arn = sm.create_hyper_parameter_tuning_job(**request)["HyperParameterTuningJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{name}"

    described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert described["HyperParameterTuningJobArn"] == arn
    assert described["HyperParameterTuningJobStatus"] == "InProgress"
    assert described["HyperParameterTuningJobConfig"] == request["HyperParameterTuningJobConfig"]
    # SageMaker adds the objective's name to the static hyperparameters.
    definition = request["TrainingJobDefinition"]
    assert described["TrainingJobDefinition"] == {**definition, "StaticHyperParameters": {
        **definition["StaticHyperParameters"], "_tuning_objective_metric": "test:loss"}}
    assert described["TrainingJobStatusCounters"] == {
        "Completed": 0, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0,
        "Stopped": 0,
    }
    assert described["ObjectiveStatusCounters"] == {"Succeeded": 0, "Pending": 0, "Failed": 0}
    assert isinstance(described["CreationTime"], dt.datetime)  # epoch seconds on the wire
    assert "BestTrainingJob" not in described

    listed = sm.list_hyper_parameter_tuning_jobs(NameContains=name.upper())
    (summary,) = [s for s in listed["HyperParameterTuningJobSummaries"]
                  if s["HyperParameterTuningJobName"] == name]
    assert summary["Strategy"] == "Random"
    assert summary["ResourceLimits"] == {"MaxNumberOfTrainingJobs": 4,
                                         "MaxParallelTrainingJobs": 2}
    assert sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name)["TrainingJobSummaries"] == []


def test_bad_strategy_is_a_validation_error(sm, make_request):
    code, status, message = error_of(
        sm.create_hyper_parameter_tuning_job, **make_request(Strategy="Foo"))
    assert (code, status) == ("ValidationException", 400)
    assert "Member must satisfy enum value set: [Bayesian, Random, Hyperband, Grid]" in message


def test_31_ranges_are_a_validation_error(sm, make_request):
    request = make_request()
    ranges = request["HyperParameterTuningJobConfig"]["ParameterRanges"]
    ranges["IntegerParameterRanges"] = [
        {"Name": f"p{i}", "MinValue": "1", "MaxValue": "9"} for i in range(31)
    ]
    code, _, message = error_of(sm.create_hyper_parameter_tuning_job, **request)
    assert code == "ValidationException"
    assert message.startswith("1 validation error detected:")
    assert "integerParameterRanges' failed to satisfy constraint: Member must have length" \
        " less than or equal to 30" in message


@pytest.mark.parametrize("name", ["has_underscore", "-leading", "x" * 33])
def test_name_pattern_and_length(sm, make_request, name):
    code, _, message = error_of(sm.create_hyper_parameter_tuning_job, **make_request(name))
    assert code == "ValidationException"
    assert "at 'hyperParameterTuningJobName'" in message


def test_duplicate_name_is_resource_in_use(sm, make_request):
    request = make_request()
    sm.create_hyper_parameter_tuning_job(**request)
    code, status, _ = error_of(sm.create_hyper_parameter_tuning_job, **request)
    assert (code, status) == ("ResourceInUse", 400)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda r: r["HyperParameterTuningJobConfig"]["ParameterRanges"][
            "ContinuousParameterRanges"][0].update(MinValue="0.5", MaxValue="0.1"),
         "MinValue 0.5 is greater than MaxValue 0.1"),
        (lambda r: r["HyperParameterTuningJobConfig"]["ParameterRanges"][
            "ContinuousParameterRanges"][0].update(MinValue="0"),
         "Logarithmic scaling needs MinValue greater than 0"),
        (lambda r: r["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"]
            .update(MetricName="accuracy"),
         "The objective metric accuracy is not defined in"),
        (lambda r: r["HyperParameterTuningJobConfig"].update(Strategy="Grid"),
         "Grid search supports CategoricalParameterRanges only"),
        (lambda r: r["HyperParameterTuningJobConfig"].update(
            Strategy="Hyperband", TrainingJobEarlyStoppingType="Auto"),
         "TrainingJobEarlyStoppingType must be Off"),
        (lambda r: r["TrainingJobDefinition"]["StaticHyperParameters"].update(lr="0.1"),
         "Hyperparameter lr is both tuned (ParameterRanges) and static"),
        (lambda r: r["HyperParameterTuningJobConfig"]["ResourceLimits"].update(
            MaxParallelTrainingJobs=5),
         "MaxParallelTrainingJobs 5 exceeds MaxNumberOfTrainingJobs 4"),
    ],
)
def test_service_rules_beyond_the_model(sm, make_request, change, expected):
    request = make_request()
    change(request)
    code, _, message = error_of(sm.create_hyper_parameter_tuning_job, **request)
    assert code == "ValidationException"
    assert expected in message


def test_spec_problems_surface_at_create(sm, make_request):
    request = make_request()
    request["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"][0][
        "Regex"] = "loss: [0-9.]+"
    code, _, message = error_of(sm.create_hyper_parameter_tuning_job, **request)
    assert code == "ValidationException"
    assert "must have exactly one capture group" in message


def test_quotas_are_resource_limit_exceeded(make_request):
    quotas = Quotas(concurrent_tuning_jobs=1, training_jobs_per_tuning_job=3)
    with sagemaker_emulator(run_jobs=False, quotas=quotas) as emu:
        sm = emu.client("sagemaker")
        code, status, message = error_of(sm.create_hyper_parameter_tuning_job, **make_request())
        assert (code, status) == ("ResourceLimitExceeded", 400)
        assert "'Number of training jobs per hyperparameter tuning job' is 3" in message
        request = make_request()
        request["HyperParameterTuningJobConfig"]["ResourceLimits"] = {
            "MaxNumberOfTrainingJobs": 2, "MaxParallelTrainingJobs": 1}
        sm.create_hyper_parameter_tuning_job(**request)
        request["HyperParameterTuningJobName"] += "-b"
        code, _, message = error_of(sm.create_hyper_parameter_tuning_job, **request)
        assert code == "ResourceLimitExceeded"
        assert "concurrent hyperparameter tuning jobs' is 1 jobs" in message


def test_unknown_jobs(sm):
    code, status, message = error_of(
        sm.describe_hyper_parameter_tuning_job, HyperParameterTuningJobName="nope")
    assert (code, status) == ("ResourceNotFound", 400)
    assert message == "Amazon SageMaker can't find a tuning job with name nope"
    assert error_of(sm.describe_training_job, TrainingJobName="nope") == (
        "ValidationException", 400, "Requested resource not found.")
    assert error_of(sm.stop_hyper_parameter_tuning_job,
                    HyperParameterTuningJobName="nope")[0] == "ResourceNotFound"


def test_stop_without_running_trials(sm, make_request):
    request = make_request()
    name = request["HyperParameterTuningJobName"]
    sm.create_hyper_parameter_tuning_job(**request)
    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    code, _, message = error_of(sm.stop_hyper_parameter_tuning_job,
                                HyperParameterTuningJobName=name)
    assert code == "ValidationException"
    assert message.endswith("is in status Stopped.")


def test_list_tuning_jobs_pages(make_request):
    with sagemaker_emulator(run_jobs=False) as emu:
        sm = emu.client("sagemaker")
        names = [f"page-{i:02d}" for i in range(7)]
        for name in reversed(names):
            sm.create_hyper_parameter_tuning_job(**make_request(name))
        seen, token, calls = [], None, 0
        while True:
            kwargs = {"MaxResults": 3, "SortBy": "Name", "SortOrder": "Descending"}
            if token:
                kwargs["NextToken"] = token
            response = sm.list_hyper_parameter_tuning_jobs(**kwargs)
            calls += 1
            seen += [s["HyperParameterTuningJobName"]
                     for s in response["HyperParameterTuningJobSummaries"]]
            token = response.get("NextToken")
            if not token:
                break
        assert seen == sorted(names, reverse=True)
        assert calls == 3
        paginator = sm.get_paginator("list_hyper_parameter_tuning_jobs")
        pages = list(paginator.paginate(PaginationConfig={"PageSize": 5}))
        assert [len(p["HyperParameterTuningJobSummaries"]) for p in pages] == [5, 2]
        default = sm.list_hyper_parameter_tuning_jobs()
        assert len(default["HyperParameterTuningJobSummaries"]) == 7
        code, _, _ = error_of(sm.list_hyper_parameter_tuning_jobs, NextToken="garbage")
        assert code == "ValidationException"


def test_regions_are_separate(api_emulator, make_request):
    request = make_request()
    api_emulator.client("sagemaker", region="eu-west-1").create_hyper_parameter_tuning_job(
        **request)
    other = api_emulator.client("sagemaker", region="us-west-2")
    code, _, _ = error_of(other.describe_hyper_parameter_tuning_job,
                          HyperParameterTuningJobName=request["HyperParameterTuningJobName"])
    assert code == "ResourceNotFound"
