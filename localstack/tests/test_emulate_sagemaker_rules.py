"""SageMaker's documented behaviour, through boto3: single training jobs, the failure rule,
Auto early stopping, warm start, user stops, model artifacts and FilterLogEvents by
stream prefix. One emulator serves the module; jobs run one training job at a time
(MaxParallelTrainingJobs 1), so the order of trials and every number is known."""

from __future__ import annotations

import copy
import datetime
import itertools
import time
from typing import Any

import pytest
from aws_clients import (
    IMAGE,
    LOG_GROUP,
    ROLE,
    printed,
    training_jobs,
    untar,
    wait_for_training_job,
    wait_for_tuning_job,
)
from botocore.exceptions import ClientError
from hpo_bridge_localstack.testing import sagemaker_emulator, upload_code

# accuracy per epoch from --curve; --fail makes it exit 3; --hold keeps it running after;
# with --release, a SIGTERM waits (up to 8 s) for that file before the script exits.
TRAIN = '''
import argparse, os, signal, sys, time
from pathlib import Path
p = argparse.ArgumentParser()
p.add_argument("--curve", default="0.5")
p.add_argument("--fail", default="no")
p.add_argument("--hold", type=float, default=0)
p.add_argument("--release", default="")
a = p.parse_args()


def linger(signum, frame):
    deadline = time.monotonic() + 8
    while not os.path.exists(a.release) and time.monotonic() < deadline:
        time.sleep(0.05)
    sys.exit(0)


if a.release:
    signal.signal(signal.SIGTERM, linger)
if a.fail != "no":
    print("Traceback: boom", file=sys.stderr)
    sys.exit(3)
for epoch, value in enumerate(a.curve.split(","), start=1):
    print(f"epoch={epoch} accuracy={value}", flush=True)
    time.sleep(0.05)
Path(os.environ["SM_MODEL_DIR"], "weights.txt").write_text(a.curve)
time.sleep(a.hold)
'''
METRICS = [{"Name": "accuracy", "Regex": "accuracy=([0-9.]+)"}]
NO_SUCCESS = ("No training job succeeded after 5 attempts. Please take a look at the training"
              " job failures to get more details.")
_names = itertools.count(1)


@pytest.fixture(scope="module")
def emu():
    with sagemaker_emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def sm(emu):
    return emu.client("sagemaker")


@pytest.fixture(scope="module")
def code(emu) -> str:
    """The script-mode tarball, uploaded once; its bucket also takes the outputs."""
    return upload_code(emu.client("s3"), "rules-bucket", "code/sourcedir.tar.gz",
                       {"train.py": TRAIN})


def fresh(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def tuning_request(code: str, values: dict[str, list[str]], *, statics: dict[str, str] | None
                   = None, early: str = "Off", max_jobs: int | None = None,
                   name: str | None = None) -> dict[str, Any]:
    """A Grid (or Random, with max_jobs) job over categorical `values`, one job at a time."""
    limits: dict[str, Any] = {"MaxParallelTrainingJobs": 1}
    if max_jobs is not None:
        limits["MaxNumberOfTrainingJobs"] = max_jobs
    return {
        "HyperParameterTuningJobName": name or fresh("rules"),
        "HyperParameterTuningJobConfig": {
            "Strategy": "Grid" if max_jobs is None else "Random",
            "HyperParameterTuningJobObjective": {"Type": "Maximize", "MetricName": "accuracy"},
            "ResourceLimits": limits,
            "ParameterRanges": {"CategoricalParameterRanges": [
                {"Name": k, "Values": v} for k, v in values.items()]},
            "TrainingJobEarlyStoppingType": early,
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {"sagemaker_program": '"train.py"',
                                      "sagemaker_submit_directory": f'"{code}"',
                                      **(statics or {})},
            "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File",
                                       "MetricDefinitions": METRICS},
            "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": "s3://rules-bucket/output"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                               "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
    }


def training_request(code: str, name: str, runtime: int = 600,
                     **hyperparameters: str) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "HyperParameters": {"sagemaker_program": '"train.py"',
                            "sagemaker_submit_directory": f'"{code}"', **hyperparameters},
        "AlgorithmSpecification": {"TrainingImage": IMAGE, "TrainingInputMode": "File",
                                   "MetricDefinitions": METRICS},
        "RoleArn": ROLE,
        "OutputDataConfig": {"S3OutputPath": "s3://rules-bucket/single"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                           "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": runtime},
        "Tags": [{"Key": "team", "Value": "hpo"}],
    }


