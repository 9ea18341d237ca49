"""One SageMaker tuning job as the host of an emulated tuning run (framework/tuning_run.py).

Script mode as SageMaker runs it: the `sagemaker_submit_directory` tarball comes from S3
and is extracted, S3 channels are downloaded, and every training job runs
`python <sagemaker_program>` with its hyperparameters under the `sagemaker` trial contract.
The run's events become training-job states, each trial's output goes to CloudWatch Logs,
and its outcome the tuning job's status and FailureReason.

It knows the service only through `JobBook` (no import of service.py: the service imports
this module, not the other way round).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hpo_bridge_localstack.aws.clients import internal_client
from hpo_bridge_localstack.aws.sagemaker.jobs import (
    ACTIVE,
    COMPLETED,
    FAILED,
    STOPPED,
    TrainingJob,
    TuningJob,
    training_job_arn,
    training_job_name,
)
from hpo_bridge_localstack.aws.sagemaker.logs import LogShipper, stream_name
from hpo_bridge_localstack.aws.sagemaker.storage import (
    StorageError,
    channel_uris,
    fetch_channel,
    fetch_code,
)
from hpo_bridge_localstack.aws.sagemaker.translate import build_spec, unquote
from hpo_bridge_localstack.framework.tuning_run import (
    CLIENT,
    FINISHED,
    INTERNAL,
    RunOutcome,
    RunRejected,
    TuningHost,
)
from hpo_bridge_localstack.framework.tuning_run import FAILED as RUN_FAILED
from hpo_bridge_localstack.framework.tuning_run import STOPPED as RUN_STOPPED

if TYPE_CHECKING:
    from hpo_bridge.core.events import StudyEvent
    from hpo_bridge.spec import TuningSpec

log = logging.getLogger(__name__)

# Core trial status -> (TrainingJobStatus, SecondaryStatus)
FINAL_STATUS = {
    "completed": (COMPLETED, "Completed"),
    "stopped": (STOPPED, "Stopped"),  # early stopping by the tuning job
    "cancelled": (STOPPED, "Stopped"),
    "timeout": (STOPPED, "MaxRuntimeExceeded"),
    "failed": (FAILED, "Failed"),
}
JOB_STATUS = {FINISHED: COMPLETED, RUN_FAILED: FAILED, RUN_STOPPED: STOPPED}
FAILURE_PREFIX = {CLIENT: "ClientError: ", INTERNAL: "InternalServerError: "}


class JobBook(Protocol):
    """What the runner needs of the service: its endpoint, its lock, the job registry."""

    endpoint_url: str
    lock: threading.RLock

    def register_training_job(self, job: TrainingJob) -> None: ...

    def run_finished(self, job: TuningJob) -> None: ...


class SageMakerTuningHost(TuningHost):
    """Training jobs, logs and the final status of one tuning job."""

    def __init__(self, book: JobBook, job: TuningJob) -> None:
        self.book = book
        self.job = job
        self._by_trial: dict[int, TrainingJob] = {}
        self._shipper: LogShipper | None = None

    def _client(self, service: str) -> Any:
        return internal_client(service, self.book.endpoint_url, self.job.region,
                               self.job.account)

    # -- before the first trial --------------------------------------------------------------
    def prepare(self, work_dir: Path) -> TuningSpec:
        definition = self.job.definition
        given = definition.get("StaticHyperParameters") or {}
        statics = {k: unquote(v) for k, v in given.items()}
        program = statics.get("sagemaker_program")
        submit = statics.get("sagemaker_submit_directory")
        if not program or not submit:
            raise RunRejected("the emulator runs script mode only: set the static"
                              " hyperparameters sagemaker_program and"
                              " sagemaker_submit_directory (an s3:// tar.gz of the code)")
        s3 = self._client("s3")
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
        self._shipper = LogShipper(self._client("logs"))
        return build_spec(self.job.request, definition, code_dir, inputs)

    def trial_environment(self, trial_id: int, env: dict[str, str]) -> dict[str, str]:
        """Each trial learns its real training job name, as in SageMaker."""
        training = self._by_trial.get(trial_id)
        if training is not None:
            env["TRAINING_JOB_NAME"] = training.name
            if "SM_TRAINING_ENV" in env:
                training_env = json.loads(env["SM_TRAINING_ENV"])
                training_env["job_name"] = training.name
                env["SM_TRAINING_ENV"] = json.dumps(training_env)
        return env

    # -- study events -> training jobs ---------------------------------------------------------
    def on_event(self, event: StudyEvent) -> None:
        from hpo_bridge.contracts.base import format_value
        from hpo_bridge.core.events import MetricReported, TrialCreated, TrialStatusChanged
        from hpo_bridge.core.trial import is_valid_number

        now = time.time()
        if isinstance(event, TrialCreated):
            name = training_job_name(self.job.name, event.trial_id)
            training = TrainingJob(
                name=name,
                arn=training_job_arn(self.job.region, self.job.account, name),
                index=event.trial_id,
                tuning_job=self.job,
                tuned={k: format_value(v) for k, v in event.params.items()},
                created=now,
                trial_id=event.trial_id,
            )
            self._by_trial[event.trial_id] = training
            self.book.register_training_job(training)
            return
        found = self._by_trial.get(getattr(event, "trial_id", -1))
        if found is None:
            return
        with self.book.lock:
            self.job.modified = now
            if isinstance(event, MetricReported) and is_valid_number(event.value):
                found.metrics[event.name] = (float(event.value), now)
                found.modified = now
            elif isinstance(event, TrialStatusChanged):
                self._status_changed(found, event.status.value, event.reason, now)

    def _status_changed(
        self, training: TrainingJob, status: str, reason: str | None, now: float
    ) -> None:
        if status == "running":
            training.mark_training(now)
            training.log_stream = stream_name(training.name, now)
            return
        if status not in FINAL_STATUS:
            return
        job_status, secondary = FINAL_STATUS[status]
        if status in ("completed", "stopped"):
            value = training.metrics.get(self.job.objective_metric)
            training.objective = value[0] if value else None
        failure = f"AlgorithmError: {reason}" if job_status == FAILED and reason else None
        training.finish(job_status, secondary, now, failure)

    # -- logs --------------------------------------------------------------------------------
    def on_output(self, trial_id: int, lines: list[str]) -> None:
        training = self._by_trial.get(trial_id)
        if training is None or self._shipper is None:
            return
        if training.log_stream is None:
            training.log_stream = stream_name(training.name, training.created)
        for line in lines:
            self._shipper.add(training.log_stream, line)

    def on_step(self) -> None:
        if self._shipper is None:
            return
        try:
            self._shipper.flush()
        except Exception:  # logs are best effort: a job must not fail for them
            log.exception("could not write logs of %s", self.job.name)

    # -- the end -----------------------------------------------------------------------------
    def job_ended(self, outcome: RunOutcome) -> None:
        now = time.time()
        status = JOB_STATUS[outcome.status]
        reason = None
        if status == FAILED and outcome.reason:
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
            self.book.run_finished(self.job)
