"""The Azure ML backend: translation, importers and the azure-ai-ml / MLflow calls (the kit
does the rest: idempotent creation, following, collecting, cancelling, retries, errors).

Every call goes through `MLClient(DefaultAzureCredential(), subscription, resource group,
workspace)`; the cloud comes from the SDK's own settings (`ARM_CLOUD_METADATA_URL`), so the
same code reaches Azure or the offline emulator. Trials are the sweep's child runs:
- while the sweep runs, one MLflow `runs/search` page per 100 trials (status, sampled
  parameters, latest metrics) after one `jobs.get` (the sweep's status and progress tags);
- once it has ended, `jobs.list(parent_job_name=...)` for the children's own statuses and
  every child's metric history (`MlflowClient.get_metric_history`) for the curves.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hpo_bridge.backends import (
    BackendError,
    CloudCallError,
    CloudError,
    Compiled,
    ErrorKind,
    Issues,
    JobState,
    JobStatus,
    NativeBackend,
    RetryPolicy,
    Trial,
    TrialStatus,
    UnknownTrial,
)
from hpo_bridge.spec import TuningSpec
from hpo_bridge_azure.capabilities import CAPABILITIES
from hpo_bridge_azure.errors import classify
from hpo_bridge_azure.translate import DIGEST_TAG, native_sampling, settings_of, translate

PAGE_SIZE = 100  # MLflow runs per search page while polling
JOB_STATES = {
    "NotStarted": JobState.RUNNING, "Queued": JobState.RUNNING, "Preparing": JobState.RUNNING,
    "Provisioning": JobState.RUNNING, "Starting": JobState.RUNNING,
    "Running": JobState.RUNNING, "Finalizing": JobState.RUNNING, "Paused": JobState.RUNNING,
    "NotResponding": JobState.RUNNING, "Unknown": JobState.RUNNING,
    "CancelRequested": JobState.STOPPING, "Completed": JobState.COMPLETED,
    "Failed": JobState.FAILED, "Canceled": JobState.STOPPED,
}
CHILD_STATES = {"Completed": TrialStatus.COMPLETED, "Failed": TrialStatus.FAILED}
MLFLOW_STATES = {"RUNNING": TrialStatus.RUNNING, "SCHEDULED": TrialStatus.PENDING,
                 "FINISHED": TrialStatus.COMPLETED, "FAILED": TrialStatus.FAILED}
GENERATED_TAG = "_aml_system_samples_generated_count"  # HyperDrive's progress mark
_CHILD = re.compile(r"_(\d+)$")  # a sweep's children are <sweep>_0, <sweep>_1, ...
SETTING_VARS = {"subscription_id": "AZURE_SUBSCRIPTION_ID",
                "resource_group": "AZURE_RESOURCE_GROUP",
                "workspace_name": "AZUREML_WORKSPACE_NAME"}
CREDENTIALS_HELP = (
    "no Azure credentials found: run `az login`, or set AZURE_CLIENT_ID, AZURE_TENANT_ID and"
    " AZURE_CLIENT_SECRET (a service principal), or use a managed identity"
    " (DefaultAzureCredential's chain)")


def trial_number(child: str, fallback: int) -> int:
    match = _CHILD.search(child)
    return int(match.group(1)) + 1 if match else fallback


def parse_value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except (TypeError, ValueError):
            continue
    return {"True": True, "False": False, "true": True, "false": False}.get(text, text)


class AzureBackend(NativeBackend):
    name = "azure"
    capabilities = CAPABILITIES
    job_noun = "sweep job"
    import_options = frozenset({"node"})
    rename_hint = "set backends.azure.job_name"
    credentials_help = CREDENTIALS_HELP
    access_hint = "check the identity's role on the workspace"

    def __init__(self, credential: Any = None, retry: RetryPolicy | None = None,
                 on_retry: Callable[[BaseException], None] | None = None, **kwargs: Any):
        super().__init__(retry=retry, on_retry=on_retry, **kwargs)
        self._credential = credential
        self._clients: dict[tuple[str, str, str], Any] = {}
        self._handles: dict[str, tuple[str, str, str]] = {}  # job name -> workspace
        self._pending: dict[str, dict[str, Any]] = {}  # job name -> request being submitted
        self._progress: dict[str, tuple[Any, ...]] = {}  # job name -> last listed progress
        self._trials: dict[str, list[Trial]] = {}
        self._sweeps: dict[str, Any] = {}  # job name -> SweepJob with its code uploaded
        self._children: dict[str, dict[int, str]] = {}  # job name -> trial id -> child run

    # -- translation and import -------------------------------------------------------
    def translate(self, spec: TuningSpec, issues: Issues) -> Compiled:
        return translate(spec, issues)

    def capability_context(self, spec: TuningSpec) -> dict[str, Any]:
        return {"sampling": native_sampling(spec.strategy.algorithm)}

    def import_native(self, data: dict[str, Any]) -> dict[str, Any]:
        from hpo_bridge_azure.importer import import_sweep

        return import_sweep(data)

    def import_file(self, path: Path, options: dict[str, str]) -> dict[str, Any] | None:
        from hpo_bridge_azure.importer import import_sweep_file

        return import_sweep_file(path, node=options.get("node"))

    def classify(self, exc: BaseException) -> CloudError | None:
        return classify(exc)

    # -- the workspace ----------------------------------------------------------------
    def workspace(self, spec: TuningSpec) -> tuple[str, str, str]:
        """(subscription, resource group, workspace) from the spec's settings or the
        environment; every missing one is a line."""
        settings = settings_of(spec)
        found, problems = [], []
        for key, variable in SETTING_VARS.items():
            value = getattr(settings, key) or os.environ.get(variable)
            if not value:
                problems.append(f"{self.name}: backends.azure.{key}: required (or set"
                                f" {variable})")
            found.append(value or "")
        if problems:
            raise BackendError("\n".join(problems))
        return found[0], found[1], found[2]

    def check_access(self, spec: TuningSpec) -> None:
        self.workspace(spec)

    def credential(self) -> Any:
        if self._credential is None:
            from azure.identity import DefaultAzureCredential

            self._credential = DefaultAzureCredential()
        return self._credential

    def client(self, workspace: tuple[str, str, str]) -> Any:
        if workspace not in self._clients:
            from azure.ai.ml import MLClient

            # retry_total=0: the kit's retry policy makes the only retries.
            self._clients[workspace] = MLClient(self.credential(), *workspace,
                                                retry_total=0, enable_telemetry=False)
        return self._clients[workspace]

    def _client_of(self, handle: str) -> Any:
        workspace = self._handles.get(handle)
        if workspace is None:  # a later command (status, cancel): the environment's workspace
            workspace = self._handles[handle] = self._default_workspace()
        return self.client(workspace)

    def remember(self, spec: TuningSpec, handle: str) -> None:
        self._handles[handle] = self.workspace(spec)

    def mlflow(self, handle: str) -> Any:
        """An MlflowClient on the workspace's tracking URI (asked once per workspace)."""
        workspace = self._handles[handle]
        key = ("mlflow", *workspace)
        if key not in self._clients:
            ml = self.client(workspace)
            found = self.call("workspaces.get", ml.workspaces.get, workspace[2])
            from mlflow.tracking import MlflowClient

            self._clients[key] = MlflowClient(tracking_uri=found.mlflow_tracking_uri)
        return self._clients[key]

    # -- the job ------------------------------------------------------------------------
    def job_handle(self, spec: TuningSpec, compiled: Compiled) -> str:
        handle = str(compiled.request["name"])
        self.remember(spec, handle)
        return handle

    def upload(self, spec: TuningSpec, compiled: Compiled) -> None:
        """The SDK's own dependency step (code asset lookup by hash, startPendingUpload,
        blob upload, code version PUT), ahead of the job: a failed upload leaves no job.
        The resolved sweep is kept, so creating it is the job PUT only."""
        import yaml

        from hpo_bridge_azure.translate import load_sweep

        handle = self.job_handle(spec, compiled)
        assert compiled.document is not None
        sweep = load_sweep(yaml.safe_load(compiled.document), spec.base_dir)
        jobs = self._client_of(handle).jobs
        self.call("code upload", jobs._resolve_arm_id_or_upload_dependencies, sweep)
        self._sweeps[handle] = sweep

    def create_job(self, spec: TuningSpec, compiled: Compiled) -> str:
        from azure.core.exceptions import ResourceNotFoundError

        handle = self.job_handle(spec, compiled)
        ml = self._client_of(handle)
        # A PUT of an existing name would change that job: look first (the kit attaches
        # when it is the same request).
        try:
            self.call("jobs.get", ml.jobs.get, handle)
        except CloudCallError as exc:
            if not isinstance(exc.__cause__, ResourceNotFoundError):
                raise
        else:
            self._pending[handle] = compiled.request
            raise CloudCallError(ErrorKind.CONFLICT, "Conflict", f"job {handle} exists")
        if handle not in self._sweeps:
            self.upload(spec, compiled)
        # The same resolved object on every retry: a retry is the PUT only.
        self.call("jobs.create_or_update", ml.jobs.create_or_update, self._sweeps[handle])
        return handle

    def existing_request(self, handle: str) -> dict[str, Any]:
        """The existing job's REST body. References the service resolves (code,
        environment, compute) are compared through the request digest kept as a tag."""
        job = self.call("jobs.get", self._client_of(handle).jobs.get, handle)
        body: dict[str, Any] = job._to_rest_object().as_dict()
        wanted = self._pending.get(handle)
        props = body.get("properties", {})
        if wanted is not None and (props.get("tags") or {}).get(DIGEST_TAG) == \
                wanted["properties"].get("tags", {}).get(DIGEST_TAG):
            trial = props.get("trial", {})
            for key in ("codeId", "environmentId"):
                if key in wanted["properties"].get("trial", {}):
                    trial[key] = wanted["properties"]["trial"][key]
            if "computeId" in wanted["properties"]:
                props["computeId"] = wanted["properties"]["computeId"]
        return body

    def _job(self, handle: str) -> Any:
        return self.call("jobs.get", self._client_of(handle).jobs.get, handle)

    def job_status(self, handle: str) -> JobStatus:
        if handle not in self._handles:  # a job of another workspace: ask with the defaults
            self._handles[handle] = self._default_workspace()
        job = self._job(handle)
        native = _status_text(job.status) or "Unknown"
        tags, props = dict(job.tags or {}), dict(job.properties or {})
        best = props.get("best_child_run_id")
        score = props.get("score")
        progress = (native, tags.get(GENERATED_TAG), best, score)
        trials = self._trials.get(handle)
        if trials is None or progress != self._progress.get(handle):
            trials = self._search_trials(handle)  # only when the sweep's own marks moved
            self._progress[handle] = progress
        counts = {s: sum(1 for t in trials if t.status is s) for s in TrialStatus}
        return JobStatus(
            state=JOB_STATES.get(native, JobState.RUNNING), native_state=native,
            trials_total=len(trials),
            trials_completed=counts[TrialStatus.COMPLETED],
            trials_running=counts[TrialStatus.RUNNING] + counts[TrialStatus.PENDING],
            trials_failed=counts[TrialStatus.FAILED] + counts[TrialStatus.TIMEOUT],
            trials_stopped=counts[TrialStatus.STOPPED] + counts[TrialStatus.CANCELLED],
            best_trial=best, best_value=float(score) if score not in (None, "") else None,
        )

    def _default_workspace(self) -> tuple[str, str, str]:
        values = tuple(os.environ.get(v, "") for v in SETTING_VARS.values())
        return values[0], values[1], values[2]

    def stop_job(self, handle: str) -> None:
        poller = self.call("jobs.begin_cancel", self._client_of(handle).jobs.begin_cancel,
                           handle)
        self.call("jobs.begin_cancel", poller.result)

    # -- trials -------------------------------------------------------------------------
    def list_trials(self, handle: str) -> list[Trial]:
        """The trials of the last status call (which lists them when the sweep moved)."""
        if handle not in self._trials:
            self._search_trials(handle)
        return [_copy(t) for t in self._trials[handle]]

    def _search_trials(self, handle: str) -> list[Trial]:
        client = self.mlflow(handle)
        objective = self._objective(handle)
        runs: list[Any] = []
        token = None
        while True:
            page = self.call("mlflow runs/search", client.search_runs,
                             experiment_ids=self._experiments(handle),
                             filter_string=f"tags.mlflow.parentRunId = '{handle}'",
                             max_results=PAGE_SIZE, page_token=token)
            runs += list(page)
            token = page.token
            if not token:
                break
        trials = sorted((self._trial_from_run(handle, run, objective, i)
                         for i, run in enumerate(runs, 1)), key=lambda t: t.id)
        self._trials[handle] = trials
        return trials

    def _objective(self, handle: str) -> str | None:
        key = ("objective", handle)
        if key not in self._clients:
            job = self._job(handle)
            self._clients[key] = getattr(job.objective, "primary_metric", None)
            self._clients[("experiment", handle)] = job.experiment_name
        objective: str | None = self._clients[key]
        return objective

    def _experiments(self, handle: str) -> list[str]:
        key = ("experiment-ids", handle)
        if key not in self._clients:
            self._objective(handle)
            name = self._clients[("experiment", handle)]
            found = self.call("mlflow experiments/get-by-name",
                              self.mlflow(handle).get_experiment_by_name, name)
            self._clients[key] = [found.experiment_id] if found is not None else []
        ids: list[str] = self._clients[key]
        return ids

    def _trial_from_run(self, handle: str, run: Any, objective: str | None,
                        fallback: int) -> Trial:
        child = run.info.run_id
        trial_id = trial_number(child, fallback)
        self._children.setdefault(handle, {})[trial_id] = child
        metrics = {k: [float(v)] for k, v in run.data.metrics.items()}
        values = list(metrics.get(objective or "", []))
        status = MLFLOW_STATES.get(run.info.status)
        if status is None:  # KILLED: early termination (it has values) or cancelled
            status = TrialStatus.STOPPED if values else TrialStatus.CANCELLED
        return Trial(id=trial_id, params={k: parse_value(v) for k, v in run.data.params.items()},
                     status=status, values=values, metrics=metrics,
                     started_at=(run.info.start_time or 0) / 1000 or None,
                     ended_at=(run.info.end_time or 0) / 1000 or None)

    def final_trials(self, handle: str) -> list[Trial]:
        """Once the sweep has ended: the children's own statuses (`jobs.list`) and every
        metric's whole history (one MLflow call per child and metric, once)."""
        trials = self._search_trials(handle)
        ml = self._client_of(handle)
        children = {c.name: c for c in self.call(
            "jobs.list", lambda: list(ml.jobs.list(parent_job_name=handle)))}
        client = self.mlflow(handle)
        objective = self._objective(handle)
        for trial in trials:
            child = self._children[handle][trial.id]
            found = children.get(child)
            native = _status_text(getattr(found, "status", None))
            if native in CHILD_STATES:
                trial.status = CHILD_STATES[native]
            elif native == "Canceled":
                trial.status = TrialStatus.STOPPED if trial.values else TrialStatus.CANCELLED
            for key in list(trial.metrics):
                history = self.call("mlflow metrics/get-history", client.get_metric_history,
                                    child, key)
                ordered = sorted(history, key=lambda m: (m.step, m.timestamp))
                trial.metrics[key] = [float(m.value) for m in ordered]
            trial.values = list(trial.metrics.get(objective or "", []))
        return trials

    # -- logs ---------------------------------------------------------------------------
    def child_name(self, handle: str, trial: str) -> str:
        if not trial.isdigit():
            return trial
        if int(trial) not in self._children.get(handle, {}):
            self._search_trials(handle)
        child = self._children.get(handle, {}).get(int(trial))
        if child is None:
            raise UnknownTrial(f"{self.name}: no trial {trial} in {handle}")
        return child

    def trial_logs(self, handle: str, trial: str) -> Iterator[str]:
        """The child run's log files (user_logs/std_log.txt...), from its run details."""
        import requests

        child = self.child_name(handle, trial)
        runs = self._client_of(handle).jobs._runs_operations  # run history: the log files
        details = self.call("run history details", runs.get_run_details, child)
        for name, url in sorted((details.log_files or {}).items()):
            text = self.call("log file", _download, requests, url)
            yield f"== {name}"
            yield from text.splitlines()


