"""The real AWS clients (SageMaker Python SDK, AWS CLI) pointed at an emulator through the
settings they support: AWS_ENDPOINT_URL and test keys in the environment, the SDK's
TelemetryOptOut in its own config file (SAGEMAKER_USER_CONFIG_OVERRIDE), an explicit
boto3 SageMaker client for `sagemaker.Session`, and `aws --endpoint-url`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:2.1-cpu-py310"
# The SDK's own defaults file (its schema): nothing is sent to AWS's telemetry bucket.
SDK_CONFIG = "SchemaVersion: '1.0'\nSageMaker:\n  PythonSDK:\n    Modules:\n" \
             "      TelemetryOptOut: true\n"
AWS_CLI = Path(sys.executable).with_name("aws")


@contextlib.contextmanager
def client_environment(emulator: Any, folder: Path) -> Iterator[dict[str, str]]:
    """The process environment a user of the emulator has (for the module's tests)."""
    config = folder / "sagemaker-config.yaml"
    config.write_text(SDK_CONFIG)
    env = {
        **emulator.env(),
        "SAGEMAKER_USER_CONFIG_OVERRIDE": str(config),
        "SAGEMAKER_ADMIN_CONFIG_OVERRIDE": str(config),
        "SAGEMAKER_SUPPRESS_V2_WARNING": "1",
        # Nothing from the machine's own AWS files.
        "AWS_CONFIG_FILE": str(folder / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "no-aws-credentials"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        yield env


def sdk_session(emulator: Any, bucket: str) -> Any:
    """`sagemaker.Session` on boto3 clients pointed at the emulator."""
    import boto3
    import sagemaker

    region = emulator.env()["AWS_DEFAULT_REGION"]
    boto_session = boto3.Session(region_name=region)
    client = boto3.client("sagemaker", endpoint_url=emulator.url, region_name=region)
    boto_session.client("s3").create_bucket(Bucket=bucket)
    return sagemaker.Session(boto_session=boto_session, sagemaker_client=client,
                             default_bucket=bucket)


def aws(env: dict[str, str], *args: str, check: bool = True) -> Any:
    """Run the AWS CLI; its parsed JSON output (the text of `aws s3` commands; the finished
    process with check=False)."""
    done = subprocess.run([str(AWS_CLI), "--endpoint-url", env["AWS_ENDPOINT_URL"],
                           "--output", "json", *args],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=120)
    if not check:
        return done
    assert done.returncode == 0, done.stderr
    if args[0] == "s3":
        return done.stdout
    return json.loads(done.stdout) if done.stdout.strip() else {}


def wait_for_tuning_job(sm: Any, name: str, limit: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
        if described["HyperParameterTuningJobStatus"] in ("Completed", "Failed", "Stopped"):
            return described
        assert time.monotonic() < deadline, described["HyperParameterTuningJobStatus"]
        time.sleep(0.2)


def wait_for_training_job(sm: Any, name: str, limit: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + limit
    while True:
        described = sm.describe_training_job(TrainingJobName=name)
        if described["TrainingJobStatus"] in ("Completed", "Failed", "Stopped"):
            return described
        assert time.monotonic() < deadline, described["TrainingJobStatus"]
        time.sleep(0.2)


def training_jobs(sm: Any, tuning_job: str, **kwargs: Any) -> list[dict[str, Any]]:
    paginator = sm.get_paginator("list_training_jobs_for_hyper_parameter_tuning_job")
    return [s for page in paginator.paginate(HyperParameterTuningJobName=tuning_job, **kwargs)
            for s in page["TrainingJobSummaries"]]


def printed(logs: Any, training_job: str) -> list[str]:
    """What a training job printed, read back from CloudWatch Logs."""
    streams = logs.describe_log_streams(logGroupName=LOG_GROUP,
                                        logStreamNamePrefix=f"{training_job}/")["logStreams"]
    return [e["message"] for s in streams for e in logs.get_log_events(
        logGroupName=LOG_GROUP, logStreamName=s["logStreamName"], startFromHead=True)["events"]]


def tagged(lines: list[str], tag: str) -> Any:
    """The JSON after `TAG ` on the line the script printed it."""
    (line,) = [line for line in lines if line.startswith(tag + " ")]
    return json.loads(line[len(tag) + 1:])


def untar(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
