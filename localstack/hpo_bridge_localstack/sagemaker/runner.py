"""One tuning job, run in a background thread by hpo-bridge's own core.

Script mode as SageMaker runs it: the `sagemaker_submit_directory` tarball comes from S3
and is extracted, S3 channels are downloaded, and every training job runs
`python <sagemaker_program>` with its hyperparameters under the `sagemaker` trial contract
(process executor). The core's Tuner picks configurations and stops trials; its events
become training-job states, and each trial's output goes to CloudWatch Logs.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge_localstack.aws.clients import internal_client
from hpo_bridge_localstack.sagemaker.jobs import (
    ACTIVE,
    COMPLETED,
    FAILED,
    STOPPED,
    TrainingJob,
    TuningJob,
    training_job_arn,
    training_job_name,
)
from hpo_bridge_localstack.sagemaker.logs import LogShipper, stream_name
from hpo_bridge_localstack.sagemaker.storage import (
    StorageError,
    channel_uris,
    fetch_channel,
    fetch_code,
)
from hpo_bridge_localstack.sagemaker.tail import OutputTail
from hpo_bridge_localstack.sagemaker.translate import build_spec, unquote

if TYPE_CHECKING:
    from hpo_bridge.core.events import StudyEvent
    from hpo_bridge.core.tuner import Tuner
    from hpo_bridge_localstack.sagemaker.service import SageMakerService

log = logging.getLogger(__name__)
POLL_INTERVAL = 0.2  # seconds the tuner waits for trial events before checking for stops

# Core trial status -> (TrainingJobStatus, SecondaryStatus)
FINAL_STATUS = {
    "completed": (COMPLETED, "Completed"),
    "stopped": (STOPPED, "Stopped"),  # early stopping by the tuning job
    "cancelled": (STOPPED, "Stopped"),
    "timeout": (STOPPED, "MaxRuntimeExceeded"),
    "failed": (FAILED, "Failed"),
}
STUDY_STATUS = {"finished": COMPLETED, "failed": FAILED, "cancelled": STOPPED}


class TuningRun:
    """Runs one tuning job; `request_stop` and `request_trial_stop` come from API threads."""

    def __init__(self, service: SageMakerService, job: TuningJob, job_dir: Path) -> None:
        self.service = service
        self.job = job
        self.job_dir = job_dir
        self._thread = threading.Thread(target=self._main, name=f"tuning-{job.name}", daemon=True)
        self._stop_reason: str | None = None
        self._trial_stops: queue.SimpleQueue[int] = queue.SimpleQueue()
        self._by_trial: dict[int, TrainingJob] = {}
        self._tail: OutputTail | None = None
        self._shipper: LogShipper | None = None

    # -- called from other threads ---------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def request_stop(self, reason: str) -> None:
        self._stop_reason = self._stop_reason or reason

    def request_trial_stop(self, trial_id: int) -> None:
        self._trial_stops.put(trial_id)

    # -- the job's thread ------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self._run()
        except Exception as exc:  # the job fails; the emulator goes on serving
            log.exception("tuning job %s failed", self.job.name)
            self._end_job(FAILED, f"InternalServerError: {type(exc).__name__}: {exc}")
        finally:
            self.service.run_finished(self.job)

    def _client(self, service: str) -> Any:
        return internal_client(service, self.service.endpoint_url, self.job.region,
                               self.job.account)

    def _run(self) -> None:
        definition = self.job.definition
        given = definition.get("StaticHyperParameters") or {}
        statics = {k: unquote(v) for k, v in given.items()}
        program = statics.get("sagemaker_program")
        submit = statics.get("sagemaker_submit_directory")
        if not program or not submit:
            self._end_job(FAILED, "ClientError: the emulator runs script mode only: set the"
                          " static hyperparameters sagemaker_program and"
                          " sagemaker_submit_directory (an s3:// tar.gz of the code)")
            return
        s3 = self._client("s3")
        try:
            code_dir = fetch_code(s3, submit, self.job_dir / "code")
            inputs = {
                channel: str(fetch_channel(s3, uri, self.job_dir / "data" / channel))
                for channel, uri in channel_uris(definition).items()
            }
        except StorageError as exc:
            self._end_job(FAILED, f"ClientError: {exc}")
            return
        if not (code_dir / program).is_file():
            self._end_job(FAILED, f"ClientError: sagemaker_program {program} is not in"
                          f" {submit}")
            return
        if self._stop_reason is not None:
            self._end_job(STOPPED)
            return
        self._shipper = LogShipper(self._client("logs"))
        from hpo_bridge.contracts.base import ContractError
        from hpo_bridge.spec import SpecError

        try:
            tuner = self._tuner(build_spec(self.job.request, definition, code_dir, inputs))
        except (SpecError, ContractError) as exc:  # what the user's request or code got wrong
            self._end_job(FAILED, f"ClientError: {' '.join(str(exc).splitlines())}")
            return
        try:
            self._drive(tuner)
        finally:
            tuner.executor.close()
            self._ship_logs(final=True)
        ended = tuner.ended
        assert ended is not None
        with self.service.lock:
            self.job.not_improving = tuner.progress.since_improvement
        status = STUDY_STATUS.get(ended.status, COMPLETED)
        if self._stop_reason is not None:
            status = STOPPED
        self._end_job(status, ended.reason if status == FAILED else None)

    def _tuner(self, spec: Any) -> Tuner:
        from hpo_bridge.core.tuner import Tuner
        from hpo_bridge.plugins import registry

        reg = registry()
        searcher = reg.require("searchers", spec.strategy.algorithm).create(spec)
        policy = spec.early_stopping.resolved().policy
        rule = None if policy == "none" else reg.require("stopping_rules", policy).create(spec)
        study_dir = self.job_dir / "study"
        contract = _named_contract(reg, self._training_job_name)
        executor = reg.require("executors", "process").create(
            spec, study_dir=study_dir, contract=contract
        )
        self._tail = OutputTail(study_dir)
        return Tuner(spec, searcher, executor, rule=rule, sink=self._on_event,
                     poll_interval=POLL_INTERVAL)

    def _drive(self, tuner: Tuner) -> None:
        from hpo_bridge.core.trial import TrialStatus

        while True:
            if self._stop_reason is not None:
                tuner.cancel(self._stop_reason)
                return
            while not self._trial_stops.empty():
                trial_id = self._trial_stops.get()
                tuner.executor.stop(trial_id, "Stopped by StopTrainingJob", TrialStatus.CANCELLED)
            if not tuner.step():
                return
            self._ship_logs()

    def _training_job_name(self, trial_id: int) -> str | None:
        training = self._by_trial.get(trial_id)
        return training.name if training else None

    # -- tuner events -> training jobs -------------------------------------------------------
    def _on_event(self, event: StudyEvent) -> None:
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
            self.service.register_training_job(training)
            return
        training = self._by_trial.get(getattr(event, "trial_id", -1))
        if training is None:
            return
        with self.service.lock:
            self.job.modified = now
            if isinstance(event, MetricReported) and is_valid_number(event.value):
                training.metrics[event.name] = (float(event.value), now)
                training.modified = now
            elif isinstance(event, TrialStatusChanged):
                self._status_changed(training, event.status.value, event.reason, now)

    def _status_changed(
        self, training: TrainingJob, status: str, reason: str | None, now: float
    ) -> None:
        if status == "running":
            training.mark_training(now)
            training.log_stream = stream_name(training.name, now)
            return
        if status not in FINAL_STATUS:
            return
        self._ship_trial_logs(training, final=True)
        job_status, secondary = FINAL_STATUS[status]
        if status in ("completed", "stopped"):
            value = training.metrics.get(self.job.objective_metric)
            training.objective = value[0] if value else None
        failure = f"AlgorithmError: {reason}" if job_status == FAILED and reason else None
        training.finish(job_status, secondary, now, failure)

    # -- logs ------------------------------------------------------------------------------
    def _ship_trial_logs(self, training: TrainingJob, final: bool) -> None:
        if self._tail is None or self._shipper is None or training.trial_id is None:
            return
        if training.log_stream is None:
            training.log_stream = stream_name(training.name, training.created)
        for line in self._tail.read(training.trial_id, final):
            self._shipper.add(training.log_stream, line)

    def _ship_logs(self, final: bool = False) -> None:
        for training in list(self._by_trial.values()):
            if training.status in ACTIVE or final:
                self._ship_trial_logs(training, final)
        if self._shipper is not None:
            try:
                self._shipper.flush()
            except Exception:  # logs are best effort: a job must not fail for them
                log.exception("could not write logs of %s", self.job.name)

    # -- the end ---------------------------------------------------------------------------
    def _end_job(self, status: str, reason: str | None = None) -> None:
        now = time.time()
        with self.service.lock:
            for training in self.job.training_jobs:
                if training.status in ACTIVE:
                    training.finish(STOPPED, "Stopped", now)
            self.job.status = status
            self.job.ended = now
            self.job.modified = now
            if reason:
                self.job.failure_reason = reason[:1024]


def _named_contract(reg: Any, name_of: Any) -> Any:
    """The `sagemaker` contract, telling each trial its real training job name."""
    base = reg.require("contracts", "sagemaker").load()

    class NamedTrainingJobs(base):  # type: ignore[misc, valid-type]
        def environment(self, ctx: Any) -> dict[str, str]:
            env = super().environment(ctx)
            name = name_of(ctx.trial_id)
            if name:
                env["TRAINING_JOB_NAME"] = name
                if "SM_TRAINING_ENV" in env:
                    training_env = json.loads(env["SM_TRAINING_ENV"])
                    training_env["job_name"] = name
                    env["SM_TRAINING_ENV"] = json.dumps(training_env)
            return env

    return NamedTrainingJobs()
