"""The Vertex AI backend: HyperparameterTuningJob through the GAPIC `JobServiceClient` over
REST (the kit does idempotent creation, following, collecting, cancelling and retries).

Vertex AI numbers its jobs itself, so a job is found again by its display name (the spec's
name and a hash of the request): `create_job` lists the jobs of that name first, inside
the retried call, so a create whose answer was lost is not made twice. The handle is the
job's resource name, `projects/P/locations/L/hyperparameterTuningJobs/ID`. A job's trials
come inside its GET, so following a job costs one GET per poll.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hpo_bridge.backends import (
    BackendError,
    Compiled,
    Issues,
    JobState,
    JobStatus,
    Trial,
    TrialStatus,
)
from hpo_bridge.spec import TuningSpec
from hpo_bridge_vertex import clients
from hpo_bridge_vertex.capabilities import VERTEX
from hpo_bridge_vertex.errors import JobNameTaken
from hpo_bridge_vertex.google_backend import GoogleBackend, timestamp
from hpo_bridge_vertex.importer import import_vertex
from hpo_bridge_vertex.vertex_translate import settings_of, translate

DEFAULT_LOCATION = "us-central1"
JOBS = "hyperparameterTuningJobs"
JOB_STATES = {
    "JOB_STATE_QUEUED": JobState.RUNNING, "JOB_STATE_PENDING": JobState.RUNNING,
    "JOB_STATE_RUNNING": JobState.RUNNING, "JOB_STATE_UPDATING": JobState.RUNNING,
    "JOB_STATE_PAUSED": JobState.RUNNING, "JOB_STATE_SUCCEEDED": JobState.COMPLETED,
    "JOB_STATE_PARTIALLY_SUCCEEDED": JobState.COMPLETED, "JOB_STATE_FAILED": JobState.FAILED,
    "JOB_STATE_EXPIRED": JobState.FAILED, "JOB_STATE_CANCELLING": JobState.STOPPING,
    "JOB_STATE_CANCELLED": JobState.STOPPED,
}


def split(handle: str) -> tuple[str, str, str]:
    """(project, location, job id) of a resource name."""
    parts = handle.split("/")
    if len(parts) != 6 or parts[0] != "projects" or parts[2] != "locations" \
            or parts[4] != JOBS:
        raise BackendError(f"vertex: {handle!r} is not a hyperparameter tuning job's name"
                           f" (projects/P/locations/L/{JOBS}/ID)")
    return parts[1], parts[3], parts[5]


def compact(message: Any, defaults: bool = False) -> dict[str, Any]:
    from hpo_bridge_vertex.protos import to_dict

    return to_dict(message, defaults)


class VertexBackend(GoogleBackend):
    name = "vertex"
    capabilities = VERTEX
    job_noun = "hyperparameter tuning job"
    identity_keys = ("studySpec", "trialJobSpec", "maxTrialCount", "parallelTrialCount",
                     "maxFailedTrialCount")
    rename_hint = "set backends.vertex.display_name"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[tuple[str, str], Any] = {}
        self._endpoint: str | None = None  # from the last spec's settings
        self._seen: dict[str, dict[str, Any]] = {}  # handle -> the job of the last status

    # -- translation --------------------------------------------------------------------------
    def translate(self, spec: TuningSpec, issues: Issues) -> Compiled:
        return translate(spec, issues)

    def import_native(self, data: dict[str, Any]) -> dict[str, Any]:
        return import_vertex(data)

    # -- clients ------------------------------------------------------------------------------
    def client(self, location: str) -> Any:
        from google.cloud import aiplatform_v1

        url = clients.endpoint(self._endpoint, "aiplatform",
                               f"https://{location}-aiplatform.googleapis.com")
        key = (location, url)
        if key not in self._clients:
            self._clients[key] = aiplatform_v1.JobServiceClient(
                transport="rest", credentials=self.identity().credentials,
                client_options={"api_endpoint": clients.client_endpoint(url)})
        return self._clients[key]

    def _complete(self, handle: str) -> str:
        """A bare job id is one of the default project's, in the default location."""
        if "/" in handle:
            return handle
        return f"projects/{self.identity().project}/locations/{DEFAULT_LOCATION}/{JOBS}/{handle}"

    def _parent(self, spec: TuningSpec) -> tuple[str, str]:
        settings = settings_of(spec)
        self._endpoint = settings.api_endpoint
        return f"projects/{self.project_of(spec)}/locations/{settings.location}", \
            settings.location

    # -- the job ------------------------------------------------------------------------------
    def job_handle(self, spec: TuningSpec, compiled: Compiled) -> str:
        parent, location = self._parent(spec)
        found = self.call("list hyperparameter tuning jobs", self._named, location, parent,
                          compiled.request["displayName"])
        if found is None:
            raise BackendError(f"vertex: no job named {compiled.request['displayName']}")
        return found

    def _named(self, location: str, parent: str, display_name: str) -> str | None:
        pager = self.client(location).list_hyperparameter_tuning_jobs(
            request={"parent": parent, "filter": f'display_name="{display_name}"'},
            retry=None)
        for job in pager:
            return str(job.name)
        return None

    def create_job(self, spec: TuningSpec, compiled: Compiled) -> str:
        parent, location = self._parent(spec)
        return str(self.call("create hyperparameter tuning job", self._create, location,
                             parent, compiled.request))

    def _create(self, location: str, parent: str, body: dict[str, Any]) -> str:
        from google.cloud.aiplatform_v1 import HyperparameterTuningJob

        existing = self._named(location, parent, body["displayName"])
        if existing is not None:
            raise JobNameTaken(body["displayName"])
        import json

        job = HyperparameterTuningJob.from_json(json.dumps(body))
        created = self.client(location).create_hyperparameter_tuning_job(
            parent=parent, hyperparameter_tuning_job=job, retry=None)
        return str(created.name)

    def job_name(self, handle: str) -> str:
        return handle.rsplit("/", 1)[-1]

    def describe(self, handle: str, defaults: bool = False) -> dict[str, Any]:
        name = self._complete(handle)
        _, location, _ = split(name)
        job = self.call("get hyperparameter tuning job",
                        self.client(location).get_hyperparameter_tuning_job,
                        name=name, retry=None)
        return compact(job, defaults)

    def existing_request(self, handle: str) -> dict[str, Any]:
        return self.describe(handle, defaults=True)

    def job_status(self, handle: str) -> JobStatus:
        job = self.describe(handle)
        self._seen[handle] = job
        native = job.get("state", "JOB_STATE_UNSPECIFIED")
        trials = self._trials(job)
        done = [t for t in trials if t.status.terminal]
        best = _best(job, trials)
        error = (job.get("error") or {}).get("message")
        return JobStatus(
            state=JOB_STATES.get(native, JobState.RUNNING), native_state=native,
            trials_total=len(trials),
            trials_completed=sum(1 for t in done if t.status is TrialStatus.COMPLETED),
            trials_running=sum(1 for t in trials if not t.status.terminal),
            trials_failed=sum(1 for t in done if t.status is TrialStatus.FAILED),
            trials_stopped=sum(1 for t in done if t.status is TrialStatus.CANCELLED),
            best_trial=str(best[0]) if best else None,
            best_value=best[1] if best else None,
            message=error if native in ("JOB_STATE_FAILED", "JOB_STATE_CANCELLED") else None,
        )

    def list_trials(self, handle: str) -> list[Trial]:
        """Every trial, from the GET the last status made (one GET per poll)."""
        job = self._seen.pop(handle, None) or self.describe(handle)
        if job.get("state") in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED"):
            self._seen[handle] = job  # an ended job does not change: final_trials reuses it
        return self._trials(job)

    def stop_job(self, handle: str) -> None:
        name = self._complete(handle)
        _, location, _ = split(name)
        self.call("cancel hyperparameter tuning job",
                  self.client(location).cancel_hyperparameter_tuning_job, name=name,
                  retry=None)

    def trial_logs(self, handle: str, trial: str) -> Iterator[str]:
        project, location, job = split(self._complete(handle))
        raise BackendError(
            f"vertex: trial logs are in Cloud Logging: gcloud logging read"
            f" 'resource.type=\"ml_job\" AND resource.labels.job_id=\"{job}\"' --project"
            f" {project} (trial {trial})")

    # -- trials -------------------------------------------------------------------------------
    def _trials(self, job: dict[str, Any]) -> list[Trial]:
        study = job.get("studySpec") or {}
        metric = ((study.get("metrics") or [{}])[0]).get("metricId", "")
        kinds = _kinds(study.get("parameters") or [])
        ended = job.get("state") in ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED",
                                     "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED",
                                     "JOB_STATE_PARTIALLY_SUCCEEDED")
        return [_trial(t, metric, kinds, ended) for t in job.get("trials") or []]


