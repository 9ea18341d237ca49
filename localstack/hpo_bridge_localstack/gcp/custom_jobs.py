"""Vertex AI v1 custom jobs: one run of a program, no tuning (create, get, list, cancel,
delete). `CustomJob.from_local_script(...).run()` and the GAPIC client use these routes.

The program is what a tuning job's trial runs (packages.py): the first worker pool's Python
package, unpacked from Cloud Storage and run as `python -m <module> <args>` in its own
folder and process group, with AIP_MODEL_DIR, AIP_CHECKPOINT_DIR and AIP_TENSORBOARD_LOG_DIR
there (copied to `<baseOutputDirectory>/{model,checkpoints,logs}/` when it ends). Exit 0:
JOB_STATE_SUCCEEDED; otherwise JOB_STATE_FAILED with the end of its stderr.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.framework.http import Request, Response, json_response
from hpo_bridge_localstack.framework.routing import Router
from hpo_bridge_localstack.gcp import jobs
from hpo_bridge_localstack.gcp.book import Book
from hpo_bridge_localstack.gcp.errors import FailedPrecondition, InvalidArgument, NotFound
from hpo_bridge_localstack.gcp.packages import PackageError, fetch, from_worker_pool
from hpo_bridge_localstack.gcp.protos import compact, parse
from hpo_bridge_localstack.gcp.vertex_api import (
    BASE,
    JOB_STATES,
    _answering,
    _ints,
    _json_body,
    _operation,
    _ts,
)

OUTPUTS = {"AIP_MODEL_DIR": "model", "AIP_CHECKPOINT_DIR": "checkpoints",
           "AIP_TENSORBOARD_LOG_DIR": "logs"}
TAIL = 2000


@dataclass
class CustomJob:
    project: str
    location: str
    job_id: str
    request: dict[str, Any]
    created: float
    state: str = jobs.PENDING
    started: float | None = None
    ended: float | None = None
    error: str | None = None
    error_code: int = 0
    process: subprocess.Popen[bytes] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class CustomJobsApi:
    def __init__(self, book: Book) -> None:
        self.book = book
        self.jobs: dict[tuple[str, str, str], CustomJob] = {}
        self._threads: list[threading.Thread] = []

    def mount(self, router: Router) -> None:
        root = f"{BASE}/customJobs"
        for rule, handler, method, operation in (
            (root, self.create, "POST", "CreateCustomJob"),
            (root, self.list, "GET", "ListCustomJobs"),
            (f"{root}/<job>", self.get, "GET", "GetCustomJob"),
            (f"{root}/<job>:cancel", self.cancel, "POST", "CancelCustomJob"),
            (f"{root}/<job>", self.delete, "DELETE", "DeleteCustomJob"),
        ):
            router.route(rule, _answering(handler), methods=[method], operation=operation)

    # -- handlers ------------------------------------------------------------------------------
    def create(self, request: Request, project: str, location: str) -> Response:
        from google.cloud import aiplatform_v1

        body = compact(parse(aiplatform_v1.CustomJob, _json_body(request)))
        pools = (body.get("jobSpec") or {}).get("workerPoolSpecs") or []
        if not body.get("displayName") or not pools:
            raise InvalidArgument("displayName and jobSpec.workerPoolSpecs are required")
        try:
            program = from_worker_pool(pools[0])
        except PackageError as exc:
            raise InvalidArgument(str(exc)) from None
        job = CustomJob(project, location, self.book.new_id(), body, time.time())
        self.jobs[(project, location, job.job_id)] = job
        answer = self._answer(request, job)
        if self.book.run_jobs:
            thread = threading.Thread(target=self._run, args=(job, program), daemon=True,
                                      name=f"custom-{job.job_id}")
            self._threads.append(thread)
            thread.start()
        return answer

    def get(self, request: Request, project: str, location: str, job: str) -> Response:
        return self._answer(request, self._job(project, location, job))

    def list(self, request: Request, project: str, location: str) -> Response:
        found = sorted((j for k, j in self.jobs.items() if k[:2] == (project, location)),
                       key=lambda j: j.created)
        return json_response({"customJobs": [compact(self.render(j), _ints(request))
                                             for j in found]})

    def cancel(self, request: Request, project: str, location: str, job: str) -> Response:
        found = self._job(project, location, job)
        with found.lock:
            if found.state in jobs.ENDED:
                raise FailedPrecondition(f"Cannot cancel a job in state"
                                         f" {JOB_STATES[found.state]}")
            found.state = jobs.CANCELLING
            process = found.process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
        elif process is None:
            with found.lock:
                found.state, found.ended = jobs.CANCELLED, time.time()
                found.error, found.error_code = "CANCELED", 1
        return json_response({})

    def delete(self, request: Request, project: str, location: str, job: str) -> Response:
        found = self._job(project, location, job)
        if found.state not in jobs.ENDED:
            raise FailedPrecondition("The job has not ended: cancel it first")
        del self.jobs[(project, location, job)]
        return json_response(_operation(project, location, found.job_id))

    # -- the run -------------------------------------------------------------------------------
    def _run(self, job: CustomJob, program: Any) -> None:
        folder = self.book.work_dir / "custom" / job.project / job.job_id
        try:
            roots = fetch(program, self.book.storage, folder)
        except PackageError as exc:
            self._end(job, jobs.FAILED, str(exc), 3)
            return
        env = {**os.environ, **program.env,
               "PYTHONPATH": os.pathsep.join(map(str, roots)), "CLOUD_ML_JOB_ID": job.job_id}
        for var, name in OUTPUTS.items():
            (folder / name).mkdir(parents=True, exist_ok=True)
            env[var] = f"{folder / name}/"
        with job.lock:
            if job.state == jobs.CANCELLING:
                job.state, job.ended, job.error, job.error_code = jobs.CANCELLED, time.time(), \
                    "CANCELED", 1
                return
            with (folder / "stdout.log").open("wb") as out, \
                    (folder / "stderr.log").open("wb") as err:
                job.process = subprocess.Popen(
                    [sys.executable, "-m", program.module, *program.args], cwd=folder, env=env,
                    stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
            job.state, job.started = jobs.RUNNING, time.time()
        code = job.process.wait()
        self._copy_outputs(job, folder)
        if job.state == jobs.CANCELLING:
            self._end(job, jobs.CANCELLED, "CANCELED", 1)
        elif code == 0:
            self._end(job, jobs.SUCCEEDED, None, 0)
        else:
            tail = (folder / "stderr.log").read_text(errors="replace")[-TAIL:].strip()
            self._end(job, jobs.FAILED, f"exit code {code}: {tail}", 13)

    def _copy_outputs(self, job: CustomJob, folder: Path) -> None:
        base = ((job.request.get("jobSpec") or {}).get("baseOutputDirectory") or {}).get(
            "outputUriPrefix")
        if not base:
            return
        for name in OUTPUTS.values():
            if (folder / name).is_dir():
                self.book.storage.upload_tree(folder / name, f"{base.rstrip('/')}/{name}/")

    @staticmethod
    def _end(job: CustomJob, state: str, error: str | None, code: int) -> None:
        with job.lock:
            job.state, job.ended, job.error, job.error_code = state, time.time(), error, code

    def close(self) -> None:
        for job in list(self.jobs.values()):
            if job.process is not None and job.process.poll() is None:
                os.killpg(job.process.pid, signal.SIGTERM)
        for thread in self._threads:
            thread.join(timeout=30)

    # -- rendering -----------------------------------------------------------------------------
    def _job(self, project: str, location: str, job_id: str) -> CustomJob:
        found = self.jobs.get((project, location, job_id))
        if found is None:
            raise NotFound(f"The CustomJob does not exist: projects/{project}/locations/"
                           f"{location}/customJobs/{job_id}")
        return found

    def _answer(self, request: Request, job: CustomJob) -> Response:
        return json_response(compact(self.render(job), _ints(request)))

    def render(self, job: CustomJob) -> Any:
        from google.cloud import aiplatform_v1

        with job.lock:
            message = aiplatform_v1.CustomJob.from_json(json.dumps(job.request))
            message.name = (f"projects/{job.project}/locations/{job.location}/customJobs/"
                            f"{job.job_id}")
            message.state = aiplatform_v1.JobState[JOB_STATES[job.state]]
            message.create_time = _ts(job.created)
            for name, value in (("start_time", job.started), ("end_time", job.ended)):
                if value is not None:
                    setattr(message, name, _ts(value))
            if job.error:
                message.error = {"code": job.error_code, "message": job.error}
        return message
