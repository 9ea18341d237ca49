"""The real AWS CLI (`aws --endpoint-url`), run as a subprocess against the emulator:
create a tuning job from --cli-input-json, describe it, list its training jobs sorted,
filtered and page by page, stop a job, and read what the script printed with
`aws logs get-log-events` and `aws logs filter-log-events`."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from aws_clients import AWS_CLI, IMAGE, LOG_GROUP, ROLE, aws, client_environment
from hpo_bridge_localstack.aws.testing import code_tarball
from hpo_bridge_localstack.testing import emulator as start_emulator

if not AWS_CLI.exists():  # pragma: no cover - the test extra installs it
    pytest.skip("the AWS CLI is not installed", allow_module_level=True)

TRAIN = '''
import argparse, time
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--hold", type=float, default=0)
a = p.parse_args()
for epoch in (1, 2):
    print(f"epoch={epoch} loss={round(a.lr * 10 / epoch, 4)}", flush=True)
time.sleep(a.hold)
'''
RATES = ["0.1", "0.2", "0.3", "0.4"]


def loss(lr: str, epoch: int) -> float:
    return round(float(lr) * 10 / epoch, 4)


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> Any:
    folder = tmp_path_factory.mktemp("cli")
    (folder / "sourcedir.tar.gz").write_bytes(code_tarball({"train.py": TRAIN}))
    with start_emulator("sagemaker") as emu, client_environment(emu, folder) as env:
        aws(env, "s3", "mb", "s3://cli-bucket")
        aws(env, "s3", "cp", str(folder / "sourcedir.tar.gz"),
            "s3://cli-bucket/code/sourcedir.tar.gz")
        yield env, folder


def request(name: str, **statics: str) -> dict[str, Any]:
    return {
        "HyperParameterTuningJobName": name,
        "HyperParameterTuningJobConfig": {
            "Strategy": "Grid",
            "HyperParameterTuningJobObjective": {"Type": "Minimize", "MetricName": "loss"},
            "ResourceLimits": {"MaxParallelTrainingJobs": 2},
            "ParameterRanges": {"CategoricalParameterRanges": [{"Name": "lr",
                                                                "Values": RATES}]},
        },
        "TrainingJobDefinition": {
            "StaticHyperParameters": {
                "sagemaker_program": "train.py",
                "sagemaker_submit_directory": "s3://cli-bucket/code/sourcedir.tar.gz",
                **statics},
            "AlgorithmSpecification": {
                "TrainingImage": IMAGE, "TrainingInputMode": "File",
                "MetricDefinitions": [{"Name": "loss", "Regex": "loss=([0-9.]+)"}]},
            "RoleArn": ROLE,
            "OutputDataConfig": {"S3OutputPath": "s3://cli-bucket/output"},
            "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1,
                               "VolumeSizeInGB": 10},
            "StoppingCondition": {"MaxRuntimeInSeconds": 600},
        },
    }


def create(env: dict[str, str], folder: Any, name: str, **statics: str) -> str:
    path = folder / f"{name}.json"
    path.write_text(json.dumps(request(name, **statics)))
    created = aws(env, "sagemaker", "create-hyper-parameter-tuning-job",
                  "--cli-input-json", f"file://{path}")
    return str(created["HyperParameterTuningJobArn"])


def describe(env: dict[str, str], name: str) -> dict[str, Any]:
    return dict(aws(env, "sagemaker", "describe-hyper-parameter-tuning-job",
                    "--hyper-parameter-tuning-job-name", name))


def until_status(env: dict[str, str], name: str, statuses: tuple[str, ...],
                 limit: float = 90.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while (described := describe(env, name))["HyperParameterTuningJobStatus"] not in statuses:
        assert time.monotonic() < deadline, described["HyperParameterTuningJobStatus"]
        time.sleep(0.5)
    return described


def listed(env: dict[str, str], name: str, *args: str) -> dict[str, Any]:
    return dict(aws(env, "sagemaker", "list-training-jobs-for-hyper-parameter-tuning-job",
                    "--hyper-parameter-tuning-job-name", name, *args))


@pytest.fixture(scope="module")
def finished(cli) -> tuple[dict[str, str], str, dict[str, Any]]:
    env, folder = cli
    name = "cli-grid"
    assert create(env, folder, name) == \
        f"arn:aws:sagemaker:us-east-1:123456789012:hyper-parameter-tuning-job/{name}"
    return env, name, until_status(env, name, ("Completed", "Failed", "Stopped"))


def test_describe_shows_the_completed_job_and_its_best(finished):
    _, name, described = finished
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    assert described["TrainingJobStatusCounters"]["Completed"] == 4
    best = described["BestTrainingJob"]
    assert best["TunedHyperParameters"] == {"lr": "0.1"}
    assert best["FinalHyperParameterTuningJobObjectiveMetric"] == {
        "MetricName": "loss", "Value": loss("0.1", 2)}
    assert described["TrainingJobDefinition"]["StaticHyperParameters"][
        "_tuning_objective_metric"] == "loss"


def test_list_sorted_filtered_and_paged(finished):
    env, name, _ = finished
    by_value = listed(env, name, "--sort-by", "FinalObjectiveMetricValue",
                      "--sort-order", "Descending")["TrainingJobSummaries"]
    assert [(j["TunedHyperParameters"]["lr"],
             j["FinalHyperParameterTuningJobObjectiveMetric"]["Value"]) for j in by_value] == [
        (lr, loss(lr, 2)) for lr in reversed(RATES)]
    assert len(listed(env, name, "--status-equals", "Completed")["TrainingJobSummaries"]) == 4
    assert listed(env, name, "--status-equals", "Failed")["TrainingJobSummaries"] == []
    # The CLI's own paging: --page-size is MaxResults per call, --max-items what it prints.
    first = listed(env, name, "--sort-by", "Name", "--page-size", "1", "--max-items", "3")
    assert len(first["TrainingJobSummaries"]) == 3 and first["NextToken"]
    rest = listed(env, name, "--sort-by", "Name", "--page-size", "1",
                  "--starting-token", first["NextToken"])
    names = [j["TrainingJobName"] for j in
             first["TrainingJobSummaries"] + rest["TrainingJobSummaries"]]
    assert len(names) == 4 and names == sorted(names)
    assert "NextToken" not in rest


def test_logs_get_and_filter_log_events(finished):
    env, name, _ = finished
    for job in listed(env, name)["TrainingJobSummaries"]:
        training, lr = job["TrainingJobName"], job["TunedHyperParameters"]["lr"]
        expected = [f"epoch={e} loss={loss(lr, e)}" for e in (1, 2)]
        streams = aws(env, "logs", "describe-log-streams", "--log-group-name", LOG_GROUP,
                      "--log-stream-name-prefix", f"{training}/")["logStreams"]
        (stream,) = [s["logStreamName"] for s in streams]
        got = aws(env, "logs", "get-log-events", "--log-group-name", LOG_GROUP,
                  "--log-stream-name", stream, "--start-from-head")["events"]
        assert [e["message"] for e in got] == expected
        filtered = aws(env, "logs", "filter-log-events", "--log-group-name", LOG_GROUP,
                       "--log-stream-name-prefix", f"{training}/")["events"]
        assert [(e["logStreamName"], e["message"]) for e in filtered] == [
            (stream, line) for line in expected]


def test_stop_a_running_job(cli):
    env, folder = cli
    name = "cli-stopped"
    create(env, folder, name, hold="60")
    deadline = time.monotonic() + 60
    while len(listed(env, name, "--status-equals", "InProgress")["TrainingJobSummaries"]) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    aws(env, "sagemaker", "stop-hyper-parameter-tuning-job",
        "--hyper-parameter-tuning-job-name", name)
    assert describe(env, name)["HyperParameterTuningJobStatus"] in ("Stopping", "Stopped")
    described = until_status(env, name, ("Stopped",))
    assert described["TrainingJobStatusCounters"]["Stopped"] == 2
    again = aws(env, "sagemaker", "stop-hyper-parameter-tuning-job",
                "--hyper-parameter-tuning-job-name", name, check=False)
    assert again.returncode == 255 and "(ValidationException)" in again.stderr  # CLI v1