def _kinds(params: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for p in params:
        kind = next((k for k in ("integerValueSpec", "discreteValueSpec",
                                 "categoricalValueSpec", "doubleValueSpec") if k in p), "")
        out[p.get("parameterId", "")] = kind
        for child in p.get("conditionalParameterSpecs") or []:
            out.update(_kinds([child.get("parameterSpec") or {}]))
    return out


def _param(value: Any, kind: str) -> Any:
    if kind == "integerValueSpec" or (kind == "discreteValueSpec" and isinstance(value, float)
                                      and value == int(value)):
        return int(value)
    return value


def _trial(t: dict[str, Any], metric: str, kinds: dict[str, str], ended: bool) -> Trial:
    state = t.get("state", "STATE_UNSPECIFIED")
    series: dict[str, list[float]] = {}
    for m in t.get("measurements") or []:
        for item in m.get("metrics") or []:
            series.setdefault(item.get("metricId", ""), []).append(float(item.get("value", 0)))
    final = {i.get("metricId"): float(i.get("value", 0))
             for i in (t.get("finalMeasurement") or {}).get("metrics") or []}
    values = list(series.get(metric, []))
    if metric in final and not values:
        values = [final[metric]]
    if state == "SUCCEEDED":
        status = TrialStatus.COMPLETED if final else TrialStatus.FAILED
    elif state == "INFEASIBLE":
        status = TrialStatus.FAILED
    elif ended:  # REQUESTED, ACTIVE, STOPPING in a job that ended: cancelled with it
        status = TrialStatus.CANCELLED
    else:
        status = TrialStatus.PENDING if state == "REQUESTED" else TrialStatus.RUNNING
    if status is TrialStatus.COMPLETED and metric in final:
        values = values or [final[metric]]
    return Trial(
        id=int(t.get("id", 0)),
        params={p["parameterId"]: _param(p.get("value"), kinds.get(p["parameterId"], ""))
                for p in t.get("parameters") or []},
        status=status,
        values=values,
        metrics={**series, **({k: series.get(k) or [v] for k, v in final.items()})},
        reason=t.get("infeasibleReason") or (
            "no final measurement" if state == "SUCCEEDED" and not final else None),
        started_at=timestamp(t.get("startTime")),
        ended_at=timestamp(t.get("endTime")),
    )


def _best(job: dict[str, Any], trials: list[Trial]) -> tuple[int, float] | None:
    study = job.get("studySpec") or {}
    metric = (study.get("metrics") or [{}])[0]
    sign = 1.0 if metric.get("goal") == "MAXIMIZE" else -1.0
    finals = []
    for raw, trial in zip(job.get("trials") or [], trials, strict=True):
        for item in (raw.get("finalMeasurement") or {}).get("metrics") or []:
            if item.get("metricId") == metric.get("metricId") and \
                    trial.status is TrialStatus.COMPLETED:
                finals.append((sign * float(item.get("value", 0)), -trial.id, trial.id,
                               float(item.get("value", 0))))
    if not finals:
        return None
    best = max(finals)
    return best[2], best[3]
