"""The real boto3 path end to end against the offline SageMaker emulator (localstack/):
submit, follow, collect, stop, logs, retries and idempotent creation."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_sagemaker.backend import SageMakerBackend, split_handle
from sagemaker_helpers import IMAGE, ROLE

from hpo_bridge import study as facade
from hpo_bridge.backends import BackendError, RetryPolicy, RunOptions, TrialStatus
from hpo_bridge.loading import validate_spec
from hpo_bridge.spec import parse_yaml
from hpo_bridge.store import Store

emulator_testing = pytest.importorskip("hpo_bridge_localstack.testing")

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sagemaker"
BUCKET = "hpo-bridge-test"
LOSS = re.compile(r"Test set: Average loss: ([0-9.]+)")
AWS_VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ACCESS_KEY_ID",
                 "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION",
                 "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER")


@pytest.fixture(scope="module")
def emulator():
    with emulator_testing.sagemaker_emulator() as emu:
        emu.client("s3").create_bucket(Bucket=BUCKET)
        yield emu


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """No AWS configuration of this machine can leak in."""
    for name in AWS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return monkeypatch


@pytest.fixture
def emu(emulator, aws_env):
    for key, value in emulator.env().items():  # AWS_ENDPOINT_URL: boto3's own variable
        aws_env.setenv(key, value)
    emulator.faults.clear()
    emulator.reset_stats()
    yield emulator
    emulator.faults.clear()


class Lines:
    """A study view that keeps the lines a run notes (the CLI prints them)."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def start(self, spec, done):
        pass

    def __call__(self, event):
        pass

    def note(self, line):
        self.lines += line.splitlines()

    def stop(self):
        pass


def run_native(spec, study: Path, *, backend: SageMakerBackend, echo=None,
               poll_interval: float = 30.0, detach: bool = False, sleep=None):
    """Run `spec` on the backend; the job's status once the run returned."""
    view = Lines()
    if sleep is not None:
        backend.sleep = sleep
    backend.run(spec, study, RunOptions(poll_interval=poll_interval, detach=detach), view)
    if echo is not None:
        for line in view.lines:
            echo(line)
    with Store.open(study) as store:
        handle = store.get_meta("native_handle")
    return backend.job_status(handle)


def sync_native(study: Path):
    """The job's status, then `status DIR` of the study (a refresh from the cloud that
    saw at least that status)."""
    with Store.open(study) as store:
        handle = store.get_meta("native_handle")
    status = facade.create_backend("sagemaker").job_status(handle)
    assert facade.snapshot(study).warnings == []
    return status


def fast_backend() -> SageMakerBackend:
    return SageMakerBackend(retry=RetryPolicy(attempts=6, sleep=lambda _: None))


def example_spec(**limits: Any):
    data = parse_yaml((EXAMPLE / "spec.yaml").read_text())
    data["backends"] = {"sagemaker": {"role_arn": ROLE, "image_uri": IMAGE,
                                      "output_path": f"s3://{BUCKET}/output"}}
    data["limits"] = {**data.get("limits", {}), **limits}
    return validate_spec(data, base_dir=EXAMPLE)


def slow_spec(tmp_path: Path):
    (tmp_path / "slow.py").write_text(
        "import time\nprint('Test set: Average loss: 0.5', flush=True)\ntime.sleep(120)\n")
    return validate_spec({
        "name": "slow-job",
        "objective": {"metric": "loss", "goal": "minimize"},
        "metrics": [{"name": "loss", "regex": "Test set: Average loss: ([0-9.]+)"}],
        "search_space": {"x": {"type": "float", "low": 0, "high": 1}},
        "strategy": {"algorithm": "random", "seed": 1},
        "limits": {"max_trials": 2, "max_parallel": 2},
        "trial": {"command": ["python", "slow.py"], "contract": "sagemaker"},
        "backends": {"sagemaker": {"role_arn": ROLE, "image_uri": IMAGE,
                                   "output_path": f"s3://{BUCKET}/output"}},
    }, base_dir=tmp_path)


def printed_losses(lines: list[str]) -> list[float]:
    return [float(m.group(1)) for line in lines if (m := LOSS.search(line))]


