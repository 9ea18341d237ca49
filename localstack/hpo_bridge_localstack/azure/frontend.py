"""`hpo-bridge emulate azure`: Azure ML on one HTTPS endpoint, blobs in Azurite.

azure-core refuses bearer tokens over plain http, so the endpoint is https with a
certificate made at start (framework/tls.py). What a user exports, and nothing else, points
unchanged code (`MLClient(DefaultAzureCredential(), sub, rg, ws)`, `mlflow`) here:

    ARM_CLOUD_METADATA_URL  the cloud metadata document (the SDK picks the cloud whose
                            resourceManager is this endpoint)
    REQUESTS_CA_BUNDLE      the emulator's CA (azure-core, azure-identity, MLflow use requests)
    IDENTITY_ENDPOINT, IDENTITY_HEADER   a managed identity: DefaultAzureCredential asks
                            this endpoint's /msi/token
    AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZUREML_WORKSPACE_NAME   defaults for
                            hpo-bridge's azure backend (any names work)

Operations (for stats and faults): `metadata`, `msi`, `workspaces.get`, `discovery`,
`codes.list`, `codes.startPendingUpload`, `codes.createOrUpdate`, `codes.get`,
`environments.*`, `jobs.createOrUpdate`, `jobs.get`, `jobs.cancel`, `operations.get`,
`runs.get`, `runs.details`, `runs.children`, `logs.get`, `mlflow:<route>` (e.g.
`mlflow:runs/search`).
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.azure.blobs import Azurite
from hpo_bridge_localstack.azure.service import (
    PROVIDER,
    ArmError,
    AzureMLService,
    arm_error,
    read_body,
    workspace_path,
)
from hpo_bridge_localstack.framework.faults import DENY, THROTTLE
from hpo_bridge_localstack.framework.frontend import FrontEnd, Site
from hpo_bridge_localstack.framework.http import Request, Response, json_response
from hpo_bridge_localstack.framework.routing import Call
from hpo_bridge_localstack.framework.tls import LocalTls, local_tls

CLOUD = "HpoBridgeLocal"
W = (f"/subscriptions/<sub>/resourceGroups/<rg>/providers/{PROVIDER}/workspaces/<ws>")
DEFAULTS = {"AZURE_SUBSCRIPTION_ID": "00000000-0000-0000-0000-000000000000",
            "AZURE_RESOURCE_GROUP": "hpo-bridge", "AZUREML_WORKSPACE_NAME": "local"}
MLFLOW_ROUTES = ("runs/get", "runs/update", "runs/log-metric", "runs/log-parameter",
                 "runs/log-batch", "runs/set-tag", "metrics/get-history", "runs/search",
                 "experiments/get-by-name", "experiments/get")


class AzureFrontEnd(FrontEnd):
    default_port = 8443

    def __init__(self, run_jobs: bool = True, blobs: bool = True) -> None:
        self.run_jobs = run_jobs
        self.blobs = blobs
        self.tls: LocalTls | None = None
        self.url = ""
        self.service: AzureMLService | None = None
        self.azurite: Azurite | None = None

    def ssl_context(self, host: str, work_dir: Path) -> ssl.SSLContext | None:
        self.tls = local_tls(work_dir / "tls")
        return self.tls.context

    def mount(self, site: Site) -> None:
        assert self.tls is not None
        self.url = site.url
        if self.blobs:
            self.azurite = Azurite(site.work_dir)
            site.add_child(self.azurite.child)
        self.service = AzureMLService(site.url, site.work_dir, self.azurite,
                                      str(self.tls.ca_file), run_jobs=self.run_jobs)
        r, s = site.router, self.service

        def arm(fn: Callable[..., Any], status: int = 200) -> Callable[..., Response]:
            def handler(request: Request, **values: Any) -> Response:
                try:
                    answer = fn(request, **values)
                except ArmError as exc:
                    return arm_error(exc.status, exc.code, str(exc))
                if isinstance(answer, Response):
                    return answer
                return json_response(answer, status)
            handler.__name__ = fn.__name__
            return handler

        ws_ = workspace_path
        r.route("/metadata/endpoints", arm(lambda q: self.metadata()), operation="metadata")
        r.route("/msi/token", self.token, operation="msi")
        r.route(W, arm(lambda q, sub, rg, ws: s.workspace(sub, rg, ws)),
                operation="workspaces.get")
        r.route(f"/discovery{W}", arm(lambda q, **v: s.discovery()), operation="discovery")
        r.route(f"{W}/codes/<name>/versions",
                arm(lambda q, sub, rg, ws, name: s.code_versions(ws_(sub, rg, ws), name, q)),
                operation="codes.list")
        r.route(f"{W}/codes/<name>/versions/<version>/startPendingUpload",
                arm(lambda q, sub, rg, ws, name, version: s.start_pending_upload(
                    ws_(sub, rg, ws), name, version)),
                methods=("POST",), operation="codes.startPendingUpload")
        r.route(f"{W}/codes/<name>/versions/<version>",
                arm(lambda q, sub, rg, ws, name, version: s.put_code(
                    ws_(sub, rg, ws), name, version, read_body(q)), 201),
                methods=("PUT",), operation="codes.createOrUpdate")
        r.route(f"{W}/codes/<name>/versions/<version>",
                arm(lambda q, sub, rg, ws, name, version: s.get_code(
                    ws_(sub, rg, ws), name, version)), operation="codes.get")
        r.route(f"{W}/environments/<name>/versions/<version>",
                arm(lambda q, sub, rg, ws, name, version: s.put_environment(
                    ws_(sub, rg, ws), name, version, read_body(q)), 201),
                methods=("PUT",), operation="environments.createOrUpdate")
        r.route(f"{W}/environments/<name>/versions/<version>",
                arm(lambda q, sub, rg, ws, name, version: s.get_environment(
                    ws_(sub, rg, ws), name, version)), operation="environments.get")
        r.route(f"{W}/jobs/<name>", arm(self.put_job), methods=("PUT",),
                operation="jobs.createOrUpdate")
        r.route(f"{W}/jobs/<name>",
                arm(lambda q, sub, rg, ws, name: s.job_resource(s.sweep(ws_(sub, rg, ws),
                                                                        name))),
                operation="jobs.get")
        r.route(f"{W}/jobs/<name>/cancel", arm(self.cancel), methods=("POST",),
                operation="jobs.cancel")
        r.route("/operations/<operation>", arm(self.operation), operation="operations.get")
        history = f"/history/v1.0{W}"
        r.route(f"{history}/runs/<run>",
                arm(lambda q, sub, rg, ws, run: s.run(ws_(sub, rg, ws), run)),
                operation="runs.get")
        r.route(f"{history}/runs/<run>/details",
                arm(lambda q, sub, rg, ws, run: s.details(ws_(sub, rg, ws), run)),
                operation="runs.details")
        r.route(f"{history}/runs/<run>/children",
                arm(lambda q, sub, rg, ws, run: s.children(ws_(sub, rg, ws), run, q)),
                operation="runs.children")
        r.route(f"{history}/experiments/<experiment>/runs/<run>/children",
                arm(lambda q, sub, rg, ws, experiment, run: s.children(ws_(sub, rg, ws),
                                                                      run, q)),
                operation="runs.children")
        r.route(f"/logs{W}/<run>/<path:log>",
                arm(lambda q, sub, rg, ws, run, log: Response(
                    s.log_text(ws_(sub, rg, ws), run), content_type="text/plain")),
                operation="logs.get")
        for version in ("v1.0", "v2.0"):
            for route in MLFLOW_ROUTES:
                r.route(f"/mlflow/{version}{W}/api/2.0/mlflow/{route}",
                        self._mlflow(route), methods=("GET", "POST"),
                        operation=f"mlflow:{route}")

    def _mlflow(self, route: str) -> Callable[..., Response]:
        def handler(request: Request, **values: Any) -> Response:
            assert self.service is not None
            return self.service.mlflow.handle(request, route)
        handler.__name__ = f"mlflow_{route.replace('/', '_')}"
        return handler

    # -- handlers -------------------------------------------------------------------------
    def metadata(self) -> list[dict[str, Any]]:
        """ARM's cloud list: the SDK picks the cloud whose resourceManager is in
        ARM_CLOUD_METADATA_URL."""
        return [{
            "name": CLOUD, "portal": f"{self.url}/portal/",
            "resourceManager": f"{self.url}/",
            "authentication": {"loginEndpoint": f"{self.url}/login/",
                               "audiences": [f"{self.url}/"], "tenant": "common",
                               "identityProvider": "AAD"},
            "suffixes": {"storage": "core.windows.net", "acrLoginServer": "azurecr.io"},
            "batch": f"{self.url}/batch/", "graph": f"{self.url}/graph/",
            "media": f"{self.url}/media/", "sqlManagement": f"{self.url}/sql/",
            "gallery": f"{self.url}/gallery/", "activeDirectoryDataLake": f"{self.url}/",
        }]

    def token(self, request: Request) -> Response:
        """The managed-identity token route (App Service's IDENTITY_ENDPOINT protocol)."""
        if not request.headers.get("X-IDENTITY-HEADER"):
            return json_response({"error": "invalid_request",
                                  "error_description": "X-IDENTITY-HEADER is missing"}, 400)
        resource = request.args.get("resource", f"{self.url}/")
        return json_response({"access_token": f"emulator-token-{int(time.time())}",
                              "expires_on": str(int(time.time()) + 3600),
                              "resource": resource, "token_type": "Bearer"})

    def put_job(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        assert self.service is not None
        status, body = self.service.put_job(workspace_path(sub, rg, ws), name,
                                            read_body(request))
        return json_response(body, status)

    def cancel(self, request: Request, sub: str, rg: str, ws: str, name: str) -> Response:
        assert self.service is not None
        operation = self.service.cancel_job(workspace_path(sub, rg, ws), name)
        location = f"{self.url}/operations/{operation}"
        return Response(status=202, headers={"Location": location, "Retry-After": "0"})

    def operation(self, request: Request, operation: str) -> Response:
        assert self.service is not None
        if operation not in self.service.operations:
            raise ArmError(404, "NotFound", f"no operation {operation}")
        return Response(status=200)

    # -- the framework's hooks ----------------------------------------------------------------
    def env(self, **_: Any) -> dict[str, str]:
        assert self.tls is not None
        return {
            "ARM_CLOUD_METADATA_URL": f"{self.url}/metadata/endpoints?api-version=2019-05-01",
            "REQUESTS_CA_BUNDLE": str(self.tls.ca_file),
            "IDENTITY_ENDPOINT": f"{self.url}/msi/token",
            "IDENTITY_HEADER": "hpo-bridge-emulator",
            **DEFAULTS,
        }

    def fault_response(self, kind: str, call: Call, request: Request) -> Response:
        if kind == THROTTLE:
            return Response('{"error":{"code":"TooManyRequests","message":"Rate limit'
                            ' exceeded, retry later"}}', status=429,
                            content_type="application/json", headers={"Retry-After": "0"})
        if kind == DENY:
            return arm_error(403, "AuthorizationFailed",
                             f"The client 'emulated' does not have authorization to perform"
                             f" action '{PROVIDER}/{call.operation}'")
        return arm_error(500, "InternalServerError", "An internal error occurred")

    def not_found(self, request: Request) -> Response:
        return arm_error(404, "NotFound",
                         f"the emulator does not serve {request.method} {request.path}")

    def health(self) -> dict[str, Any]:
        return {"azurite": self.azurite.account_url if self.azurite else None}

    def close(self) -> None:
        if self.service is not None:
            self.service.close()
