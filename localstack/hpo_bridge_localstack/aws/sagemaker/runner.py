"""One SageMaker tuning job as the host of an emulated tuning run (framework/tuning_run.py).

Script mode as SageMaker runs it: the `sagemaker_submit_directory` tarball comes from S3
and is extracted, S3 channels are downloaded, and every training job runs
`python <sagemaker_program>` with its hyperparameters under the `sagemaker` trial contract.
Each trial is a training job kept by a TrainingJobFollower (training.py: statuses, logs,
metrics, artifacts); the run's outcome becomes the tuning job's status and FailureReason.

SageMaker's failure rule, not the core's: when the first MAX_ATTEMPTS training jobs to end
all failed (none produced an objective value), the tuning job fails with SageMaker's
message; once one succeeded, later failures only use up the training job budget.

It knows the service only through `JobBook` (no import of service.py: the service imports
this module, not the other way round).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hpo_bridge_localstack.aws.sagemaker.jobs import (
    ACTIVE,
    COMPLETED,
    FAILED,
    STOPPED,
    training_job_arn,
    training_job_name,
)
from hpo_bridge_localstack.aws.sagemaker.storage import (
    StorageError,
    channel_uris,
    fetch_channel,
    fetch_code,
)
from hpo_bridge_localstack.aws.sagemaker.training import (
    AwsOutputs,
    TrainingJobFollower,
    TrialFolders,
)
from hpo_bridge_localstack.aws.sagemaker.training_job import TrainingJob
from hpo_bridge_localstack.aws.sagemaker.translate import build_spec, unquote
from hpo_bridge_localstack.aws.sagemaker.tuning_job import TuningJob
from hpo_bridge_localstack.framework.tuning_run import (
    CLIENT,
    FINISHED,
    INTERNAL,
    EmulatedTuningRun,
    RunOutcome,
    RunRejected,
    TuningHost,
)
from hpo_bridge_localstack.framework.tuning_run import FAILED as RUN_FAILED
from hpo_bridge_localstack.framework.tuning_run import STOPPED as RUN_STOPPED

if TYPE_CHECKING:
    from hpo_bridge.core.events import StudyEvent
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.spec import TuningSpec

JOB_STATUS = {FINISHED: COMPLETED, RUN_FAILED: FAILED, RUN_STOPPED: STOPPED}
FAILURE_PREFIX = {CLIENT: "ClientError: ", INTERNAL: "InternalServerError: "}
MAX_ATTEMPTS = 5  # training jobs that may fail before the first success


def no_success_reason(attempts: int) -> str:
    return (f"No training job succeeded after {attempts} attempts. Please take a look at"
            " the training job failures to get more details.")


class JobBook(Protocol):
    """What the runner needs of the service: its endpoint, its lock, the job registry."""

    endpoint_url: str
    lock: threading.RLock

    def register_training_job(self, job: TrainingJob) -> None: ...

    def run_finished(self, job: TuningJob) -> None: ...


def fetch_inputs(s3: Any, definition: dict[str, Any], program: str | None,
                 submit: str | None, work_dir: Path) -> tuple[Path, dict[str, str]]:
    """Script mode's code folder and the S3 channels, downloaded under `work_dir`."""
    if not program or not submit:
        raise RunRejected("the emulator runs script mode only: set the hyperparameters"
                          " sagemaker_program and sagemaker_submit_directory (an s3://"
                          " tar.gz of the code)")
    try:
        code_dir = fetch_code(s3, submit, work_dir / "code")
        inputs = {
            channel: str(fetch_channel(s3, uri, work_dir / "data" / channel))
            for channel, uri in channel_uris(definition).items()
        }
    except StorageError as exc:
        raise RunRejected(str(exc)) from None
    if not (code_dir / program).is_file():
        raise RunRejected(f"sagemaker_program {program} is not in {submit}")
    return code_dir, inputs


def name_job(env: dict[str, str], name: str) -> dict[str, str]:
    """Each trial learns its real training job name, as in SageMaker."""
    env["TRAINING_JOB_NAME"] = name
    if "SM_TRAINING_ENV" in env:
        training_env = json.loads(env["SM_TRAINING_ENV"])
        training_env["job_name"] = name
        env["SM_TRAINING_ENV"] = json.dumps(training_env)
    return env