def run_tuning(sm: Any, request: dict[str, Any]) -> tuple[dict[str, Any], list[dict]]:
    sm.create_hyper_parameter_tuning_job(**request)
    name = request["HyperParameterTuningJobName"]
    described = wait_for_tuning_job(sm, name)
    jobs = sorted(training_jobs(sm, name), key=lambda j: j["TrainingJobName"])
    return described, jobs


def until(check, limit: float = 60.0) -> Any:
    deadline = time.monotonic() + limit
    while not (found := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return found


def error_of(call, **params) -> tuple[str, str]:
    with pytest.raises(ClientError) as err:
        call(**params)
    return err.value.response["Error"]["Code"], err.value.response["Error"]["Message"]


# -- 6, 8: single training jobs ----------------------------------------------------------
def test_a_single_training_job_like_sagemaker_runs_it(emu, sm, code):
    name = fresh("single")
    arn = sm.create_training_job(**training_request(code, name, curve="0.4,0.7"))[
        "TrainingJobArn"]
    assert arn == f"arn:aws:sagemaker:us-east-1:123456789012:training-job/{name}"
    assert error_of(sm.create_training_job, **training_request(code, name))[0] == \
        "ResourceInUse"
    described = wait_for_training_job(sm, name)
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == (
        "Completed", "Completed")
    assert [(t["Status"], t["StatusMessage"]) for t in
            described["SecondaryStatusTransitions"]] == [
        ("Starting", "Preparing the instances for training"),
        ("Downloading", "Downloading input data"),
        ("Training", "Training image download completed. Training in progress."),
        ("Uploading", "Uploading generated training model"),
        ("Completed", "Training job completed")]
    assert [(m["MetricName"], m["Value"]) for m in described["FinalMetricDataList"]] == [
        ("accuracy", 0.7)]
    assert described["HyperParameters"]["curve"] == "0.4,0.7"
    assert described["ModelArtifacts"]["S3ModelArtifacts"] == \
        f"s3://rules-bucket/single/{name}/output/model.tar.gz"
    # The model folder, packed where ModelArtifacts points (item 8).
    s3 = emu.client("s3")
    archive = s3.get_object(Bucket="rules-bucket", Key=f"single/{name}/output/model.tar.gz")
    assert untar(archive["Body"].read()) == {"weights.txt": b"0.4,0.7"}
    assert [line for line in printed(emu.client("logs"), name)] == [
        "epoch=1 accuracy=0.4", "epoch=2 accuracy=0.7"]
    points = emu.client("cloudwatch").get_metric_statistics(
        Namespace="/aws/sagemaker/TrainingJobs", MetricName="accuracy",
        Dimensions=[{"Name": "TrainingJobName", "Value": name}],
        StartTime=described["TrainingStartTime"] - datetime.timedelta(minutes=1),
        EndTime=described["TrainingEndTime"] + datetime.timedelta(minutes=1),
        Period=3600, Statistics=["Average", "Minimum", "Maximum", "SampleCount"])["Datapoints"]
    assert [(p["SampleCount"], p["Minimum"], p["Maximum"]) for p in points] == [(2, 0.4, 0.7)]
    listed = sm.list_training_jobs(NameContains=name)["TrainingJobSummaries"]
    assert [(j["TrainingJobName"], j["TrainingJobStatus"]) for j in listed] == [
        (name, "Completed")]
    assert sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "hpo"}]


@pytest.mark.parametrize("case", ["failing script", "missing code", "max runtime"])
def test_a_single_training_job_that_does_not_complete(sm, code, case):
    name = fresh("single")
    if case == "failing script":
        request = training_request(code, name, fail="yes")
    elif case == "missing code":
        request = training_request("s3://rules-bucket/none.tar.gz", name)
    else:
        request = training_request(code, name, runtime=1, hold="30")
    sm.create_training_job(**request)
    described = wait_for_training_job(sm, name)
    expected = {
        "failing script": ("Failed", "Failed", "AlgorithmError: exit code 3: Traceback: boom"),
        "missing code": ("Failed", "Failed",
                         "ClientError: s3://rules-bucket/none.tar.gz: Not Found"),
        "max runtime": ("Stopped", "MaxRuntimeExceeded", None),
    }[case]
    assert (described["TrainingJobStatus"], described["SecondaryStatus"],
            described.get("FailureReason")) == expected


