"""AI Platform Training (`ml.googleapis.com` v1): jobs with `trainingInput.hyperparameters`.

    POST /v1/projects/{p}/jobs                 create (the client picks the jobId)
    GET  /v1/projects/{p}/jobs/{id}            the job, with trainingOutput.trials
    GET  /v1/projects/{p}/jobs[?filter=state%3DSUCCEEDED&pageSize&pageToken]
    POST /v1/projects/{p}/jobs/{id}:cancel     {}

Bodies are checked against the discovery document (discovery.py) and the seed's rules:
maxFailedTrials <= maxTrials, discrete values strictly increasing (at most 1,000), ranges
in order, integer bounds whole. `resumePreviousJobId` takes the goal, the params and the
metric tag of the earlier job and continues from its trials: the searcher starts from its
final state and the failure and stopping rules know its trials; the new trials are
numbered after them.
"""

from __future__ import annotations

import re
import time
from typing import Any

from hpo_bridge_localstack.framework.http import Request, Response, json_response, read_json
from hpo_bridge_localstack.framework.routing import Router
from hpo_bridge_localstack.gcp import discovery, jobs, ml_translate
from hpo_bridge_localstack.gcp.book import Book
from hpo_bridge_localstack.gcp.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from hpo_bridge_localstack.gcp.jobs import TrialRecord, TuningJob, rfc3339
from hpo_bridge_localstack.gcp.packages import PackageError, from_package_spec
from hpo_bridge_localstack.gcp.vertex_api import _answering

API = "ml"
LOCATION = "-"  # ml v1 jobs live in the project (trainingInput.region is informative)
JOBS = "/v1/projects/<project>/jobs"
JOB_STATES = {jobs.PENDING: "QUEUED", jobs.RUNNING: "RUNNING", jobs.SUCCEEDED: "SUCCEEDED",
              jobs.FAILED: "FAILED", jobs.CANCELLING: "CANCELLING",
              jobs.CANCELLED: "CANCELLED"}
TRIAL_STATES = {jobs.REQUESTED: "QUEUED", jobs.ACTIVE: "RUNNING", "completed": "SUCCEEDED",
                "stopped": "SUCCEEDED", "failed": "FAILED", "timeout": "FAILED",
                "cancelled": "CANCELLED"}
JOB_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}")
MAX_DISCRETE = 1000
PAGE_SIZE = 100
_CLAUSE = re.compile(r'^\s*(\w+)\s*[=:]\s*"?([^"]*)"?\s*$')


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def hyper_problems(hyper: dict[str, Any], resumed: bool) -> list[str]:
    """The seed's rules and the service's own, on trainingInput.hyperparameters."""
    where = "trainingInput.hyperparameters"
    problems = []
    if not resumed:
        if hyper.get("goal") not in ("MAXIMIZE", "MINIMIZE"):
            problems.append(f"{where}.goal: MAXIMIZE or MINIMIZE is required")
        if not hyper.get("params"):
            problems.append(f"{where}.params: at least one parameter is required")
    max_trials = int(hyper.get("maxTrials") or 1)
    max_failed = int(hyper.get("maxFailedTrials") or 0)
    if max_trials < 1:
        problems.append(f"{where}.maxTrials: must be positive")
    if int(hyper.get("maxParallelTrials") or 1) < 1:
        problems.append(f"{where}.maxParallelTrials: must be positive")
    if max_failed < 0 or max_failed > max_trials:
        problems.append(f"{where}.maxFailedTrials: {max_failed} must be between 0 and"
                        f" maxTrials ({max_trials})")
    names: set[str] = set()
    for i, param in enumerate(hyper.get("params") or []):
        at = f"{where}.params[{i}]"
        name = param.get("parameterName")
        if not name:
            problems.append(f"{at}.parameterName: required")
        elif name in names:
            problems.append(f"{at}.parameterName: duplicate {name!r}")
        names.add(name or "")
        kind = param.get("type")
        if kind in ("INTEGER", "DOUBLE"):
            low, high = param.get("minValue"), param.get("maxValue")
            if low is None or high is None:
                problems.append(f"{at}: minValue and maxValue are required for {kind}")
            elif low > high:
                problems.append(f"{at}: minValue {_number(low)} is greater than maxValue"
                                f" {_number(high)}")
            elif kind == "INTEGER" and (low != int(low) or high != int(high)):
                problems.append(f"{at}: INTEGER bounds must be whole numbers")
            elif param.get("scaleType") == "UNIT_LOG_SCALE" and low <= 0:
                problems.append(f"{at}: UNIT_LOG_SCALE needs minValue > 0")
        elif kind == "DISCRETE":
            values = param.get("discreteValues") or []
            if not values:
                problems.append(f"{at}.discreteValues: required for DISCRETE")
            if len(values) > MAX_DISCRETE:
                problems.append(f"{at}.discreteValues: {len(values)} values, at most 1000")
            for a, b in zip(values, values[1:], strict=False):
                if not a < b:
                    problems.append(f"{at}.discreteValues: must be strictly increasing"
                                    f" ({_number(a)} is followed by {_number(b)})")
                    break
        elif kind == "CATEGORICAL":
            if not param.get("categoricalValues"):
                problems.append(f"{at}.categoricalValues: required for CATEGORICAL")
        else:
            problems.append(f"{at}.type: INTEGER, DOUBLE, CATEGORICAL or DISCRETE is required")
    return problems


