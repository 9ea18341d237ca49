"""The MLflow REST subset Azure ML's tracking URI serves, under /mlflow/v1.0 and /v2.0.

Runs are Azure's: a sweep's child run is called `<sweep>_<n>`, its parent is the sweep. Each
child's data lives in the MLflow file store of the emulated tuning run (the azure trial
contract's own store, which hpo-bridge's core reads the metrics from), so a trial's real
`mlflow` client logs through this endpoint into the store the stopping rules watch. This
module maps Azure's run ids to (store, run uuid) and answers with mlflow's own entities and
protobuf JSON: runs/get, runs/update, runs/log-metric, runs/log-parameter, runs/log-batch,
runs/set-tag, metrics/get-history, runs/search, experiments/get-by-name, experiments/get.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any

from hpo_bridge_localstack.framework.http import Request, Response, json_response, read_json

PARENT_TAG = "mlflow.parentRunId"
MAX_RESULTS = 1000


class MlflowError(Exception):
    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def experiment_id(name: str) -> str:
    """A stable id per experiment name (Azure's are GUIDs)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"hpo-bridge-experiment:{name}"))


@dataclass
class RunLink:
    """An Azure run backed by a run of an MLflow file store."""

    run_id: str  # Azure's id (the job name)
    experiment: str  # Azure's experiment name
    store_root: str  # the file store's folder
    store_run: str  # the run's uuid in that store
    parent: str | None = None  # Azure's id of the parent run


class MlflowRuns:
    """Azure run id -> file-store run, and the REST handlers over them."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.links: dict[str, RunLink] = {}
        self._stores: dict[str, Any] = {}

    def link(self, link: RunLink) -> None:
        with self.lock:
            self.links[link.run_id] = link

    def store(self, root: str) -> Any:
        from mlflow.store.tracking.file_store import FileStore

        with self.lock:
            if root not in self._stores:
                self._stores[root] = FileStore(root)
            return self._stores[root]

    def _link(self, run_id: Any) -> RunLink:
        found = self.links.get(str(run_id)) if run_id else None
        if found is None:
            raise MlflowError("RESOURCE_DOES_NOT_EXIST", f"Run '{run_id}' not found.", 404)
        return found

    # -- entities as Azure sees them -------------------------------------------------------
    def azure_run(self, link: RunLink) -> Any:
        from mlflow.entities import Run, RunData, RunInfo, RunTag

        stored = self.store(link.store_root).get_run(link.store_run)
        info = stored.info
        tags = dict(stored.data.tags)
        if link.parent is not None:
            tags[PARENT_TAG] = link.parent
        tags["mlflow.runName"] = link.run_id
        return Run(
            RunInfo(run_id=link.run_id, experiment_id=experiment_id(link.experiment),
                    user_id=info.user_id, status=info.status, start_time=info.start_time,
                    end_time=info.end_time, lifecycle_stage=info.lifecycle_stage,
                    artifact_uri=info.artifact_uri, run_name=link.run_id),
            RunData(metrics=list(stored.data._metric_objs),
                    params=_params(stored.data.params),
                    tags=[RunTag(k, v) for k, v in tags.items()]),
        )

    # -- REST ------------------------------------------------------------------------------
    def handle(self, request: Request, operation: str) -> Response:
        try:
            body = (read_json(request) or {}) if request.method == "POST" else dict(
                request.args)
            answer = self._dispatch(operation, request, body)
            return json_response(answer)
        except MlflowError as exc:
            return json_response({"error_code": exc.code, "message": str(exc)}, exc.status)
        except (ValueError, KeyError, TypeError) as exc:
            return json_response({"error_code": "INVALID_PARAMETER_VALUE",
                                  "message": f"{type(exc).__name__}: {exc}"}, 400)

    def _dispatch(self, operation: str, request: Request, body: dict[str, Any]) -> Any:
        from mlflow.entities import Metric, Param, RunTag
        from mlflow.utils.proto_json_utils import message_to_json

        def proto(entity: Any) -> Any:
            return json.loads(message_to_json(entity.to_proto()))

        run_id = body.get("run_id") or body.get("run_uuid")
        if operation == "runs/get":
            return {"run": proto(self.azure_run(self._link(run_id)))}
        if operation == "runs/update":
            link = self._link(run_id)
            store = self.store(link.store_root)
            current = store.get_run(link.store_run).info
            info = store.update_run_info(link.store_run, body.get("status", current.status),
                                         body.get("end_time", current.end_time),
                                         current.run_name)
            out = proto(info)
            out.update({"run_id": link.run_id, "run_uuid": link.run_id,
                        "experiment_id": experiment_id(link.experiment),
                        "run_name": link.run_id})
            return {"run_info": out}
        if operation == "runs/log-metric":
            link = self._link(run_id)
            self.store(link.store_root).log_metric(link.store_run, Metric(
                body["key"], float(body["value"]), int(body.get("timestamp") or 0),
                int(body.get("step") or 0)))
            return {}
        if operation == "runs/log-parameter":
            link = self._link(run_id)
            self.store(link.store_root).log_param(link.store_run,
                                                  Param(body["key"], str(body["value"])))
            return {}
        if operation == "runs/set-tag":
            link = self._link(run_id)
            self.store(link.store_root).set_tag(link.store_run,
                                                RunTag(body["key"], str(body["value"])))
            return {}
        if operation == "runs/log-batch":
            link = self._link(run_id)
            self.store(link.store_root).log_batch(
                link.store_run,
                metrics=[Metric(m["key"], float(m["value"]), int(m.get("timestamp") or 0),
                                int(m.get("step") or 0)) for m in body.get("metrics", [])],
                params=[Param(p["key"], str(p["value"])) for p in body.get("params", [])],
                tags=[RunTag(t["key"], str(t["value"])) for t in body.get("tags", [])])
            return {}
        if operation == "metrics/get-history":
            link = self._link(run_id)
            history = self.store(link.store_root).get_metric_history(
                link.store_run, body["metric_key"])
            return {"metrics": [proto(m) for m in history]}
        if operation == "runs/search":
            return self._search(body)
        if operation == "experiments/get-by-name":
            name = body.get("experiment_name")
            if not any(link.experiment == name for link in list(self.links.values())):
                raise MlflowError("RESOURCE_DOES_NOT_EXIST",
                                  f"Could not find experiment with name '{name}'", 404)
            return {"experiment": _experiment(str(name))}
        if operation == "experiments/get":
            wanted = body.get("experiment_id")
            for link in list(self.links.values()):
                if experiment_id(link.experiment) == wanted:
                    return {"experiment": _experiment(link.experiment)}
            raise MlflowError("RESOURCE_DOES_NOT_EXIST", f"No experiment {wanted}", 404)
        raise MlflowError("ENDPOINT_NOT_FOUND", f"the emulator does not serve {operation}", 404)

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        from mlflow.utils.proto_json_utils import message_to_json
        from mlflow.utils.search_utils import SearchUtils

        wanted = set(body.get("experiment_ids") or [])
        links = [link for link in list(self.links.values())
                 if experiment_id(link.experiment) in wanted]
        runs = [self.azure_run(link) for link in sorted(links, key=_order)]
        runs = SearchUtils.filter(runs, body.get("filter") or "")
        runs = SearchUtils.sort(runs, body.get("order_by") or [])
        limit = min(int(body.get("max_results") or MAX_RESULTS), 50000)
        page, token = SearchUtils.paginate(runs, body.get("page_token"), limit)
        out: dict[str, Any] = {"runs": [json.loads(message_to_json(r.to_proto())) for r in page]}
        if token:
            out["next_page_token"] = token
        return out


def _order(link: RunLink) -> tuple[str, int]:
    base, _, number = link.run_id.rpartition("_")
    return (base, int(number)) if number.isdigit() else (link.run_id, -1)


def _params(params: dict[str, str]) -> list[Any]:
    from mlflow.entities import Param

    return [Param(k, v) for k, v in params.items()]


def _experiment(name: str) -> dict[str, Any]:
    return {"experiment_id": experiment_id(name), "name": name,
            "artifact_location": "", "lifecycle_stage": "active", "tags": []}