# -- 12: user stops ------------------------------------------------------------------------
def test_a_user_stopped_training_job_keeps_its_objective(emu, sm, code):
    request = tuning_request(code, {"curve": ["0.61"]}, statics={"hold": "30"})
    name = request["HyperParameterTuningJobName"]
    sm.create_hyper_parameter_tuning_job(**request)
    (job,) = until(lambda: [j for j in training_jobs(sm, name) if sm.describe_training_job(
        TrainingJobName=j["TrainingJobName"])["FinalMetricDataList"]])
    training = job["TrainingJobName"]
    sm.stop_training_job(TrainingJobName=training)
    stopped = wait_for_training_job(sm, training)
    assert (stopped["TrainingJobStatus"], stopped["SecondaryStatus"]) == ("Stopped", "Stopped")
    described = wait_for_tuning_job(sm, name)
    (summary,) = training_jobs(sm, name)
    # AWS: Succeeded means "the final objective metric ... was evaluated"; Failed that the
    # job "failed or did not emit an objective metric". This one emitted 0.61.
    assert summary["ObjectiveStatus"] == "Succeeded"
    assert summary["FinalHyperParameterTuningJobObjectiveMetric"] == {
        "MetricName": "accuracy", "Value": 0.61}
    assert described["ObjectiveStatusCounters"] == {"Succeeded": 1, "Pending": 0, "Failed": 0}
    assert described["TrainingJobStatusCounters"]["Stopped"] == 1
    assert described["BestTrainingJob"]["TrainingJobName"] == training
    # Stopping what has ended: the service's answer (StopTrainingJob documents no other).
    assert error_of(sm.stop_training_job, TrainingJobName=training) == (
        "ValidationException",
        "The request was rejected because the training job is in status Stopped.")
    assert error_of(sm.stop_hyper_parameter_tuning_job, HyperParameterTuningJobName=name) == (
        "ValidationException", "The request was rejected because the hyperparameter tuning"
        f" job is in status {described['HyperParameterTuningJobStatus']}.")


def test_stop_training_job_stops_a_single_job(sm, code):
    name = fresh("single")
    sm.create_training_job(**training_request(code, name, curve="0.3", hold="30"))
    until(lambda: sm.describe_training_job(TrainingJobName=name)["FinalMetricDataList"])
    sm.stop_training_job(TrainingJobName=name)
    assert sm.describe_training_job(TrainingJobName=name)["TrainingJobStatus"] in (
        "Stopping", "Stopped")
    described = wait_for_training_job(sm, name)
    assert (described["TrainingJobStatus"], described["SecondaryStatus"]) == (
        "Stopped", "Stopped")
    assert error_of(sm.stop_training_job, TrainingJobName=name)[0] == "ValidationException"


# -- 7: SageMaker's failure rule -----------------------------------------------------------
def test_no_success_after_five_attempts_fails_the_tuning_job(sm, code):
    request = tuning_request(code, {"curve": ["0.1", "0.2"]}, statics={"fail": "yes"},
                             max_jobs=8)
    described, jobs = run_tuning(sm, request)
    assert described["HyperParameterTuningJobStatus"] == "Failed"
    assert described["FailureReason"] == NO_SUCCESS
    assert len(jobs) == 5 and {j["TrainingJobStatus"] for j in jobs} == {"Failed"}
    assert described["TrainingJobStatusCounters"]["NonRetryableError"] == 5


def test_failures_after_a_success_use_up_the_budget_only(sm, code):
    fails = ["no", "y1", "y2", "y3", "y4", "y5", "y6"]  # Grid runs them in this order
    described, jobs = run_tuning(sm, tuning_request(code, {"fail": fails},
                                                    statics={"curve": "0.8"}))
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert "FailureReason" not in described
    assert [j["TrainingJobStatus"] for j in jobs] == ["Completed"] + ["Failed"] * 6
    assert described["BestTrainingJob"]["TunedHyperParameters"] == {"fail": "no"}