def test_run_follows_to_completed_and_collects_what_the_script_printed(emu, tmp_path):
    study = tmp_path / "study"
    lines: list[str] = []
    backend = fast_backend()
    status = run_native(example_spec(), study, poll_interval=0.05,
                        backend=backend, echo=lines.append)
    assert status.state == "completed" and status.native_state == "Completed"
    # What the code package holds, then the submission.
    assert re.fullmatch(rf"note: packed \d+ file\(s\), [0-9.]+ KiB, from {re.escape(str(EXAMPLE))}"
                        r" \([0-9.]+ (KiB|B) compressed\)", lines[0]), lines[0]
    assert lines[1].startswith("submitted sagemaker job sagemaker-style-")
    store = Store.open(study)
    trials = store.trials()
    handle = store.get_meta("native_handle")
    assert store.study_status().status == "finished"
    store.close()
    # `hpo-bridge logs DIR 1` reads the trial's CloudWatch stream through the study.
    assert printed_losses(list(facade.logs(study, 1).lines or [])) == printed_losses(
        list(backend.trial_logs(handle, "1")))
    assert [t.id for t in trials] == list(range(1, 10))
    for trial in trials:
        assert trial.status == TrialStatus.COMPLETED
        assert set(trial.params) == {"lr", "momentum"}
        losses = printed_losses(list(backend.trial_logs(handle, str(trial.id))))
        assert len(losses) == 3  # one line per epoch
        assert trial.values == [losses[-1]]  # the final value, as SageMaker takes it
        assert trial.metrics["average test loss"] == [losses[-1]]
        assert "test accuracy" in trial.metrics  # from DescribeTrainingJob, once at the end
    best = min(trials, key=lambda t: t.values[0])
    assert status.best_value == best.values[0]
    assert status.best_trial is not None and status.best_trial.endswith(
        f"-{best.id:03d}-" + status.best_trial.rsplit("-", 1)[1])
    calls = emu.stats()["calls"]
    # Polls list the trials (100 per call), never describe them; the final collection
    # describes each finished training job exactly once.
    assert calls.get("DescribeTrainingJob", 0) == 9
    assert calls["CreateHyperParameterTuningJob"] == 1


def test_detach_then_sync_brings_the_trials_in(emu, tmp_path):
    study = tmp_path / "study"
    status = run_native(example_spec(max_trials=3), study, detach=True,
                        backend=fast_backend(), echo=lambda _: None)
    assert status.native_state in ("InProgress", "Completed")
    deadline = time.monotonic() + 120
    while not (status := sync_native(study)).done:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert status.state == "completed"
    # The job may have ended between the refresh and the status read: one more refresh.
    sync_native(study)
    store = Store.open(study)
    assert len(store.trials()) == 3 and store.study_status().status == "finished"
    store.close()


def test_cancel_stops_a_running_job(emu, tmp_path):
    study = tmp_path / "study"
    backend = fast_backend()
    run_native(slow_spec(tmp_path), study, detach=True, backend=backend,
               echo=lambda _: None)
    store = Store.open(study)
    handle = store.get_meta("native_handle")
    store.close()
    deadline = time.monotonic() + 60
    while backend.job_status(handle).trials_running < 1:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert facade.cancel(study) == handle
    seen = []
    while (status := backend.job_status(handle)).native_state != "Stopped":
        seen.append(status.native_state)
        assert time.monotonic() < deadline + 60
        time.sleep(0.05)
    assert set(seen) <= {"Stopping"}
    trials = backend.final_trials(handle)
    assert trials and all(t.status in (TrialStatus.CANCELLED, TrialStatus.STOPPED)
                          for t in trials)
    facade.cancel(study)  # stopping a stopped job is not an error


def test_ctrl_c_stops_the_job(emu, tmp_path):
    calls = {"n": 0}

    def interrupting_sleep(seconds: float) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt

    status = run_native(slow_spec(tmp_path), tmp_path / "study",
                        poll_interval=0.05, backend=fast_backend(), echo=lambda _: None,
                        sleep=interrupting_sleep)
    assert status.native_state in ("Stopping", "Stopped")
    store = Store.open(tmp_path / "study")
    assert store.study_status().status == "cancelled"
    store.close()


def test_throttling_errors_and_dropped_connections_are_retried(emu, tmp_path):
    emu.inject_fault("CreateHyperParameterTuningJob", "throttle", 2)
    emu.inject_fault("DescribeHyperParameterTuningJob", "drop", 1)
    emu.inject_fault("ListTrainingJobsForHyperParameterTuningJob", "error", 1)
    emu.inject_fault("s3:PUT", "throttle", 1)
    retried: list[BaseException] = []
    backend = SageMakerBackend(retry=RetryPolicy(sleep=lambda _: None),
                               on_retry=retried.append)
    status = run_native(example_spec(max_trials=3), tmp_path / "study",
                        poll_interval=0.05, backend=backend, echo=lambda _: None)
    assert status.state == "completed"
    stats = emu.stats()
    assert stats["faults_pending"] == []
    assert stats["calls"]["CreateHyperParameterTuningJob"] == 3
    assert len(retried) == 5
    jobs = emu.client("sagemaker").list_hyper_parameter_tuning_jobs(MaxResults=100)
    name = split_handle(Store.open(tmp_path / "study").get_meta("native_handle"))[0]
    assert [j["HyperParameterTuningJobName"] for j in
            jobs["HyperParameterTuningJobSummaries"]].count(name) == 1


