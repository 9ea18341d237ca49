"""One CreateTrainingJob: the job's script run once under the `sagemaker` contract, in a
background thread, with the same logs, metrics, statuses and artifacts as a tuning job's
training jobs (training.py).

The trial runs on hpo-bridge's process executor directly (not a Tuner: a training job has
no search and is not judged by an objective): StoppingCondition.MaxRuntimeInSeconds ends
it as MaxRuntimeExceeded, StopTrainingJob as Stopped (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any, Protocol

from hpo_bridge_localstack.aws.sagemaker.jobs import ACTIVE, FAILED, STOPPED
from hpo_bridge_localstack.aws.sagemaker.runner import fetch_inputs, name_job
from hpo_bridge_localstack.aws.sagemaker.training import (
    AwsOutputs,
    TrainingJobFollower,
    TrialFolders,
)
from hpo_bridge_localstack.aws.sagemaker.training_job import DEFAULT_MAX_RUNTIME, TrainingJob
from hpo_bridge_localstack.aws.sagemaker.translate import build_training_spec, unquote
from hpo_bridge_localstack.framework.output import OutputTail
from hpo_bridge_localstack.framework.tuning_run import RunRejected, hosted_contract

log = logging.getLogger(__name__)

TRIAL_ID = 1
POLL_INTERVAL = 0.2  # seconds between looks at the trial (stop requests, the deadline)
STUDY_DIR = "study"


class TrainingBook(Protocol):
    endpoint_url: str
    lock: threading.RLock

    def training_run_finished(self, job: TrainingJob) -> None: ...


class TrainingRun:
    """Runs one training job; `request_stop` is for the API's threads."""

    def __init__(self, book: TrainingBook, job: TrainingJob, work_dir: Path) -> None:
        self.book = book
        self.job = job
        self.work_dir = Path(work_dir)
        self.outputs = AwsOutputs(book.endpoint_url, job.region, job.account)
        self.follower = TrainingJobFollower(job, self.outputs, book.lock)
        self._stop_reason: str | None = None
        self._thread = threading.Thread(target=self._main, name=f"training-{job.name}",
                                        daemon=True)

    def start(self) -> TrainingRun:
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def request_stop(self, reason: str) -> None:
        self._stop_reason = self._stop_reason or reason

    # -- the run's thread ------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self._run()
        except RunRejected as exc:
            self._fail(f"ClientError: {exc}")
        except Exception as exc:  # the job fails; the emulator goes on serving
            log.exception("training job %s failed", self.job.name)
            self._fail(f"InternalServerError: {type(exc).__name__}: {exc}")
        finally:
            self.outputs.flush()
            self.book.training_run_finished(self.job)

    def _fail(self, reason: str) -> None:
        with self.book.lock:
            if self.job.status in ACTIVE:
                final = STOPPED if self._stop_reason else FAILED
                self.job.finish(final, final, time.time(),
                                None if final == STOPPED else reason)

    def _run(self) -> None:
        from hpo_bridge.contracts.base import ContractError
        from hpo_bridge.core.events import MetricReported, TrialFinished, TrialStarted
        from hpo_bridge.core.trial import Trial, TrialStatus, is_valid_number
        from hpo_bridge.spec import SpecError
        from hpo_bridge.tuning import build_contract, build_executor

        hyperparameters = self.job.hyperparameters
        program = hyperparameters.get("sagemaker_program")
        submit = hyperparameters.get("sagemaker_submit_directory")
        code_dir, inputs = fetch_inputs(
            self.outputs.s3, self.job.definition, program and unquote(program),
            submit and unquote(submit), self.work_dir)
        if self._stop_reason is not None:
            return self._fail(self._stop_reason)
        study_dir = self.work_dir / STUDY_DIR
        try:
            spec = build_training_spec(self.job.name, self.job.definition, code_dir, inputs)
            contract = hosted_contract(build_contract(spec), self._environment)
            executor = build_executor(spec, "process", study_dir=study_dir, contract=contract)
        except (SpecError, ContractError) as exc:
            raise RunRejected(" ".join(str(exc).splitlines())) from None
        tail = OutputTail(study_dir)
        runtime = (self.job.definition.get("StoppingCondition") or {}).get(
            "MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME)
        try:
            executor.start(Trial(id=TRIAL_ID, params={}))
            deadline = time.monotonic() + runtime
            stopping = False
            finished: Any = None
            while finished is None:
                if not stopping and self._stop_reason is not None:
                    executor.stop(TRIAL_ID, self._stop_reason, TrialStatus.CANCELLED)
                    stopping = True
                elif not stopping and time.monotonic() >= deadline:
                    executor.stop(TRIAL_ID, "MaxRuntimeExceeded", TrialStatus.TIMEOUT)
                    stopping = True
                for event in executor.poll(POLL_INTERVAL):
                    now = time.time()
                    if isinstance(event, TrialStarted):
                        self.follower.started(now)
                    elif isinstance(event, MetricReported) and is_valid_number(event.value):
                        self.follower.metric(event.name, float(event.value), now)
                    elif isinstance(event, TrialFinished):
                        finished = event
                lines = tail.read(TRIAL_ID, final=finished is not None)
                if lines:
                    self.follower.output(lines, time.time())
                self.outputs.flush()
        finally:
            executor.close()
        self.follower.ended(finished.status.value, finished.reason, finished.exit_code,
                            time.time())

    def _environment(self, trial_id: int, env: dict[str, str]) -> dict[str, str]:
        self.follower.folders = TrialFolders.from_environment(env)
        return name_job(env, self.job.name)
