"""ARM and run history as Azure ML answers them: workspace, discovery, code assets,
environments, jobs (create, get, cancel with its 202 + Location operation), a sweep's
children, run details and log files. Errors are ARM's `{"error": {"code", "message"}}`
(404 -> the SDK's ResourceNotFoundError, 400 -> HttpResponseError).

Any subscription, resource group and workspace name is accepted: a workspace exists as
soon as it is asked for, as the emulator's one region.
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hpo_bridge_localstack.azure.blobs import Azurite
from hpo_bridge_localstack.azure.host import Sweep, SweepHost, now_iso
from hpo_bridge_localstack.azure.mlflow_api import MlflowRuns
from hpo_bridge_localstack.azure.sweep import check
from hpo_bridge_localstack.framework.http import Request, Response, json_response, read_json
from hpo_bridge_localstack.framework.tuning_run import EmulatedTuningRun

PROVIDER = "Microsoft.MachineLearningServices"
LOCATION = "local"
PAGE = 100  # children per run-history page
TERMINAL = ("Completed", "Failed", "Canceled")


class ArmError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def arm_error(status: int, code: str, message: str) -> Response:
    return json_response({"error": {"code": code, "message": message}}, status)


def workspace_path(sub: str, rg: str, ws: str) -> str:
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{PROVIDER}/workspaces/{ws}"


def system_data(when: float) -> dict[str, Any]:
    stamp = now_iso(when)
    return {"createdAt": stamp, "createdBy": "emulator", "createdByType": "User",
            "lastModifiedAt": stamp, "lastModifiedBy": "emulator",
            "lastModifiedByType": "User"}


class AzureMLService:
    def __init__(self, url: str, work_dir: Path, azurite: Azurite | None, ca_file: str,
                 run_jobs: bool = True) -> None:
        self.url = url
        self.work_dir = work_dir
        self.azurite = azurite
        self.ca_file = ca_file
        self.run_jobs = run_jobs
        self.lock = threading.RLock()
        self.mlflow = MlflowRuns()
        self.codes: dict[str, dict[str, Any]] = {}  # ARM id -> code version resource
        self.environments: dict[str, dict[str, Any]] = {}
        self.sweeps: dict[tuple[str, str], Sweep] = {}  # (workspace, name)
        self.hosts: dict[tuple[str, str], SweepHost] = {}
        self.runs: dict[tuple[str, str], EmulatedTuningRun] = {}
        self.operations: dict[str, tuple[str, str]] = {}

    def close(self) -> None:
        with self.lock:
            runs = list(self.runs.values())
        for run in runs:
            run.request_stop("the emulator is shutting down")
        for run in runs:
            run.join(timeout=60)

    # -- workspace -------------------------------------------------------------------------
    def mlflow_uri(self, workspace: str) -> str:
        return f"{self.url}/mlflow/v1.0{workspace}"

    def workspace(self, sub: str, rg: str, ws: str) -> dict[str, Any]:
        path = workspace_path(sub, rg, ws)
        return {
            "id": path, "name": ws, "type": f"{PROVIDER}/workspaces", "location": LOCATION,
            "kind": "Default", "tags": {},
            "identity": {"type": "SystemAssigned"},
            "sku": {"name": "Basic", "tier": "Basic"},
            "properties": {
                "friendlyName": ws, "discoveryUrl": f"{self.url}/discovery{path}",
                "mlFlowTrackingUri": self.mlflow_uri(path),
                "workspaceId": str(uuid.uuid5(uuid.NAMESPACE_URL, path)),
                "provisioningState": "Succeeded", "hbiWorkspace": False,
                "publicNetworkAccess": "Enabled", "v1LegacyMode": False,
            },
            "systemData": system_data(0),
        }

    def discovery(self) -> dict[str, Any]:
        return {"api": self.url, "catalog": self.url, "experimentation": self.url,
                "gallery": self.url, "history": self.url, "hyperdrive": self.url,
                "labeling": self.url, "modelmanagement": self.url, "pipelines": self.url,
                "studio": self.url}

    # -- code assets -----------------------------------------------------------------------
    def code_versions(self, path: str, name: str, request: Request) -> dict[str, Any]:
        wanted = request.args.get("hash")
        with self.lock:
            found = [c for c in self.codes.values()
                     if c["id"].startswith(f"{path}/codes/")
                     and (wanted is None or c["properties"]["properties"].get("hash_sha256")
                          == wanted)
                     and (wanted is not None or c["name"] == name)]
        return {"value": found}

    def start_pending_upload(self, path: str, name: str, version: str) -> dict[str, Any]:
        if self.azurite is None:
            raise ArmError(400, "UserError", "the emulator runs without blob storage")
        container = "code-" + hashlib.sha256(f"{path}/{name}/{version}".encode()).hexdigest()[:24]
        sas_url = self.azurite.container_sas_url(container)
        blob_uri = sas_url.split("?", 1)[0]
        return {"blobReferenceForConsumption": {
                    "blobUri": blob_uri, "storageAccountArmId": None,
                    "credential": {"credentialType": "SAS", "sasUri": sas_url}},
                "pendingUploadId": str(uuid.uuid4()),
                "pendingUploadType": "TemporaryBlobReference"}

    def put_code(self, path: str, name: str, version: str, body: dict[str, Any]) -> dict[str, Any]:
        arm_id = f"{path}/codes/{name}/versions/{version}"
        props = dict(body.get("properties") or {})
        if not props.get("codeUri"):
            raise ArmError(400, "UserError", "properties.codeUri: required")
        resource = {"id": arm_id, "name": version, "type": f"{PROVIDER}/workspaces/codes/versions",
                    "properties": {"isAnonymous": props.get("isAnonymous", False),
                                   "isArchived": False, "codeUri": props["codeUri"],
                                   "description": props.get("description"),
                                   "properties": props.get("properties") or {},
                                   "tags": props.get("tags") or {},
                                   "provisioningState": "Succeeded"},
                    "systemData": system_data(time.time())}
        with self.lock:
            self.codes[arm_id] = resource
        return resource

    def get_code(self, path: str, name: str, version: str) -> dict[str, Any]:
        found = self.codes.get(f"{path}/codes/{name}/versions/{version}")
        if found is None:
            raise ArmError(404, "ResourceNotFound", f"code {name}:{version} not found")
        return found

    def fetch_code(self, code_id: str, target: Path) -> Path:
        """The code asset's files (from Azurite) in `target`."""
        arm_id = code_id.split("azureml:", 1)[-1]
        with self.lock:
            code = self.codes.get(arm_id)
        if code is None or self.azurite is None:
            raise LookupError(f"code asset {code_id} not found")
        uri = code["properties"]["codeUri"]
        account = self.azurite.account_url
        if not uri.startswith(account):
            raise LookupError(f"code asset {code_id} is not in the emulator's storage ({uri})")
        container, _, prefix = uri[len(account):].lstrip("/").partition("/")
        target.mkdir(parents=True, exist_ok=True)
        if self.azurite.download(container, prefix, target) == 0:
            raise LookupError(f"code asset {code_id} has no files ({uri})")
        return target

    # -- environments ----------------------------------------------------------------------
    def put_environment(self, path: str, name: str, version: str,
                        body: dict[str, Any]) -> dict[str, Any]:
        arm_id = f"{path}/environments/{name}/versions/{version}"
        resource = {"id": arm_id, "name": version,
                    "type": f"{PROVIDER}/workspaces/environments/versions",
                    "properties": {**(body.get("properties") or {}),
                                   "provisioningState": "Succeeded"},
                    "systemData": system_data(time.time())}
        with self.lock:
            self.environments[arm_id] = resource
        return resource

    def get_environment(self, path: str, name: str, version: str) -> dict[str, Any]:
        found = self.environments.get(f"{path}/environments/{name}/versions/{version}")
        if found is None:
            raise ArmError(404, "ResourceNotFound", f"environment {name}:{version} not found")
        return found

    # -- jobs ------------------------------------------------------------------------------
    def put_job(self, path: str, name: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        props = body.get("properties") or {}
        if props.get("jobType") != "Sweep":
            raise ArmError(400, "UserError", f"the emulator runs sweep jobs only (jobType"
                                             f" {props.get('jobType')!r})")
        key = (path, name)
        with self.lock:
            existing = self.sweeps.get(key)
            if existing is not None:
                if _comparable(existing.body) != _comparable(body):
                    raise ArmError(400, "UserError",
                                   f"A job with name {name} already exists with a different"
                                   " definition; jobs are immutable")
                return 200, self.job_resource(existing)
            problems = check(props)
            if problems:
                raise ArmError(400, "UserError", "; ".join(problems))
            try:
                from hpo_bridge_localstack.azure.sweep import build_spec

                build_spec(name, props)
            except Exception as exc:  # SpecError: the local run cannot express it
                raise ArmError(400, "UserError", "the emulator cannot run this sweep: "
                               + " ".join(str(exc).split())) from None
            sweep = Sweep(name, path, {"properties": dict(props)})
            self.sweeps[key] = sweep
            if self.run_jobs:
                host = SweepHost(self, sweep)
                run = EmulatedTuningRun(host, self.work_dir / "jobs" / _safe(name),
                                        name=f"sweep-{name}")
                self.hosts[key], self.runs[key] = host, run
                run.start()
            return 201, self.job_resource(sweep)

    def sweep(self, path: str, name: str) -> Sweep:
        found = self.sweeps.get((path, name))
        if found is None:
            raise ArmError(404, "UserError", f"Could not find job {name}")
        return found

    def job_resource(self, sweep: Sweep) -> dict[str, Any]:
        with self.lock:
            props = dict(sweep.props)
            props["status"] = sweep.status
            tags = dict(props.get("tags") or {})
            host = self.hosts.get((sweep.workspace, sweep.name))
            if host is not None:
                tags.update(host.tags())
            props["tags"] = tags
            extra = dict(props.get("properties") or {})
            if sweep.best is not None:
                extra.update({"best_child_run_id": sweep.best[0],
                              "score": repr(sweep.best[1]), "best_metric_status": "Succeeded"})
            props["properties"] = extra
            props["services"] = {"Studio": {"jobServiceType": "Studio",
                                            "endpoint": f"{self.url}/studio/{sweep.name}"}}
        return {"id": f"{sweep.workspace}/jobs/{sweep.name}", "name": sweep.name,
                "type": f"{PROVIDER}/workspaces/jobs", "properties": props,
                "systemData": system_data(sweep.created)}

    def cancel_job(self, path: str, name: str) -> str:
        sweep = self.sweep(path, name)
        with self.lock:
            if sweep.status not in TERMINAL:
                sweep.status = "CancelRequested"
                sweep.say(f"Sweep {name}: cancellation requested")
                run = self.runs.get((path, name))
                if run is not None:
                    run.request_stop("canceled by the user")
                else:
                    sweep.status = "Canceled"
            operation = str(uuid.uuid4())
            self.operations[operation] = (path, name)
        return operation

    def run_finished(self, path: str, name: str) -> None:
        with self.lock:
            self.runs.pop((path, name), None)

    # -- run history -----------------------------------------------------------------------
    def run(self, path: str, run_id: str) -> dict[str, Any]:
        sweep, child = self._run(path, run_id)
        if child is None:
            return {"runId": sweep.name, "rootRunId": sweep.name, "status": sweep.status,
                    "experimentId": sweep.experiment, "displayName": sweep.props.get(
                        "displayName") or sweep.name, "runType": "hyperdrive",
                    "tags": self.job_resource(sweep)["properties"]["tags"],
                    "properties": self.job_resource(sweep)["properties"]["properties"],
                    "createdUtc": now_iso(sweep.created),
                    "endTimeUtc": now_iso(sweep.ended) if sweep.ended else None}
        return {
            "runId": child.run_id, "parentRunId": sweep.name, "rootRunId": sweep.name,
            "runNumber": child.trial_id, "status": child.status,
            "experimentId": sweep.experiment, "displayName": child.run_id,
            "runType": "azureml.scriptrun",
            "tags": {"hyperparameters": _json(child.params)},
            "properties": {"_azureml.ComputeTargetType": "local",
                           "best_metric": repr(child.best) if child.best is not None else ""},
            "createdUtc": now_iso(child.created),
            "startTimeUtc": now_iso(child.started) if child.started else None,
            "endTimeUtc": now_iso(child.ended) if child.ended else None,
            "error": {"error": {"code": "UserError", "message": child.error}}
            if child.error else None,
        }

    def _run(self, path: str, run_id: str) -> tuple[Sweep, Any]:
        with self.lock:
            sweep = self.sweeps.get((path, run_id))
            if sweep is not None:
                return sweep, None
            base, _, number = run_id.rpartition("_")
            sweep = self.sweeps.get((path, base))
            if sweep is not None and number.isdigit():
                child = sweep.children.get(int(number) + 1)
                if child is not None:
                    return sweep, child
        raise ArmError(404, "UserError", f"Run {run_id} was not found")

    def children(self, path: str, run_id: str, request: Request) -> dict[str, Any]:
        sweep = self.sweep(path, run_id)
        with self.lock:
            ids = sorted(sweep.children)
        start = int(request.args.get("continuationtoken") or request.args.get(
            "$continuationToken") or 0)
        limit = request.args.get("$top") or request.args.get("top")
        if limit:
            ids = ids[:int(limit)]
        page = ids[start:start + PAGE]
        out: dict[str, Any] = {"value": [self.run(path, sweep.children[i].run_id)
                                         for i in page]}
        if start + PAGE < len(ids):
            out["nextLink"] = (f"{self.url}/history/v1.0{path}/runs/{quote(run_id)}/children"
                               f"?continuationtoken={start + PAGE}")
        return out

    def details(self, path: str, run_id: str) -> dict[str, Any]:
        sweep, child = self._run(path, run_id)
        run = self.run(path, run_id)
        log = "azureml-logs/hyperdrive.txt" if child is None else "user_logs/std_log.txt"
        run["logFiles"] = {log: f"{self.url}/logs{path}/{quote(run_id)}/{log}"}
        run["warnings"] = []
        return run

    def log_text(self, path: str, run_id: str) -> str:
        sweep, child = self._run(path, run_id)
        with self.lock:
            lines = list(sweep.log if child is None else child.log)
        return "".join(f"{line}\n" for line in lines)


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    props = dict(body.get("properties") or {})
    for key in ("status", "services", "properties", "tags", "description", "displayName"):
        props.pop(key, None)
    return props


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:100]


def _json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True)


def read_body(request: Request) -> dict[str, Any]:
    try:
        body = read_json(request) or {}
    except ValueError:
        raise ArmError(400, "UserError", "the body is not JSON") from None
    if not isinstance(body, dict):
        raise ArmError(400, "UserError", "the body must be a JSON object")
    return body