class MlApi:
    def __init__(self, book: Book) -> None:
        self.book = book

    def mount(self, router: Router) -> None:
        for rule, handler, method, operation in (
            (JOBS, self.create, "POST", "ml.projects.jobs.create"),
            (JOBS, self.list, "GET", "ml.projects.jobs.list"),
            (f"{JOBS}/<job>", self.get, "GET", "ml.projects.jobs.get"),
            (f"{JOBS}/<job>:cancel", self.cancel, "POST", "ml.projects.jobs.cancel"),
        ):
            router.route(rule, _answering(handler), methods=[method], operation=operation)

    # -- handlers ------------------------------------------------------------------------------
    def create(self, request: Request, project: str) -> Response:
        try:
            body = read_json(request)
        except ValueError:
            raise InvalidArgument("Invalid JSON payload received.") from None
        problems = discovery.job_problems(body)
        if problems:
            raise InvalidArgument("; ".join(problems))
        job_id = body.get("jobId") or ""
        if not JOB_ID.fullmatch(job_id):
            raise InvalidArgument("Field: job.job_id Error: a job id starts with a letter and"
                                  " has only letters, digits and underscores (at most 128)")
        if self.book.get(API, project, LOCATION, job_id) is not None:
            raise AlreadyExists(f"Field: job.job_id Error: A job with this id already"
                                f" exists: {job_id}")
        training = body.get("trainingInput") or {}
        hyper = dict(training.get("hyperparameters") or {})
        if not hyper:
            raise InvalidArgument("trainingInput.hyperparameters: the emulator runs"
                                  " hyperparameter tuning jobs only")
        parent, resume = self._parent(project, hyper)
        problems = hyper_problems(hyper, resumed=parent is not None)
        if problems:
            raise InvalidArgument("; ".join(problems))
        if parent is not None:
            earlier = parent.request["trainingInput"]["hyperparameters"]
            for key in ("goal", "params", "hyperparameterMetricTag"):
                if key in earlier:
                    hyper[key] = earlier[key]
        try:
            program = from_package_spec(training)
        except PackageError as exc:
            raise InvalidArgument(f"trainingInput: {exc} (custom containers are not"
                                  " emulated)") from None
        job = TuningJob(api=API, project=project, location=LOCATION, job_id=job_id,
                        request=body, objective=hyper.get("hyperparameterMetricTag")
                        or ml_translate.DEFAULT_TAG,
                        goal=str(hyper["goal"]).lower(), selection="last",
                        created=time.time())
        job.touch(job.created)
        self.book.add(job)
        previous = len(resume.get("previous", ()))

        def build(work_dir: Any, prog: Any, roots: Any) -> Any:
            from hpo_bridge.loading import validate_spec

            data = ml_translate.spec_data(job_id, training, hyper, prog, roots, previous)
            return validate_spec(data, base_dir=roots[0])

        answer = json_response(self.render(job))  # as created: QUEUED
        self.book.start(job, build, program, self._outputs(training), resume or None)
        return answer

    def _parent(self, project: str, hyper: dict[str, Any]) -> tuple[TuningJob | None,
                                                                     dict[str, Any]]:
        parent_id = hyper.get("resumePreviousJobId")
        if not parent_id:
            return None, {}
        parent = self.book.get(API, project, LOCATION, parent_id)
        if parent is None:
            raise NotFound(f"resumePreviousJobId: no job {parent_id} in project {project}")
        if parent.state not in jobs.ENDED:
            raise FailedPrecondition(f"resumePreviousJobId: job {parent_id} has not ended")
        return parent, self._resume_state(parent)

    @staticmethod
    def _resume_state(parent: TuningJob) -> dict[str, Any]:
        """The parent's trials as the core keeps them, and its searcher's final state."""
        from hpo_bridge.core.trial import Trial, TrialStatus

        previous = []
        with parent.lock:
            for record in parent.ordered_trials():
                values = [m.metrics[parent.objective] for m in record.measurements]
                previous.append(Trial(
                    id=record.id, params=dict(record.params), status=TrialStatus(
                        record.status if record.done else "cancelled"),
                    values=values, metrics={parent.objective: list(values)},
                    reason=record.reason, started_at=0.0, ended_at=0.0))
        state = parent.run.searcher_state if parent.run is not None else None
        resume: dict[str, Any] = {"previous": previous}
        if state is not None:
            resume["searcher_state"] = state
        return resume

    def get(self, request: Request, project: str, job: str) -> Response:
        return json_response(self.render(self._job(project, job)))

    def list(self, request: Request, project: str) -> Response:
        text = request.args.get("filter", "")
        found = [j for j in self.book.listed(API, project, LOCATION) if _matches(j, text)]
        size = int(request.args.get("pageSize") or PAGE_SIZE)
        start = int(request.args.get("pageToken") or 0)
        payload: dict[str, Any] = {"jobs": [self.render(j) for j in found[start:start + size]]}
        if start + size < len(found):
            payload["nextPageToken"] = str(start + size)
        return json_response(payload)

    def cancel(self, request: Request, project: str, job: str) -> Response:
        found = self._job(project, job)
        if found.state in jobs.ENDED:
            raise FailedPrecondition(f"Job {found.job_id} is already in a terminal state:"
                                     f" {JOB_STATES[found.state]}")
        if found.state != jobs.CANCELLING:
            self.book.cancel(found)
        return json_response({})

    # -- rendering -----------------------------------------------------------------------------
    def _job(self, project: str, job_id: str) -> TuningJob:
        found = self.book.get(API, project, LOCATION, job_id)
        if found is None:
            raise NotFound(f"Field: name Error: The specified job projects/{project}/jobs/"
                           f"{job_id} was not found")
        return found

    def render(self, job: TuningJob) -> dict[str, Any]:
        with job.lock:
            hyper = job.request["trainingInput"]["hyperparameters"]
            trials = [self._trial(job, t) for t in job.ordered_trials()]
            out: dict[str, Any] = {
                "jobId": job.job_id,
                "trainingInput": job.request["trainingInput"],
                "createTime": rfc3339(job.created),
                "state": JOB_STATES[job.state],
                "trainingOutput": {
                    "completedTrialCount": str(sum(1 for t in job.trials.values() if t.done)),
                    "consumedMLUnits": 0,
                    "isHyperparameterTuningJob": True,
                    "hyperparameterMetricTag": hyper.get("hyperparameterMetricTag")
                    or job.objective,
                    "trials": trials,
                },
                "etag": f"{int((job.updated or job.created) * 1e6):x}",
            }
            if job.request.get("labels"):
                out["labels"] = job.request["labels"]
            if job.started is not None:
                out["startTime"] = rfc3339(job.started)
            if job.ended is not None:
                out["endTime"] = rfc3339(job.ended)
            if job.error and job.state == jobs.FAILED:
                out["errorMessage"] = job.error
        return out

    def _trial(self, job: TuningJob, trial: TrialRecord) -> dict[str, Any]:
        from hpo_bridge.contracts.base import format_value

        out: dict[str, Any] = {
            "trialId": str(trial.id),
            "hyperparameters": {k: format_value(v) for k, v in trial.params.items()},
            "state": TRIAL_STATES[trial.status],
        }
        if trial.started is not None:
            out["startTime"] = rfc3339(trial.started)
        if trial.ended is not None:
            out["endTime"] = rfc3339(trial.ended)
        metrics = [{"trainingStep": str(m.step), "objectiveValue": m.metrics[job.objective]}
                   for m in trial.measurements]
        if metrics:
            out["allMetrics"] = metrics
        final = trial.final(job.objective, job.goal, job.selection)
        if final is not None:
            out["finalMetric"] = {"trainingStep": str(final.step),
                                  "objectiveValue": final.metrics[job.objective]}
        if trial.status == "stopped":
            out["isTrialStoppedEarly"] = True
        return out

    def _outputs(self, training: dict[str, Any]) -> Any:
        job_dir = training.get("jobDir")
        if not job_dir:
            return None
        return lambda trial_id: [(ml_translate.JOB_DIR, f"{job_dir.rstrip('/')}/{trial_id}/")]


def _matches(job: TuningJob, text: str) -> bool:
    """`state=SUCCEEDED`, `jobId=...`, `labels.k=v`, joined by AND or spaces."""
    for clause in filter(None, re.split(r"\s+AND\s+|\s+", text.strip())):
        match = _CLAUSE.match(clause.replace("labels.", "labels_"))
        if match is None:
            raise InvalidArgument(f"Invalid filter: {clause}")
        key, value = match.groups()
        if key == "state":
            if JOB_STATES[job.state] != value:
                return False
        elif key in ("jobId", "job_id"):
            if job.job_id != value:
                return False
        elif key.startswith("labels_"):
            if (job.request.get("labels") or {}).get(key[len("labels_"):]) != value:
                return False
        else:
            raise InvalidArgument(f"Invalid filter field: {key}")
    return True
