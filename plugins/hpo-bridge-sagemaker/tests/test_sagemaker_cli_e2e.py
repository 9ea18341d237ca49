"""The real `hpo-bridge` console script against the emulator run as a user runs it
(`hpo-bridge emulate sagemaker`, a separate process), pointed at by AWS_ENDPOINT_URL:
compile, run, results, best, logs, detach, cancel, and the failures that leave nothing behind."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.validate import ParamValidator
from hpo_bridge_sagemaker.service_model import service_model
from hpo_bridge_sagemaker.translate import OPERATION

emulator_testing = pytest.importorskip("hpo_bridge_localstack.testing")

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "sagemaker" / "spec.yaml"
AZURE = ROOT / "examples" / "specs" / "azure-median.yaml"
CLI = Path(sys.executable).with_name("hpo-bridge")
LOSS = re.compile(r"Test set: Average loss: ([0-9.]+)")
PARAMS = re.compile(r"lr=(\S+) momentum=(\S+)")
LOG_GROUP = "/aws/sagemaker/TrainingJobs"
AZURE_APPROXIMABLE = [
    *(f"search_space.{p}.distribution" for p in
      ("momentum", "weight_decay", "hidden_units", "embedding", "noise", "scale")),
    "early_stopping.policy",
]
# Stops only once the test says so: the job stays Stopping until then, whatever the timing.
HOLDING_SCRIPT = """\
import argparse, os, signal, sys, time
parser = argparse.ArgumentParser()
parser.add_argument("-x", type=float)  # the training toolkit passes one-letter names as -x
parser.add_argument("--release")
args = parser.parse_args()


def stop(signum, frame):
    deadline = time.monotonic() + 8  # below the trial's kill grace (10 s)
    while not os.path.exists(args.release) and time.monotonic() < deadline:
        time.sleep(0.05)
    sys.exit(0)


signal.signal(signal.SIGTERM, stop)
print("Test set: Average loss: 0.5", flush=True)
time.sleep(120)
"""


@pytest.fixture(scope="module")
def emulator():
    with emulator_testing.EmulatorProcess("sagemaker") as proc:
        bucket = yaml.safe_load(EXAMPLE.read_text())["backends"]["sagemaker"]["output_path"]
        client(proc, "s3").create_bucket(Bucket=bucket[len("s3://"):].split("/")[0])
        yield proc


def client(proc: Any, service: str) -> Any:
    env = proc.env()
    return boto3.client(service, endpoint_url=proc.url, region_name=env["AWS_DEFAULT_REGION"],
                        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    """This machine's AWS setup cannot leak in: no AWS_* variables, no config files."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_CONFIG_FILE=str(tmp / "no-config"),
               AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"),
               AWS_EC2_METADATA_DISABLED="true", **extra)
    return env


def hpo(env: dict[str, str], *args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)


@pytest.fixture
def env(emulator, tmp_path):
    emulator.clear_faults()
    return clean_env(tmp_path, **emulator.env())


def last_job_line(lines: list[str]) -> str:
    """The last line about the cloud job (after it, `run` prints the study's outcome, its
    best trial and its directory, as for every study)."""
    outcome = ("study ", "best: ", "pareto set", "  trial ")
    return [line for line in lines if not line.startswith(outcome)][-1]


def job_name(run_output: str) -> str:
    match = re.search(r"submitted sagemaker job (\S+)@", run_output)
    assert match, run_output
    return match.group(1)


def printed_lines(logs: Any, training_job: str) -> list[str]:
    """What the training job printed, read straight from CloudWatch Logs."""
    streams = logs.describe_log_streams(logGroupName=LOG_GROUP,
                                        logStreamNamePrefix=f"{training_job}/")["logStreams"]
    return [event["message"] for stream in streams for event in logs.get_log_events(
        logGroupName=LOG_GROUP, logStreamName=stream["logStreamName"],
        startFromHead=True)["events"]]


def test_compile_prints_a_request_botocore_accepts(env):
    result = hpo(env, "compile", EXAMPLE, "--backend", "sagemaker")
    assert result.returncode == 0, result.stderr
    request = json.loads(result.stdout)
    shape = service_model().operation_model(OPERATION).input_shape
    report = ParamValidator().validate(request, shape)
    assert not report.has_errors(), report.generate_report()
    assert request["HyperParameterTuningJobConfig"]["ResourceLimits"] == {
        "MaxNumberOfTrainingJobs": 9, "MaxParallelTrainingJobs": 3}