def test_a_create_that_finds_its_own_job_accepts_it(emu, tmp_path):
    spec = example_spec(max_trials=3, max_parallel=1)
    backend = fast_backend()
    compiled = backend.compile(spec)
    submitted = backend.submit(spec, compiled)
    first = submitted.handle
    # The same request again, as after a create whose answer was lost: ResourceInUse,
    # then Describe shows our definition, so the job is ours.
    assert submitted.notes == ()
    again = backend.submit(spec, compiled)
    assert again.handle == first
    assert emu.stats()["calls"]["CreateHyperParameterTuningJob"] == 2
    # The user is told the job was found, not created (run prints it as a note).
    name = first.partition("@")[0]
    assert list(again.notes) == [
        f"tuning job {name} already exists from this same request: following it"
        " (set backends.sagemaker.job_name to start a new one)"
    ]
    backend.cancel_job(first)


def test_a_same_named_job_with_another_definition_is_refused(emu, tmp_path):
    backend = fast_backend()
    spec_a = example_spec(max_trials=3, max_parallel=1)
    spec_b = example_spec(max_trials=4, max_parallel=1)
    named = {"job_name": "fixed-name-job"}
    spec_a, spec_b = (s.model_copy(update={"backends": {"sagemaker": s.backends[
        "sagemaker"].model_copy(update=named)}}) for s in (spec_a, spec_b))
    handle = backend.submit(spec_a, backend.compile(spec_a)).handle
    with pytest.raises(BackendError, match="already exists with a different"
                                           " HyperParameterTuningJobConfig"):
        backend.submit(spec_b, backend.compile(spec_b))
    backend.cancel_job(handle)


def test_an_access_error_is_not_retried_and_names_the_fix(emu, tmp_path):
    emu.inject_fault("DescribeHyperParameterTuningJob", "deny", 5)
    waits: list[float] = []
    retried: list[BaseException] = []
    backend = SageMakerBackend(retry=RetryPolicy(sleep=waits.append), on_retry=retried.append)
    with pytest.raises(BackendError) as info:
        backend.job_status("some-job")
    assert str(info.value).startswith(
        "sagemaker: access denied for sagemaker describe_hyper_parameter_tuning_job: User: ")
    assert "sagemaker:DescribeHyperParameterTuningJob" in str(info.value)
    assert str(info.value).endswith("(check the credentials' IAM permissions)")
    assert emu.stats()["calls"] == {"DescribeHyperParameterTuningJob": 1}
    assert waits == [] and retried == []


def test_a_denied_create_is_not_retried_and_starts_no_job(emu, tmp_path):
    def jobs() -> int:
        listing = emu.client("sagemaker").list_hyper_parameter_tuning_jobs(MaxResults=100)
        return len(listing["HyperParameterTuningJobSummaries"])

    before = jobs()
    emu.inject_fault("CreateHyperParameterTuningJob", "deny", 5)
    spec = example_spec(max_trials=2, max_parallel=2)
    backend = fast_backend()
    with pytest.raises(BackendError, match="access denied .*IAM permissions"):
        backend.submit(spec, backend.compile(spec))
    assert emu.stats()["calls"]["CreateHyperParameterTuningJob"] == 1
    assert jobs() == before


def test_missing_credentials_is_one_clear_message(aws_env):
    aws_env.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with pytest.raises(BackendError) as info:
        SageMakerBackend().job_status("some-job")
    assert str(info.value) == (
        "sagemaker: no AWS credentials found: run `aws configure`, set AWS_ACCESS_KEY_ID and"
        " AWS_SECRET_ACCESS_KEY, or choose a profile with AWS_PROFILE")


def test_missing_region_is_one_clear_message(aws_env):
    aws_env.setenv("AWS_ACCESS_KEY_ID", "testing")
    aws_env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with pytest.raises(BackendError, match="no AWS region: set backends.sagemaker.region"):
        SageMakerBackend().job_status("some-job")
