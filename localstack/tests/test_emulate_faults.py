"""Fault injection (throttling, 500s, dropped connections) and per-operation call counts."""

from __future__ import annotations

import json
import urllib.request

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError
from botocore.retries.standard import ExponentialBackoff
from hpo_bridge_localstack.framework.faults import Fault, FaultSpecError
from hpo_bridge_localstack.testing import sagemaker_emulator

NO_RETRY = Config(retries={"mode": "standard", "total_max_attempts": 1})
RETRY = Config(retries={"mode": "standard", "total_max_attempts": 5})
DESCRIBE = "DescribeHyperParameterTuningJob"


@pytest.fixture
def emu():
    with sagemaker_emulator(run_jobs=False) as emulator:
        yield emulator


@pytest.mark.parametrize(
    ("kind", "code", "status"),
    [("throttle", "ThrottlingException", 400), ("error", "InternalFailure", 500),
     ("deny", "AccessDeniedException", 400)],
)
def test_error_faults_answer_like_the_service(emu, kind, code, status):
    sm = emu.client("sagemaker", config=NO_RETRY)
    emu.inject_fault(DESCRIBE, kind, 1)
    with pytest.raises(ClientError) as info:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="x")
    assert info.value.response["Error"]["Code"] == code
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    # Spent: the next call reaches the service (which does not know the job).
    with pytest.raises(ClientError) as info:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="x")
    assert info.value.response["Error"]["Code"] == "ResourceNotFound"


def test_deny_names_the_missing_permission_and_is_never_retried_by_boto3(emu):
    sm = emu.client("sagemaker", config=RETRY)
    emu.inject_fault(DESCRIBE, "deny", 3)
    with pytest.raises(ClientError) as info:
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="x")
    assert info.value.response["Error"]["Message"].endswith(
        f"is not authorized to perform: sagemaker:{DESCRIBE} because no identity-based"
        f" policy allows the sagemaker:{DESCRIBE} action")
    assert emu.stats()["calls"] == {DESCRIBE: 1}


def test_s3_denial_is_403_access_denied(emu):
    s3 = emu.client("s3", config=NO_RETRY)
    emu.inject_fault("s3:PUT", "deny", 1)
    with pytest.raises(ClientError) as info:
        s3.create_bucket(Bucket="denied-bucket")
    assert info.value.response["Error"]["Code"] == "AccessDenied"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_drop_closes_the_connection(emu):
    sm = emu.client("sagemaker", config=NO_RETRY)
    emu.inject_fault(DESCRIBE, "drop", 1)
    with pytest.raises(ConnectionClosedError):
        sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName="x")


@pytest.mark.parametrize("kind", ["throttle", "error", "drop"])
def test_boto3_retries_through_faults_and_calls_are_counted(emu, make_request, kind, monkeypatch):
    # botocore's own retry logic runs; only its jittered sleep (up to seconds) is skipped.
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    sm = emu.client("sagemaker", config=RETRY)
    request = make_request()
    sm.create_hyper_parameter_tuning_job(**request)
    emu.reset_stats()
    emu.inject_fault(DESCRIBE, kind, 2)
    described = sm.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=request["HyperParameterTuningJobName"])
    assert described["ResponseMetadata"]["RetryAttempts"] == 2
    stats = emu.stats()
    assert stats["calls"] == {DESCRIBE: 3}
    assert stats["total"] == 3
    assert stats["faults_injected"] == {f"{DESCRIBE}:{kind}": 2}
    assert stats["faults_pending"] == []


def test_wildcard_and_faults_given_at_start(make_request):
    with sagemaker_emulator(run_jobs=False, faults=["*:throttle:1"]) as emu:
        sm = emu.client("sagemaker", config=NO_RETRY)
        with pytest.raises(ClientError):
            sm.list_hyper_parameter_tuning_jobs()
        assert sm.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"] == []
        assert emu.stats()["faults_injected"] == {"ListHyperParameterTuningJobs:throttle": 1}


def test_other_services_are_counted_and_faulted(emu):
    s3 = emu.client("s3", config=NO_RETRY)
    logs = emu.client("logs", config=NO_RETRY)
    s3.create_bucket(Bucket="counted-bucket")
    logs.create_log_group(logGroupName="/counted")
    emu.inject_fault("logs:DescribeLogGroups", "error", 1)
    with pytest.raises(ClientError) as info:
        logs.describe_log_groups()
    assert info.value.response["Error"]["Code"] == "InternalFailure"
    calls = emu.stats()["calls"]
    assert calls == {"logs:CreateLogGroup": 1, "logs:DescribeLogGroups": 1, "s3:PUT": 1}


def test_control_plane_over_http(emu):
    body = json.dumps({"faults": [f"{DESCRIBE}:drop:3"]}).encode()
    req = urllib.request.Request(f"{emu.url}/_emulator/faults", data=body, method="POST")
    with urllib.request.urlopen(req) as resp:
        assert json.loads(resp.read())["pending"] == [
            {"operation": DESCRIBE, "kind": "drop", "remaining": 3}]
    with urllib.request.urlopen(f"{emu.url}/_emulator/stats") as resp:
        assert json.loads(resp.read())["faults_pending"][0]["remaining"] == 3
    bad = urllib.request.Request(
        f"{emu.url}/_emulator/faults", data=b'{"faults": ["x:melt:1"]}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(bad)
    assert info.value.code == 400


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Describe:throttle", "expected OPERATION:KIND:COUNT"),
        ("Describe:melt:1", "kind must be one of throttle, error, deny, drop"),
        ("Describe:drop:two", "count must be a whole number"),
        ("Describe:drop:0", "count must be at least 1"),
        (":drop:1", "the operation is empty"),
    ],
)
def test_fault_text_errors(text, message):
    with pytest.raises(FaultSpecError, match=message):
        Fault.parse(text)


def test_fault_text_parses():
    assert Fault.parse("StopTrainingJob:error:4") == Fault("StopTrainingJob", "error", 4)
