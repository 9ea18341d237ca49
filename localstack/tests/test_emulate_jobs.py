"""Tuning jobs end to end: script mode from S3, trials by hpo-bridge's core, CloudWatch logs."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from hpo_bridge_localstack.testing import upload_code

LOG_GROUP = "/aws/sagemaker/TrainingJobs"

# Prints SageMaker-style lines; the loss depends only on the hyperparameters, so every
# trial's objective can be recomputed from its TunedHyperParameters.
TRAIN = '''
import argparse, math, os, sys, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--batch-size", type=int)
p.add_argument("--epochs", type=int)
p.add_argument("--sleep", type=float, default=0)
a = p.parse_args()
data = os.path.join(os.environ["SM_CHANNEL_TRAINING"], "train.csv")
print("samples", sum(1 for _ in open(data)), "job", os.environ["TRAINING_JOB_NAME"])
print("a warning on stderr", file=sys.stderr)
for epoch in range(1, a.epochs + 1):
    loss = abs(math.log10(a.lr) + 2) + a.batch_size / 1000 + 1 / epoch
    print(f"Test set: Average loss: {loss:.4f}, Accuracy: 9000/10000 (90%)", flush=True)
    time.sleep(a.sleep)
'''
FAILING = "import sys\nprint('Traceback: boom', file=sys.stderr)\nsys.exit(3)\n"
_buckets = itertools.count(1)


def expected_loss(tuned: dict[str, str], epochs: int) -> float:
    import math

    lr, batch = float(tuned["lr"]), int(tuned["batch-size"])
    return float(f"{abs(math.log10(lr) + 2) + batch / 1000 + 1 / epochs:.4f}")


def prepare(emulator, request, script: str = TRAIN, sleep: float | None = None):
    """Upload the code tarball and a training channel; point the request at them."""
    s3 = emulator.client("s3")
    bucket = f"emulate-jobs-{next(_buckets)}"
    uri = upload_code(s3, bucket, "code/sourcedir.tar.gz", {"train.py": script})
    s3.put_object(Bucket=bucket, Key="data/train.csv", Body=b"1,2\n3,4\n5,6\n")
    definition = request["TrainingJobDefinition"]
    definition["OutputDataConfig"] = {"S3OutputPath": f"s3://{bucket}/output"}
    statics = definition["StaticHyperParameters"]
    statics["sagemaker_submit_directory"] = f'"{uri}"'
    if sleep is not None:
        statics["sleep"] = str(sleep)
    definition["InputDataConfig"] = [{
        "ChannelName": "training",
        "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix",
                                        "S3Uri": f"s3://{bucket}/data"}},
    }]
    return request


def wait_for(sm, name, statuses=("Completed", "Failed", "Stopped"), limit=60.0):
    """Poll like a client does; the limit only guards against a hang."""
    deadline = time.monotonic() + limit
    while True:
        described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if described["HyperParameterTuningJobStatus"] in statuses:
            return described
        assert time.monotonic() < deadline, described["HyperParameterTuningJobStatus"]
        time.sleep(0.2)


def all_training_jobs(sm, name, **kwargs):
    paginator = sm.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
    return [s for page in paginator.paginate(HyperParameterTuningJobName=name, **kwargs)
            for s in page["TrainingJobSummaries"]]


def test_script_mode_job_end_to_end(emulator, make_request):
    sm = emulator.client("sagemaker")
    request = prepare(emulator, make_request())
    name = request["HyperParameterTuningJobName"]
    sm.create_hyper_parameter_tuning_job(**request)
    described = wait_for(sm, name)

    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"] == {
        "Completed": 4, "InProgress": 0, "RetryableError": 0, "NonRetryableError": 0,
        "Stopped": 0}
    assert described["ObjectiveStatusCounters"] == {"Succeeded": 4, "Pending": 0, "Failed": 0}
    jobs = all_training_jobs(sm, name)
    assert len(jobs) == 4
    for job in jobs:
        assert re.fullmatch(rf"{name}-00[1-4]-[0-9a-f]{{8}}", job["TrainingJobName"])
        assert job["TrainingJobStatus"] == "Completed"
        assert job["ObjectiveStatus"] == "Succeeded"
        assert set(job["TunedHyperParameters"]) == {"lr", "batch-size"}
        assert job["FinalHyperParameterTuningJobObjectiveMetric"] == {
            "MetricName": "test:loss", "Value": expected_loss(job["TunedHyperParameters"], 2)}
    best = min(jobs, key=lambda j: j["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])
    assert described["BestTrainingJob"]["TrainingJobName"] == best["TrainingJobName"]
    assert described["BestTrainingJob"]["FinalHyperParameterTuningJobObjectiveMetric"] == \
        best["FinalHyperParameterTuningJobObjectiveMetric"]

    detail = sm.describe_training_job(TrainingJobName=best["TrainingJobName"])
    assert detail["TuningJobArn"] == described["HyperParameterTuningJobArn"]
    assert detail["HyperParameters"] == {
        **request["TrainingJobDefinition"]["StaticHyperParameters"],
        **best["TunedHyperParameters"],
        "_tuning_objective_metric": "test:loss",
    }
    assert [(m["MetricName"], m["Value"]) for m in detail["FinalMetricDataList"]] == [
        ("test:loss", best["FinalHyperParameterTuningJobObjectiveMetric"]["Value"])]
    assert [t["Status"] for t in detail["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed"]

    logs = emulator.client("logs")
    streams = logs.describe_log_streams(
        logGroupName=LOG_GROUP, logStreamNamePrefix=best["TrainingJobName"])["logStreams"]
    (stream,) = streams
    assert re.fullmatch(rf"{best['TrainingJobName']}/algo-1-\d+", stream["logStreamName"])
    messages = [e["message"] for e in logs.get_log_events(
        logGroupName=LOG_GROUP, logStreamName=stream["logStreamName"])["events"]]
    printed = [m for m in messages if m.startswith("Test set")]
    assert len(printed) == 2
    assert f"{best['FinalHyperParameterTuningJobObjectiveMetric']['Value']:.4f}" in printed[-1]
    assert "a warning on stderr" in messages
    assert f"samples 3 job {best['TrainingJobName']}" in messages


def test_stop_training_job_then_tuning_job(emulator, make_request):
    sm = emulator.client("sagemaker")
    request = prepare(emulator, make_request(), sleep=30)
    name = request["HyperParameterTuningJobName"]
    sm.create_hyper_parameter_tuning_job(**request)
    deadline = time.monotonic() + 30
    while len(running := all_training_jobs(sm, name, StatusEquals="InProgress")) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.2)

    first = sorted(j["TrainingJobName"] for j in running)[0]
    sm.stop_training_job(TrainingJobName=first)
    assert sm.describe_training_job(TrainingJobName=first)["TrainingJobStatus"] in (
        "Stopping", "Stopped")

    sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    assert sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)[
        "HyperParameterTuningJobStatus"] == "Stopping"
    described = wait_for(sm, name)
    assert described["HyperParameterTuningJobStatus"] == "Stopped"
    jobs = all_training_jobs(sm, name)
    assert {j["TrainingJobStatus"] for j in jobs} == {"Stopped"}
    assert described["TrainingJobStatusCounters"]["Stopped"] == len(jobs)
    assert described["TrainingJobStatusCounters"]["InProgress"] == 0
    assert sm.describe_training_job(TrainingJobName=first)["SecondaryStatus"] == "Stopped"


def test_pagination_sorting_and_filters(emulator, make_request):
    sm = emulator.client("sagemaker")
    request = prepare(emulator, make_request(Strategy="Grid"))
    config = request["HyperParameterTuningJobConfig"]
    config["ParameterRanges"] = {"CategoricalParameterRanges": [
        {"Name": "lr", "Values": ["0.001", "0.01", "0.1"]},
        {"Name": "batch-size", "Values": ["32", "64"]},
    ]}
    config["ResourceLimits"] = {"MaxParallelTrainingJobs": 3}
    name = request["HyperParameterTuningJobName"]
    sm.create_hyper_parameter_tuning_job(**request)
    assert wait_for(sm, name)["HyperParameterTuningJobStatus"] == "Completed"

    first = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, MaxResults=4)
    second = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, MaxResults=4, NextToken=first["NextToken"])
    assert len(first["TrainingJobSummaries"]) == 4
    assert len(second["TrainingJobSummaries"]) == 2
    assert "NextToken" not in second
    names = [j["TrainingJobName"] for j in
             first["TrainingJobSummaries"] + second["TrainingJobSummaries"]]
    assert names == sorted(names)

    grid = {(j["TunedHyperParameters"]["lr"], j["TunedHyperParameters"]["batch-size"])
            for j in all_training_jobs(sm, name)}
    assert grid == {(lr, b) for lr in ("0.001", "0.01", "0.1") for b in ("32", "64")}

    by_value = all_training_jobs(sm, name, SortBy="FinalObjectiveMetricValue",
                                 SortOrder="Descending")
    values = [j["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] for j in by_value]
    assert values == sorted(values, reverse=True)
    assert values[-1] == expected_loss({"lr": "0.01", "batch-size": "32"}, 2)
    assert all_training_jobs(sm, name, StatusEquals="Failed") == []

    listed = sm.list_training_jobs(NameContains=name, MaxResults=100)["TrainingJobSummaries"]
    assert sorted(j["TrainingJobName"] for j in listed) == sorted(names)


@pytest.mark.parametrize("problem", ["failing script", "missing code"])
def test_failures_are_reported(emulator, make_request, problem):
    sm = emulator.client("sagemaker")
    request = prepare(emulator, make_request(), script=FAILING)
    if problem == "missing code":
        request["TrainingJobDefinition"]["StaticHyperParameters"][
            "sagemaker_submit_directory"] = "s3://no-such-bucket-here/code.tar.gz"
    name = request["HyperParameterTuningJobName"]
    sm.create_hyper_parameter_tuning_job(**request)
    described = wait_for(sm, name)
    assert described["HyperParameterTuningJobStatus"] == "Failed"
    jobs = all_training_jobs(sm, name)
    if problem == "missing code":
        assert described["FailureReason"].startswith("ClientError: s3://no-such-bucket-here/")
        assert jobs == []
        return
    assert described["TrainingJobStatusCounters"]["NonRetryableError"] >= 1
    failed = [j for j in jobs if j["TrainingJobStatus"] == "Failed"]
    # SageMaker puts the error message in the reason: the last line the script wrote to stderr.
    assert failed and all(
        j["FailureReason"] == "AlgorithmError: exit code 3: Traceback: boom" for j in failed
    )
    assert all(j["ObjectiveStatus"] == "Failed" for j in failed)
    # Every training job failed (the 4 the job may run): SageMaker's own message.
    assert described["FailureReason"] == (
        "No training job succeeded after 4 attempts. Please take a look at the training job"
        " failures to get more details.")