def _status_text(status: Any) -> str:
    """azure-ai-ml gives statuses as a str enum (JobStatus.COMPLETED) or a plain string."""
    return str(getattr(status, "value", status) or "")


def _download(requests: Any, url: str) -> str:
    response = requests.get(url, timeout=60)
    response.raise_for_status()
    return str(response.text)


def _copy(trial: Trial) -> Trial:
    return Trial(id=trial.id, params=dict(trial.params), status=trial.status,
                 values=list(trial.values), metrics={k: list(v) for k, v in trial.metrics.items()},
                 reason=trial.reason, started_at=trial.started_at, ended_at=trial.ended_at)


class HyperDriveImporter(AzureBackend):
    """`--from hyperdrive`: an Azure ML v1 HyperDriveConfig written in Python, read with
    `ast` (never executed). Compiling and running is the v2 sweep's (`--backend azure`)."""

    name = "hyperdrive"

    def import_native(self, data: dict[str, Any]) -> dict[str, Any]:
        raise BackendError(f"{self.name}: give the Python file that builds the"
                           " HyperDriveConfig")

    def import_file(self, path: Path, options: dict[str, str]) -> dict[str, Any] | None:
        from hpo_bridge_azure.hyperdrive import import_hyperdrive_file

        return import_hyperdrive_file(path)

    def translate(self, spec: TuningSpec, issues: Issues) -> Compiled:
        raise BackendError(f"{self.name}: v1 HyperDriveConfig files are imported only"
                           " (`hpo-bridge import FILE --from hyperdrive`); compile and run the"
                           " spec with --backend azure (a v2 sweep job)")
