"""One Google tuning job (Vertex AI or AI Platform) as the host of an emulated tuning run.

hpo-bridge's core runs the trials under the `vertex` trial contract (`--name=value`,
CLOUD_ML_TRIAL_ID, TF_CONFIG with the trial id, AIP_* folders, the cloudml-hypertune
file); the run's events become the job's trials: their states, one measurement per
objective report (step = the report's number, elapsed time since the trial started,
with every metric's latest value), start and end times. When a trial ends, its output
folders are copied to Cloud Storage where the API says outputs go (Vertex:
`<baseOutputDirectory>/<trial id>/{model,checkpoints,logs}/`; AI Platform:
`<jobDir>/<trial id>/`). The run's outcome becomes the job's state and error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hpo_bridge_localstack.framework.tuning_run import (
    CLIENT,
    FAILED,
    FINISHED,
    RunOutcome,
    TuningHost,
)
from hpo_bridge_localstack.gcp import jobs
from hpo_bridge_localstack.gcp.jobs import Measurement, TrialRecord, TuningJob

if TYPE_CHECKING:
    from hpo_bridge.core.events import StudyEvent
    from hpo_bridge.spec import TuningSpec
    from hpo_bridge_localstack.gcp.storage import Storage

log = logging.getLogger(__name__)

# google.rpc.Code of a failed or cancelled job (the `error` a job carries).
CODE_CANCELLED, CODE_INVALID_ARGUMENT, CODE_INTERNAL, CODE_FAILED_PRECONDITION = 1, 3, 13, 9


class JobBook(Protocol):
    """What the host needs of the API it serves."""

    storage: Storage

    def run_finished(self, job: TuningJob) -> None: ...


class GoogleTuningHost(TuningHost):
    def __init__(self, book: JobBook, job: TuningJob, build: Callable[[Path], TuningSpec],
                 outputs: Callable[[int], list[tuple[str, str]]] | None = None,
                 resume: dict[str, Any] | None = None) -> None:
        self.book = book
        self.job = job
        self.build = build  # work dir -> the spec to run (raises RunRejected)
        self.outputs = outputs  # trial id -> [(folder in the trial's, gs:// prefix)]
        self.resume = resume or {}
        self.study_dir: Path | None = None

    def prepare(self, work_dir: Path) -> TuningSpec:
        self.study_dir = work_dir / "study"
        now = time.time()
        with self.job.lock:
            if self.job.state == jobs.PENDING:
                self.job.state, self.job.started = jobs.RUNNING, now
                self.job.touch(now)
        return self.build(work_dir)

    def tuner_options(self) -> dict[str, Any]:
        return dict(self.resume)

    # -- study events -> trials --------------------------------------------------------------
    def on_event(self, event: StudyEvent) -> None:
        from hpo_bridge.core.events import MetricReported, TrialCreated, TrialStatusChanged
        from hpo_bridge.core.trial import is_valid_number

        now = time.time()
        with self.job.lock:
            self.job.touch(now)
            if isinstance(event, TrialCreated):
                self.job.trials[event.trial_id] = TrialRecord(event.trial_id,
                                                              dict(event.params), now)
                return
            trial = self.job.trials.get(getattr(event, "trial_id", -1))
            if trial is None:
                return
            if isinstance(event, MetricReported) and is_valid_number(event.value):
                trial.latest[event.name] = float(event.value)
                if event.name == self.job.objective:
                    elapsed = now - (trial.started or now)
                    trial.measurements.append(Measurement(len(trial.measurements) + 1,
                                                          elapsed, dict(trial.latest)))
                elif trial.measurements:  # other metrics join the latest measurement
                    trial.measurements[-1].metrics[event.name] = float(event.value)
            elif isinstance(event, TrialStatusChanged):
                if event.status.value == "running":
                    trial.status, trial.started = jobs.ACTIVE, now
                elif event.status.terminal:
                    trial.status, trial.ended, trial.reason = \
                        event.status.value, now, event.reason
        if isinstance(event, TrialStatusChanged) and event.status.terminal:
            self._copy_outputs(event.trial_id)

    def _copy_outputs(self, trial_id: int) -> None:
        if self.outputs is None or self.study_dir is None:
            return
        folder = self.study_dir / "trials" / str(trial_id)
        for relative, uri in self.outputs(trial_id):
            source = folder / relative
            if source.is_dir():
                try:
                    self.book.storage.upload_tree(source, uri)
                except Exception:  # outputs are best effort: the trial's result stands
                    log.exception("could not copy %s to %s", source, uri)

    # -- the end -----------------------------------------------------------------------------
    def job_ended(self, outcome: RunOutcome) -> None:
        now = time.time()
        job = self.job
        try:
            with job.lock:
                for trial in job.trials.values():
                    if not trial.done:
                        trial.status, trial.ended = "cancelled", now
                if outcome.status == FINISHED:
                    job.state = jobs.SUCCEEDED
                elif outcome.status == FAILED:
                    job.state = jobs.FAILED
                    job.error = outcome.reason or "the job failed"
                    job.error_code = (CODE_INVALID_ARGUMENT if outcome.cause == CLIENT
                                      else CODE_INTERNAL if outcome.cause
                                      else CODE_FAILED_PRECONDITION)
                else:
                    job.state = jobs.CANCELLED
                    job.error = "CANCELED"
                    job.error_code = CODE_CANCELLED
                job.ended = now
                job.touch(now)
        finally:
            self.book.run_finished(job)