def test_compile_lists_every_unsupported_feature_then_approximates(env, tmp_path):
    result = hpo(env, "compile", AZURE, "--backend", "sagemaker")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    paths = [line.split(": ")[1] for line in lines[:-1]]
    assert paths == ["metrics", *AZURE_APPROXIMABLE, "trial.contract"]
    assert all(line.startswith("sagemaker: ") and "; nearest: " in line for line in lines[:-1])
    assert lines[-1] == "(--approximate maps what has a near equivalent)"
    # --approximate cannot invent a regex or turn Azure's contract into SageMaker's.
    still = hpo(env, "compile", AZURE, "--backend", "sagemaker", "--approximate")
    assert still.returncode == 2
    assert [line.split(": ")[1] for line in still.stderr.splitlines()] == ["metrics",
                                                                           "trial.contract"]
    # Ported to SageMaker (a regex, the sagemaker contract): every mapping is one warning.
    data = yaml.safe_load(AZURE.read_text())
    data["metrics"] = [{"name": "accuracy", "regex": "accuracy=([0-9.]+)"}]
    data["trial"]["contract"] = "sagemaker"
    data["backends"] = yaml.safe_load(EXAMPLE.read_text())["backends"]
    (tmp_path / "train.py").write_text("print('accuracy=0.5')\n")
    ported = tmp_path / "azure.yaml"
    ported.write_text(yaml.safe_dump(data, sort_keys=False))
    approx = hpo(env, "compile", ported, "--backend", "sagemaker", "--approximate")
    assert approx.returncode == 0, approx.stderr
    *warnings, note = approx.stderr.splitlines()
    assert note.startswith(f"note: packed 2 file(s), 1.4 KiB, from {tmp_path} (")
    assert [w.split(": ")[1] for w in warnings] == AZURE_APPROXIMABLE
    assert all(w.startswith("warning: ") and " is approximated: " in w for w in warnings)
    request = json.loads(approx.stdout)
    config = request["HyperParameterTuningJobConfig"]
    assert config["TrainingJobEarlyStoppingType"] == "Auto"  # median -> SageMaker's Auto
    assert not ParamValidator().validate(
        request, service_model().operation_model(OPERATION).input_shape).has_errors()


def test_run_then_results_best_and_logs_show_what_the_script_printed(emulator, env, tmp_path):
    study = tmp_path / "study"
    run = hpo(env, "run", EXAMPLE, "--backend", "sagemaker", "--study-dir", study,
              "--poll-interval", "0.2")
    assert run.returncode == 0, run.stdout + run.stderr
    name = job_name(run.stdout)
    assert last_job_line(run.stdout.splitlines()).startswith(
        "Completed: 9 done, 0 running, 0 failed")

    # What each training job printed, straight from the emulator's CloudWatch Logs.
    sm, logs = client(emulator, "sagemaker"), client(emulator, "logs")
    jobs = sm.list_training_jobs_for_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name, MaxResults=100)["TrainingJobSummaries"]
    printed = {int(j["TrainingJobName"].split("-")[-2]): printed_lines(logs, j["TrainingJobName"])
               for j in jobs}
    assert sorted(printed) == list(range(1, 10))

    results = json.loads(hpo(env, "results", study, "--json").stdout)["trials"]
    assert [t["id"] for t in results] == list(range(1, 10))
    for trial in results:
        lines = printed[trial["id"]]
        losses = [float(m.group(1)) for line in lines if (m := LOSS.search(line))]
        assert len(losses) == 3  # one per epoch; SageMaker's objective is the final one
        assert trial["status"] == "completed" and trial["objective"] == losses[-1]
        lr, momentum = next(m.groups() for line in lines if (m := PARAMS.search(line)))
        assert trial["params"] == {"lr": float(lr), "momentum": float(momentum)}

    finals = {t["id"]: t["objective"] for t in results}
    best_id = min(finals, key=finals.__getitem__)
    described = sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
    best_job = described["BestTrainingJob"]["TrainingJobName"]
    assert int(best_job.split("-")[-2]) == best_id
    assert f"best {finals[best_id]:g} ({best_job})" in last_job_line(run.stdout.splitlines())
    best = json.loads(hpo(env, "best", study, "--json").stdout)["best"]
    assert best["id"] == best_id and best["objective"] == finals[best_id]
    assert hpo(env, "best", study).stdout.startswith(f"best: trial {best_id} ")

    shown = hpo(env, "logs", study, best_id)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.splitlines() == [line.rstrip("\n") for line in printed[best_id]]
    tail = hpo(env, "logs", study, 1, "--tail", "1").stdout.splitlines()
    assert tail == [printed[1][-1].rstrip("\n")]
    missing = hpo(env, "logs", study, 42)
    assert missing.returncode == 2 and "no trial 42" in missing.stderr