# -- 11: Auto early stopping ---------------------------------------------------------------
def test_auto_early_stopping_compares_with_the_previous_training_jobs(sm, code):
    curves = ["0.8,0.85,0.9", "0.5,0.95,0.99"]
    described, jobs = run_tuning(sm, tuning_request(code, {"curve": curves}, early="Auto"))
    first, second = jobs
    # The first job has no previous one; the second's 0.5 at epoch 1 is below the
    # median (0.8) of the previous jobs' running averages at epoch 1: stopped there.
    assert (first["TrainingJobStatus"], first["FinalHyperParameterTuningJobObjectiveMetric"][
        "Value"]) == ("Completed", 0.9)
    assert (second["TrainingJobStatus"], second["ObjectiveStatus"]) == ("Stopped", "Succeeded")
    assert second["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == 0.5
    assert described["BestTrainingJob"]["TrainingJobName"] == first["TrainingJobName"]


# -- 9: warm start -------------------------------------------------------------------------
def test_warm_start_uses_the_parents(sm, code):
    parent, parent_jobs = run_tuning(sm, tuning_request(code, {"curve": ["0.9,0.9",
                                                                         "0.8,0.8"]}))
    assert parent["HyperParameterTuningJobStatus"] == "Completed"
    child = tuning_request(code, {"curve": ["0.5,0.95", "0.6,0.6"]}, early="Auto")
    child["WarmStartConfig"] = {
        "ParentHyperParameterTuningJobs": [
            {"HyperParameterTuningJobName": parent["HyperParameterTuningJobName"]}],
        "WarmStartType": "IdenticalDataAndAlgorithm"}
    described, jobs = run_tuning(sm, child)
    # The parents' jobs are previous training jobs for Auto early stopping: at epoch 1 the
    # child's 0.5 meets their median 0.85, its 0.6 the median 0.8 of 0.9, 0.8 and 0.5.
    assert [(j["TrainingJobStatus"], j["FinalHyperParameterTuningJobObjectiveMetric"][
        "Value"]) for j in jobs] == [("Stopped", 0.5), ("Stopped", 0.6)]
    assert described["BestTrainingJob"]["TrainingJobName"] == jobs[1]["TrainingJobName"]
    best_parent = max(parent_jobs, key=lambda j: j[
        "FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    overall = described["OverallBestTrainingJob"]
    assert (overall["TrainingJobName"], overall["TuningJobName"]) == (
        best_parent["TrainingJobName"], parent["HyperParameterTuningJobName"])
    assert overall["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == 0.9
    assert described["TrainingJobStatusCounters"]["Stopped"] == 2  # its own jobs only

    transfer = tuning_request(code, {"curve": ["0.7"]})
    transfer["WarmStartConfig"] = {**child["WarmStartConfig"],
                                   "WarmStartType": "TransferLearning"}
    described, _ = run_tuning(sm, transfer)
    assert "OverallBestTrainingJob" not in described  # documented for Identical... only


def test_warm_start_checks_the_parents(sm, code):
    parent, _ = run_tuning(sm, tuning_request(code, {"curve": ["0.9"]}))
    parents = [{"HyperParameterTuningJobName": parent["HyperParameterTuningJobName"]}]
    other_metric = tuning_request(code, {"curve": ["0.9"]})
    other_metric["HyperParameterTuningJobConfig"]["HyperParameterTuningJobObjective"][
        "MetricName"] = "loss"
    other_metric["TrainingJobDefinition"]["AlgorithmSpecification"]["MetricDefinitions"] = [
        {"Name": "loss", "Regex": "loss=([0-9.]+)"}]
    other_image = copy.deepcopy(tuning_request(code, {"curve": ["0.9"]}))
    other_image["TrainingJobDefinition"]["AlgorithmSpecification"]["TrainingImage"] += "-v2"
    for request, words in [(other_metric, "objective metric must be the same"),
                           (other_image, "needs the training image")]:
        request["WarmStartConfig"] = {"ParentHyperParameterTuningJobs": parents,
                                      "WarmStartType": "IdenticalDataAndAlgorithm"}
        code_, message = error_of(sm.create_hyper_parameter_tuning_job, **request)
        assert code_ == "ValidationException" and words in message


# -- 10: FilterLogEvents by stream prefix -------------------------------------------------
def test_filter_log_events_honours_the_stream_prefix(emu, sm, code):
    short, long_ = fresh("prefix"), None
    long_ = short + "0"  # its streams start with `short` too, but not with `short/`
    for name, curve in ((short, "0.1"), (long_, "0.2")):
        sm.create_training_job(**training_request(code, name, curve=curve))
    for name in (short, long_):
        wait_for_training_job(sm, name)
    logs = emu.client("logs")
    events = logs.filter_log_events(logGroupName=LOG_GROUP,
                                    logStreamNamePrefix=f"{short}/")["events"]
    assert [e["message"] for e in events] == ["epoch=1 accuracy=0.1"]
    assert {e["logStreamName"].split("/")[0] for e in events} == {short}
    both = logs.filter_log_events(logGroupName=LOG_GROUP, logStreamNamePrefix=short)["events"]
    assert sorted(e["message"] for e in both) == ["epoch=1 accuracy=0.1",
                                                   "epoch=1 accuracy=0.2"]
    assert logs.filter_log_events(logGroupName=LOG_GROUP,
                                  logStreamNamePrefix="no-such-job/")["events"] == []
    assert error_of(logs.filter_log_events, logGroupName=LOG_GROUP, logStreamNamePrefix=short,
                    logStreamNames=[f"{short}/x"])[0] == "InvalidParameterException"