class SageMakerTuningHost(TuningHost):
    """Training jobs, logs, metrics and the final status of one tuning job."""

    def __init__(self, book: JobBook, job: TuningJob,
                 priors: Sequence[Trial] = ()) -> None:
        self.book = book
        self.job = job
        self.priors = list(priors)
        self.run: EmulatedTuningRun | None = None
        self.outputs = AwsOutputs(book.endpoint_url, job.region, job.account)
        self._followers: dict[int, TrainingJobFollower] = {}
        self._succeeded = 0
        self._failed = 0
        self._failure: str | None = None  # SageMaker's rule ended the job

    def start(self, work_dir: Path, name: str) -> EmulatedTuningRun:
        self.run = EmulatedTuningRun(self, work_dir, name=name)
        return self.run.start()

    # -- before the first trial --------------------------------------------------------------
    def prepare(self, work_dir: Path) -> TuningSpec:
        definition = self.job.definition
        statics = definition.get("StaticHyperParameters") or {}
        program = statics.get("sagemaker_program")
        submit = statics.get("sagemaker_submit_directory")
        code_dir, inputs = fetch_inputs(
            self.outputs.s3, definition, program and unquote(program),
            submit and unquote(submit), work_dir)
        return build_spec(self.job.request, definition, code_dir, inputs)

    def prior_trials(self) -> Sequence[Trial]:
        return self.priors

    def trial_environment(self, trial_id: int, env: dict[str, str]) -> dict[str, str]:
        follower = self._followers.get(trial_id)
        if follower is None:
            return env
        follower.folders = TrialFolders.from_environment(env)
        return name_job(env, follower.job.name)

    # -- study events -> training jobs ---------------------------------------------------------
    def on_event(self, event: StudyEvent) -> None:
        from hpo_bridge.contracts.base import format_value
        from hpo_bridge.core.events import MetricReported, TrialCreated, TrialStatusChanged
        from hpo_bridge.core.trial import is_valid_number

        now = time.time()
        if isinstance(event, TrialCreated):
            name = training_job_name(self.job.name, event.trial_id)
            tuned = {k: format_value(v) for k, v in event.params.items()}
            training = TrainingJob(
                name=name,
                arn=training_job_arn(self.job.region, self.job.account, name),
                region=self.job.region,
                account=self.job.account,
                definition=self.job.training_definition(tuned),
                created=now,
                tuning_job=self.job,
                index=event.trial_id,
                tuned=tuned,
                trial_id=event.trial_id,
                tags=self.job.tags,
            )
            self._followers[event.trial_id] = TrainingJobFollower(
                training, self.outputs, self.book.lock, self.job.objective_metric)
            self.book.register_training_job(training)
            return
        follower = self._followers.get(getattr(event, "trial_id", -1))
        if follower is None:
            return
        with self.book.lock:
            self.job.modified = now
        if isinstance(event, MetricReported) and is_valid_number(event.value):
            follower.metric(event.name, float(event.value), now)
        elif isinstance(event, TrialStatusChanged):
            status = event.status.value
            if status == "running":
                follower.started(now)
            elif event.status.terminal:
                follower.ended(status, event.reason, event.exit_code, now)
                self._count(follower.job)

    def _count(self, training: TrainingJob) -> None:
        if training.objective_status == "Succeeded":
            self._succeeded += 1
        elif training.status != STOPPED:  # stopped on request or early: not a failure
            self._failed += 1
        if self._succeeded == 0 and self._failed >= MAX_ATTEMPTS and self._failure is None:
            self._failure = no_success_reason(self._failed)
            if self.run is not None:
                self.run.request_stop(self._failure)

    # -- logs and metrics --------------------------------------------------------------------
    def on_output(self, trial_id: int, lines: list[str]) -> None:
        follower = self._followers.get(trial_id)
        if follower is not None:
            follower.output(lines, time.time())

    def on_step(self) -> None:
        self.outputs.flush()

    # -- the end -----------------------------------------------------------------------------
    def job_ended(self, outcome: RunOutcome) -> None:
        now = time.time()
        status = JOB_STATUS[outcome.status]
        reason = None
        if self._failure is not None:
            status, reason = FAILED, self._failure
        elif status == FAILED and outcome.cause is None and self._succeeded == 0:
            reason = no_success_reason(self._failed)  # every training job failed
        elif status == FAILED and outcome.reason:
            reason = FAILURE_PREFIX.get(outcome.cause or "", "") + outcome.reason
        try:
            with self.book.lock:
                for training in self.job.training_jobs:
                    if training.status in ACTIVE:
                        training.finish(STOPPED, "Stopped", now)
                self.job.not_improving = outcome.since_improvement
                self.job.status = status
                self.job.ended = now
                self.job.modified = now
                if reason:
                    self.job.failure_reason = reason[:1024]
        finally:
            self.outputs.flush()
            self.book.run_finished(self.job)
