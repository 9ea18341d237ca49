"""`hpo-bridge emulate`: as a subprocess, exactly as a user starts it."""

from __future__ import annotations

import subprocess
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from hpo_bridge_localstack.testing import EmulatorProcess


def test_subprocess_serves_sagemaker_s3_and_logs_then_stops_cleanly():
    with EmulatorProcess("sagemaker", faults=("ListHyperParameterTuningJobs:throttle:1",)) as p:
        assert p.url.startswith("http://127.0.0.1:")
        env = p.env()
        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        config = Config(retries={"mode": "standard", "total_max_attempts": 1})
        sm = session.client("sagemaker", endpoint_url=p.url, config=config)
        try:
            sm.list_hyper_parameter_tuning_jobs()
            raise AssertionError("the injected throttling did not happen")
        except ClientError as exc:
            assert exc.response["Error"]["Code"] == "ThrottlingException"
        assert sm.list_hyper_parameter_tuning_jobs()["HyperParameterTuningJobSummaries"] == []
        session.client("s3", endpoint_url=p.url).create_bucket(Bucket="cli-bucket")
        stats = p.stats()
        assert stats["calls"] == {"ListHyperParameterTuningJobs": 2, "s3:PUT": 1}
        assert stats["faults_injected"] == {"ListHyperParameterTuningJobs:throttle": 1}
    assert p.proc is not None and p.proc.returncode == 0


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from hpo_bridge.cli import main; main()", *args],
        capture_output=True, text=True, timeout=60,
    )


def test_bad_fault_is_one_line_and_exit_code_2():
    result = run_cli("emulate", "sagemaker", "--port", "0", "--fault", "Describe:melt:1")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "--fault 'Describe:melt:1': kind must be one of throttle, error, deny, drop")


def test_unknown_emulator_is_one_line_and_exit_code_2():
    result = run_cli("emulate", "gcp", "--port", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == "NAME: unknown emulator 'gcp' (available: azure, sagemaker)"
