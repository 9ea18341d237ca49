"""The emulator's jobs, shared by the APIs that serve them, and how a job is run."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge_localstack.framework.tuning_run import EmulatedTuningRun, RunRejected
from hpo_bridge_localstack.gcp import jobs
from hpo_bridge_localstack.gcp.jobs import TuningJob
from hpo_bridge_localstack.gcp.packages import PackageError, Program, fetch
from hpo_bridge_localstack.gcp.runner import GoogleTuningHost
from hpo_bridge_localstack.gcp.storage import Storage

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

JOB_ID_BASE = 7_000_000_000_000_000_000  # Vertex's job ids are 19-digit numbers


class Book:
    """Every job by (api, project, location, id); runs them unless `run_jobs` is off."""

    def __init__(self, storage: Storage, work_dir: Path, run_jobs: bool = True) -> None:
        self.storage = storage
        self.work_dir = Path(work_dir)
        self.run_jobs = run_jobs
        self.lock = threading.RLock()
        self.jobs: dict[tuple[str, str, str, str], TuningJob] = {}
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return str(JOB_ID_BASE + next(self._ids))

    def add(self, job: TuningJob) -> None:
        with self.lock:
            self.jobs[job.key] = job

    def get(self, api: str, project: str, location: str, job_id: str) -> TuningJob | None:
        with self.lock:
            return self.jobs.get((api, project, location, job_id))

    def listed(self, api: str, project: str, location: str) -> list[TuningJob]:
        with self.lock:
            found = [j for j in self.jobs.values()
                     if j.key[:3] == (api, project, location)]
        return sorted(found, key=lambda j: (j.created, j.job_id))

    def remove(self, job: TuningJob) -> None:
        with self.lock:
            self.jobs.pop(job.key, None)

    def start(self, job: TuningJob, build: Callable[[Path, Program, list[Path]], TuningSpec],
              program: Program, outputs: Callable[[int], list[tuple[str, str]]] | None,
              resume: dict[str, Any] | None = None) -> None:
        """Run `job`: fetch its program's packages, build its spec, run the trials."""
        if not self.run_jobs:
            return
        folder = self.work_dir / job.api / job.project / job.job_id

        def prepare(work_dir: Path) -> TuningSpec:
            try:
                roots = fetch(program, self.storage, work_dir)
            except PackageError as exc:
                raise RunRejected(str(exc)) from None
            return build(work_dir, program, roots)

        host = GoogleTuningHost(self, job, prepare, outputs, resume)
        run = EmulatedTuningRun(host, folder, name=f"{job.api}-{job.job_id}")
        job.run = run
        run.start()

    def cancel(self, job: TuningJob) -> None:
        with job.lock:
            job.state = jobs.CANCELLING
            job.touch(time.time())
        if job.run is not None:
            job.run.request_stop("cancelled by the user")
        else:  # not running here (run_jobs off): cancelled at once
            with job.lock:
                job.state, job.ended = jobs.CANCELLED, time.time()
                job.error, job.error_code = "CANCELED", 1

    def run_finished(self, job: TuningJob) -> None:
        """The run ended (job_ended set the job's state)."""

    def close(self) -> None:
        """Stop every running job and wait for its trials to end."""
        with self.lock:
            runs = [j.run for j in self.jobs.values() if j.run is not None and j.run.alive]
        for run in runs:
            run.request_stop("the emulator is shutting down")
        for run in runs:
            run.join(timeout=60)