def holding_spec(folder: Path) -> Path:
    (folder / "hold.py").write_text(HOLDING_SCRIPT)
    spec = {
        "name": "held-job",
        "objective": {"metric": "loss", "goal": "minimize"},
        "metrics": [{"name": "loss", "regex": "Test set: Average loss: ([0-9.]+)"}],
        "search_space": {"x": {"type": "float", "low": 0, "high": 1}},
        "strategy": {"algorithm": "random", "seed": 1},
        "limits": {"max_trials": 1, "max_parallel": 1},
        "trial": {"command": ["python", "hold.py"], "contract": "sagemaker",
                  "args": {"release": str(folder / "release")}},
        "backends": yaml.safe_load(EXAMPLE.read_text())["backends"],
    }
    path = folder / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    return path


def test_detach_then_cancel_shows_stopping_then_stopped(emulator, env, tmp_path):
    study = tmp_path / "study"
    spec = holding_spec(tmp_path)
    detached = hpo(env, "run", spec, "--backend", "sagemaker", "--study-dir", study, "--detach")
    assert detached.returncode == 0, detached.stderr
    assert "detached: `hpo-bridge status" in detached.stdout
    name = job_name(detached.stdout)
    sm, logs = client(emulator, "sagemaker"), client(emulator, "logs")
    deadline = time.monotonic() + 60
    while True:  # the trial is up once its line is in CloudWatch (its SIGTERM handler too)
        jobs = sm.list_training_jobs_for_hyper_parameter_tuning_job(
            HyperParameterTuningJobName=name)["TrainingJobSummaries"]
        if jobs and any(LOSS.search(line) for line in
                        printed_lines(logs, jobs[0]["TrainingJobName"])):
            break
        assert time.monotonic() < deadline, "the trial never started"
        time.sleep(0.1)

    cancel = hpo(env, "cancel", study)
    assert cancel.returncode == 0 and cancel.stdout.startswith(f"stopping {name}@")
    # Following the job again (run on the same study) shows the cloud's states as they come.
    follow = subprocess.Popen([str(CLI), "run", str(spec), "--backend", "sagemaker",
                               "--study-dir", str(study), "--poll-interval", "0.2"],
                              stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    assert follow.stdout is not None
    seen = [follow.stdout.readline(), follow.stdout.readline()]
    (tmp_path / "release").touch()  # now the trial may end, and the job with it
    rest, _ = follow.communicate(timeout=60)
    seen += rest.splitlines()
    assert seen[0].strip() == f"following sagemaker job {name}@us-east-1"
    assert seen[1].startswith("Stopping: 0 done, 1 running")
    assert last_job_line(seen).startswith("Stopped: ")
    assert follow.returncode == 1  # the study did not finish: it was stopped
    status = json.loads(hpo(env, "status", study, "--json").stdout)
    assert status["status"] == "cancelled"
    assert sm.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=name)["HyperParameterTuningJobStatus"] == "Stopped"
    (trial,) = json.loads(hpo(env, "results", study, "--json").stdout)["trials"]
    # SageMaker evaluates the last objective a stopped job reported (ObjectiveStatus
    # Succeeded, as AWS documents it): the trial keeps its value, like an early-stopped one.
    assert (trial["status"], trial["objective"]) == ("stopped", 0.5)


# -- failures before a job exists leave no study behind ----------------------------------
def test_an_unsupported_spec_exits_2_and_creates_nothing(env, tmp_path):
    study = tmp_path / "study"
    result = hpo(env, "run", AZURE, "--backend", "sagemaker", "--study-dir", study)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1 + len(AZURE_APPROXIMABLE) + 1  # + contract
    assert "Traceback" not in result.stderr
    assert not study.exists()


def test_missing_credentials_and_region_exit_2_and_create_nothing(emulator, tmp_path):
    study = tmp_path / "study"
    stats = emulator.stats()["total"]
    result = hpo(clean_env(tmp_path, AWS_ENDPOINT_URL=emulator.url), "run", EXAMPLE,
                 "--backend", "sagemaker", "--study-dir", study)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "sagemaker: no AWS region: set backends.sagemaker.region in the spec, or AWS_REGION /"
        " AWS_DEFAULT_REGION",
        "sagemaker: no AWS credentials found: run `aws configure`, set AWS_ACCESS_KEY_ID and"
        " AWS_SECRET_ACCESS_KEY, or choose a profile with AWS_PROFILE",
    ]
    assert not study.exists() and emulator.stats()["total"] == stats  # not one call made


def test_a_denied_submission_is_not_retried_and_leaves_nothing(emulator, env, tmp_path):
    study = tmp_path / "study"
    emulator.reset_stats()
    emulator.inject_fault("CreateHyperParameterTuningJob", "deny", 5)
    result = hpo(env, "run", EXAMPLE, "--backend", "sagemaker", "--study-dir", study)
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("sagemaker: access denied for sagemaker"
                           " create_hyper_parameter_tuning_job: User: ")
    assert emulator.stats()["calls"]["CreateHyperParameterTuningJob"] == 1
    assert not study.exists()
