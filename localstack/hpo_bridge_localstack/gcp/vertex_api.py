"""Vertex AI v1 REST: hyperparameter tuning jobs (create, get, list, cancel, delete) and
their long-running operations.

    POST   /v1/projects/{p}/locations/{l}/hyperparameterTuningJobs           -> the job
    GET    /v1/projects/{p}/locations/{l}/hyperparameterTuningJobs[?filter&pageSize&pageToken]
    GET    /v1/projects/{p}/locations/{l}/hyperparameterTuningJobs/{id}      (trials inside)
    POST   /v1/projects/{p}/locations/{l}/hyperparameterTuningJobs/{id}:cancel -> {}
    DELETE /v1/projects/{p}/locations/{l}/hyperparameterTuningJobs/{id}      -> a done Operation
    GET    /v1/projects/{p}/locations/{l}/operations/{op}

Bodies are parsed with the SDK's types (protos.py), then checked as the service does
(vertex_checks.py). Answers are rendered with the same types, enums as numbers when the
client asks for `enum-encoding=int` (the REST transport always does). A job's trials come
inside its GET: there is no separate call for them, so a client follows a job with one
GET per poll.
"""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any

from hpo_bridge_localstack.framework.http import Request, Response, json_response
from hpo_bridge_localstack.framework.routing import Router
from hpo_bridge_localstack.gcp import jobs, vertex_checks, vertex_translate
from hpo_bridge_localstack.gcp.book import Book
from hpo_bridge_localstack.gcp.errors import (
    FailedPrecondition,
    GoogleError,
    InvalidArgument,
    NotFound,
    Unimplemented,
)
from hpo_bridge_localstack.gcp.jobs import TrialRecord, TuningJob
from hpo_bridge_localstack.gcp.packages import PackageError, from_worker_pool
from hpo_bridge_localstack.gcp.protos import compact, parse

API = "vertex"
BASE = "/v1/projects/<project>/locations/<location>"
JOBS = f"{BASE}/hyperparameterTuningJobs"
JOB_STATES = {jobs.PENDING: "JOB_STATE_PENDING", jobs.RUNNING: "JOB_STATE_RUNNING",
              jobs.SUCCEEDED: "JOB_STATE_SUCCEEDED", jobs.FAILED: "JOB_STATE_FAILED",
              jobs.CANCELLING: "JOB_STATE_CANCELLING", jobs.CANCELLED: "JOB_STATE_CANCELLED"}
# An early-stopped trial ends SUCCEEDED (with fewer measurements); a failed one INFEASIBLE;
# one still running when the job was cancelled stays STOPPING.
TRIAL_STATES = {jobs.REQUESTED: "REQUESTED", jobs.ACTIVE: "ACTIVE", "completed": "SUCCEEDED",
                "stopped": "SUCCEEDED", "failed": "INFEASIBLE", "timeout": "INFEASIBLE",
                "cancelled": "STOPPING"}
PAGE_SIZE = 100
_FILTER = re.compile(r'^\s*(\w+)\s*=\s*"?([^"]*)"?\s*$')


def _types() -> Any:
    from google.cloud import aiplatform_v1

    return aiplatform_v1


def _json_body(request: Request) -> bytes:
    return request.get_data(cache=True) or b"{}"


def _ints(request: Request) -> bool:
    return "enum-encoding=int" in (request.args.get("$alt") or "")


