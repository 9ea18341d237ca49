"""The AI Platform Training backend: `projects.jobs` through google-api-python-client's
discovery client (`build("ml", "v1")`, the bundled discovery document, no network to
build it). The client picks the job id, so creating is idempotent by name: a 409 is
"already exists", and the kit attaches to it when it is the same request. The handle is
`projects/P/jobs/ID`; the trials come inside the job's GET (trainingOutput.trials).

Ties: AI Platform's guidance is to prefer the cheaper of two configurations with equal
objectives (SEEDS.md, 002); `hpo-bridge best` names the trials tied with the best
(`core.ranking.tied_with_best`) instead of picking one silently.
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
from hpo_bridge_vertex.capabilities import AIPLATFORM
from hpo_bridge_vertex.google_backend import GoogleBackend, timestamp
from hpo_bridge_vertex.importer import import_aiplatform
from hpo_bridge_vertex.ml_translate import settings_of, translate

JOB_STATES = {"QUEUED": JobState.RUNNING, "PREPARING": JobState.RUNNING,
              "RUNNING": JobState.RUNNING, "SUCCEEDED": JobState.COMPLETED,
              "FAILED": JobState.FAILED, "CANCELLING": JobState.STOPPING,
              "CANCELLED": JobState.STOPPED}
TRIAL_STATES = {"QUEUED": TrialStatus.PENDING, "PREPARING": TrialStatus.PENDING,
                "RUNNING": TrialStatus.RUNNING, "CANCELLING": TrialStatus.RUNNING,
                "SUCCEEDED": TrialStatus.COMPLETED, "FAILED": TrialStatus.FAILED,
                "CANCELLED": TrialStatus.CANCELLED}
ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")


def split(handle: str) -> tuple[str, str]:
    parts = handle.split("/")
    if len(parts) != 4 or parts[0] != "projects" or parts[2] != "jobs":
        raise BackendError(f"aiplatform: {handle!r} is not a job's name (projects/P/jobs/ID)")
    return parts[1], parts[3]


def _param(value: str, kind: str) -> Any:
    if kind == "INTEGER":
        return int(float(value))
    if kind in ("DOUBLE", "DISCRETE"):
        number = float(value)
        return int(number) if kind == "DISCRETE" and number == int(number) else number
    return value


class AiPlatformBackend(GoogleBackend):
    name = "aiplatform"
    capabilities = AIPLATFORM
    job_noun = "training job"
    identity_keys = ("trainingInput",)
    rename_hint = "set backends.aiplatform.job_id"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._client: Any = None
        self._endpoint: str | None = None
        self._seen: dict[str, dict[str, Any]] = {}

    def translate(self, spec: TuningSpec, issues: Issues) -> Compiled:
        return translate(spec, issues)

    def import_native(self, data: dict[str, Any]) -> dict[str, Any]:
        return import_aiplatform(data)

    # -- the client ---------------------------------------------------------------------------
    def jobs(self) -> Any:
        if self._client is None:
            from googleapiclient import discovery

            url = clients.endpoint(self._endpoint, "ml", "https://ml.googleapis.com")
            self._client = discovery.build(
                "ml", "v1", credentials=self.identity().credentials, static_discovery=True,
                cache_discovery=False, client_options={"api_endpoint": url})
        return self._client.projects().jobs()

    def _complete(self, handle: str) -> str:
        return handle if "/" in handle else f"projects/{self.identity().project}/jobs/{handle}"

    # -- the job ------------------------------------------------------------------------------
    def job_handle(self, spec: TuningSpec, compiled: Compiled) -> str:
        self._endpoint = settings_of(spec).api_endpoint
        return f"projects/{self.project_of(spec)}/jobs/{compiled.request['jobId']}"

    def create_job(self, spec: TuningSpec, compiled: Compiled) -> str:
        handle = self.job_handle(spec, compiled)
        project, _ = split(handle)
        self.call("create job", lambda: self.jobs().create(
            parent=f"projects/{project}", body=compiled.request).execute())
        return handle

    def describe(self, handle: str) -> dict[str, Any]:
        name = self._complete(handle)
        job: dict[str, Any] = self.call("get job", lambda: self.jobs().get(name=name).execute())
        return job

    def existing_request(self, handle: str) -> dict[str, Any]:
        return self.describe(handle)

    def job_status(self, handle: str) -> JobStatus:
        job = self.describe(handle)
        self._seen[handle] = job
        native = job.get("state", "STATE_UNSPECIFIED")
        trials = self._trials(job)
        done = [t for t in trials if t.status.terminal]
        best = self._best(job, trials)
        return JobStatus(
            state=JOB_STATES.get(native, JobState.RUNNING), native_state=native,
            trials_total=len(trials),
            trials_completed=sum(1 for t in done if t.status is TrialStatus.COMPLETED),
            trials_running=sum(1 for t in trials if not t.status.terminal),
            trials_failed=sum(1 for t in done if t.status is TrialStatus.FAILED),
            trials_stopped=sum(1 for t in done if t.status in (TrialStatus.STOPPED,
                                                                TrialStatus.CANCELLED)),
            best_trial=str(best.id) if best else None,
            best_value=best.values[-1] if best and best.values else None,
            message=job.get("errorMessage"),
        )

    def list_trials(self, handle: str) -> list[Trial]:
        job = self._seen.pop(handle, None) or self.describe(handle)
        if job.get("state") in ENDED:
            self._seen[handle] = job  # an ended job does not change: final_trials reuses it
        return self._trials(job)

    def stop_job(self, handle: str) -> None:
        name = self._complete(handle)
        self.call("cancel job", lambda: self.jobs().cancel(name=name, body={}).execute())

    def trial_logs(self, handle: str, trial: str) -> Iterator[str]:
        project, job = split(self._complete(handle))
        raise BackendError(
            f"aiplatform: trial logs are in Cloud Logging: gcloud ai-platform jobs"
            f" stream-logs {job} --project {project} (trial {trial})")

    # -- trials -------------------------------------------------------------------------------
    def _trials(self, job: dict[str, Any]) -> list[Trial]:
        hyper = (job.get("trainingInput") or {}).get("hyperparameters") or {}
        kinds = {p.get("parameterName"): p.get("type") for p in hyper.get("params") or []}
        output = job.get("trainingOutput") or {}
        tag = output.get("hyperparameterMetricTag") or hyper.get("hyperparameterMetricTag") \
            or "training/hptuning/metric"
        ended = job.get("state") in ENDED
        trials = []
        for t in output.get("trials") or []:
            state = t.get("state", "STATE_UNSPECIFIED")
            status = TRIAL_STATES.get(state, TrialStatus.RUNNING)
            if status is TrialStatus.COMPLETED and t.get("isTrialStoppedEarly"):
                status = TrialStatus.STOPPED
            if not status.terminal and ended:
                status = TrialStatus.CANCELLED
            values = [float(m["objectiveValue"]) for m in t.get("allMetrics") or []
                      if "objectiveValue" in m]
            final = (t.get("finalMetric") or {}).get("objectiveValue")
            if final is not None and not values:
                values = [float(final)]
            if status.counts_as_result and final is None:
                status = TrialStatus.FAILED  # a trial that reported no metric
            trials.append(Trial(
                id=int(t.get("trialId", 0)),
                params={k: _param(v, kinds.get(k, "")) for k, v in
                        (t.get("hyperparameters") or {}).items()},
                status=status, values=values, metrics={tag: list(values)} if values else {},
                reason="no metric reported" if state == "FAILED" and not values else None,
                started_at=timestamp(t.get("startTime")),
                ended_at=timestamp(t.get("endTime")),
            ))
        return sorted(trials, key=lambda t: t.id)

    @staticmethod
    def _best(job: dict[str, Any], trials: list[Trial]) -> Trial | None:
        goal = ((job.get("trainingInput") or {}).get("hyperparameters") or {}).get("goal")
        sign = 1.0 if goal == "MAXIMIZE" else -1.0
        scored = [t for t in trials if t.status.counts_as_result and t.values]
        if not scored:
            return None
        # Equal objectives: the cheaper trial (fewer reports), then the earlier one.
        return min(scored, key=lambda t: (-sign * t.values[-1], t.intervals, t.id))