def _ts(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def _value(value: Any) -> Any:
    """A parameter value as google.protobuf.Value takes it (numbers and strings)."""
    if isinstance(value, bool):
        return str(value).lower()
    return value


class VertexApi:
    def __init__(self, book: Book) -> None:
        self.book = book

    def mount(self, router: Router) -> None:
        routes = [
            (JOBS, self.create, "POST", "CreateHyperparameterTuningJob"),
            (JOBS, self.list, "GET", "ListHyperparameterTuningJobs"),
            (f"{JOBS}/<job>", self.get, "GET", "GetHyperparameterTuningJob"),
            (f"{JOBS}/<job>:cancel", self.cancel, "POST", "CancelHyperparameterTuningJob"),
            (f"{JOBS}/<job>", self.delete, "DELETE", "DeleteHyperparameterTuningJob"),
            (f"{BASE}/operations/<op>", self.operation, "GET", "GetOperation"),
        ]
        for rule, handler, method, operation in routes:
            router.route(rule, _answering(handler), methods=[method], operation=operation)

    # -- handlers ----------------------------------------------------------------------------
    def create(self, request: Request, project: str, location: str) -> Response:
        types = _types()
        message = parse(types.HyperparameterTuningJob, _json_body(request))
        body = compact(message)
        problems = vertex_checks.job_problems(body)
        if problems:
            raise InvalidArgument("; ".join(problems))
        study = body["studySpec"]
        if "convexAutomatedStoppingSpec" in study:
            raise Unimplemented("convexAutomatedStoppingSpec is not emulated")
        try:
            program = from_worker_pool(body["trialJobSpec"]["workerPoolSpecs"][0])
        except PackageError as exc:
            raise InvalidArgument(str(exc)) from None
        metric = study["metrics"][0]
        job = TuningJob(
            api=API, project=project, location=location, job_id=self.book.new_id(),
            request=body, objective=metric["metricId"],
            goal=vertex_translate.GOALS[metric["goal"]],
            selection="best" if study.get("measurementSelectionType") == "BEST_MEASUREMENT"
            else "last",
            created=time.time(),
        )
        job.touch(job.created)
        self.book.add(job)
        answer = self._answer(request, job)  # as created: PENDING, before the run starts
        self.book.start(job, lambda _dir, prog, roots: self._spec(job, prog, roots), program,
                        self._outputs(job))
        return answer

    def get(self, request: Request, project: str, location: str, job: str) -> Response:
        return self._answer(request, self._job(project, location, job))

    def list(self, request: Request, project: str, location: str) -> Response:
        found = [j for j in self.book.listed(API, project, location)
                 if _matches(j, request.args.get("filter", ""))]
        size = int(request.args.get("pageSize") or PAGE_SIZE)
        start = int(request.args.get("pageToken") or 0)
        page = found[start:start + size]
        ints = _ints(request)
        payload: dict[str, Any] = {"hyperparameterTuningJobs": [
            compact(self.render(j), integers=ints) for j in page]}
        if start + size < len(found):
            payload["nextPageToken"] = str(start + size)
        return json_response(payload)

    def cancel(self, request: Request, project: str, location: str, job: str) -> Response:
        found = self._job(project, location, job)
        if found.state in jobs.ENDED:
            raise FailedPrecondition(
                f"Cannot cancel a job in state {JOB_STATES[found.state]}: {self._name(found)}")
        if found.state != jobs.CANCELLING:
            self.book.cancel(found)
        return json_response({})

    def delete(self, request: Request, project: str, location: str, job: str) -> Response:
        found = self._job(project, location, job)
        if found.state not in jobs.ENDED:
            raise FailedPrecondition(
                f"The job {self._name(found)} is {JOB_STATES[found.state]}: cancel it first")
        self.book.remove(found)
        return json_response(_operation(project, location, found.job_id))

    def operation(self, request: Request, project: str, location: str, op: str) -> Response:
        return json_response(_operation(project, location, op))

    # -- rendering -----------------------------------------------------------------------------
    def _job(self, project: str, location: str, job_id: str) -> TuningJob:
        found = self.book.get(API, project, location, job_id)
        if found is None:
            raise NotFound(f"The HyperparameterTuningJob does not exist: "
                           f"projects/{project}/locations/{location}/"
                           f"hyperparameterTuningJobs/{job_id}")
        return found

    @staticmethod
    def _name(job: TuningJob) -> str:
        return (f"projects/{job.project}/locations/{job.location}/hyperparameterTuningJobs/"
                f"{job.job_id}")

    def _answer(self, request: Request, job: TuningJob) -> Response:
        return json_response(compact(self.render(job), integers=_ints(request)))

    def render(self, job: TuningJob) -> Any:
        types = _types()
        with job.lock:
            message = types.HyperparameterTuningJob.from_json(json.dumps(job.request))
            message.name = self._name(job)
            message.state = types.JobState[JOB_STATES[job.state]]
            message.create_time = _ts(job.created)
            for field, value in (("start_time", job.started), ("end_time", job.ended),
                                 ("update_time", job.updated)):
                if value is not None:
                    setattr(message, field, _ts(value))
            if job.error:
                message.error = {"code": job.error_code, "message": job.error}
            message.trials = [self._trial(job, t) for t in job.ordered_trials()]
        return message

    def _trial(self, job: TuningJob, trial: TrialRecord) -> Any:
        types = _types()
        out = types.Trial(
            id=str(trial.id),
            state=types.Trial.State[TRIAL_STATES[trial.status]],
            parameters=[types.Trial.Parameter(parameter_id=k, value=_value(v))
                        for k, v in trial.params.items()],
            measurements=[_measurement(m) for m in trial.measurements],
        )
        if trial.started is not None:
            out.start_time = _ts(trial.started)
        if trial.ended is not None:
            out.end_time = _ts(trial.ended)
        final = trial.final(job.objective, job.goal, job.selection)
        if final is not None:
            out.final_measurement = _measurement(final)
        if trial.status in ("failed", "timeout"):
            out.infeasible_reason = trial.reason or "the trial failed"
        return out

    def _spec(self, job: TuningJob, program: Any, roots: Any) -> Any:
        from hpo_bridge.loading import validate_spec

        data = vertex_translate.spec_data(job.job_id, job.request, program, roots)
        return validate_spec(data, base_dir=roots[0])

    def _outputs(self, job: TuningJob) -> Any:
        base = ((job.request.get("trialJobSpec") or {}).get("baseOutputDirectory") or {}).get(
            "outputUriPrefix")
        if not base:
            return None

        def where(trial_id: int) -> list[tuple[str, str]]:
            prefix = f"{base.rstrip('/')}/{trial_id}"
            return [(folder, f"{prefix}/{folder}/") for folder in ("model", "checkpoints",
                                                                   "logs")]

        return where


def _measurement(m: Any) -> Any:
    types = _types()
    return types.Measurement(
        step_count=m.step,
        elapsed_duration={"seconds": int(m.elapsed), "nanos": int(m.elapsed % 1 * 1e9)},
        metrics=[types.Measurement.Metric(metric_id=k, value=v) for k, v in m.metrics.items()],
    )


def _operation(project: str, location: str, op: str) -> dict[str, Any]:
    return {"name": f"projects/{project}/locations/{location}/operations/{op}", "done": True,
            "response": {"@type": "type.googleapis.com/google.protobuf.Empty"}}


def _matches(job: TuningJob, text: str) -> bool:
    """The AIP-160 filters clients use here: `display_name="x"`, `state=...`, joined by AND."""
    for clause in filter(None, (c.strip() for c in re.split(r"\s+AND\s+", text))):
        match = _FILTER.match(clause)
        if match is None:
            raise InvalidArgument(f"Unsupported filter: {clause}")
        key, value = match.groups()
        if key in ("display_name", "displayName"):
            if job.request.get("displayName") != value:
                return False
        elif key == "state":
            if JOB_STATES[job.state] != value:
                return False
        else:
            raise InvalidArgument(f"Unsupported filter field: {key}")
    return True


def _answering(handler: Any) -> Any:
    """A handler whose GoogleError becomes the error answer."""
    def answer(request: Request, **values: Any) -> Response:
        try:
            response: Response = handler(request, **values)
        except GoogleError as exc:
            return exc.response()
        return response

    answer.__name__ = handler.__name__
    return answer
