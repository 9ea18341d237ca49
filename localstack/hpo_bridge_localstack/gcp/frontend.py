"""`hpo-bridge emulate vertex`: Vertex AI and AI Platform Training on one local port.

    hpo-bridge emulate vertex          # prints the URL, then the variables to export

- Vertex AI v1 hyperparameter tuning jobs (vertex_api.py) and custom jobs
  (custom_jobs.py), AI Platform Training's
  `ml.googleapis.com` v1 jobs (ml_api.py): REST, plain http;
- the GCE metadata routes and an STS token route (metadata.py): `google.auth.default()`
  finds credentials and the project with `GCE_METADATA_HOST`/`GCE_METADATA_IP`;
- Cloud Storage: `gcp-storage-emulator` as a child process, reached through this port
  (`STORAGE_EMULATOR_HOST`; proxy.py), so storage calls are counted and faulted too.

The Google clients have no endpoint variable of their own: a client is given the URL as
its `api_endpoint` client option (`aiplatform.init(api_endpoint=..., api_transport="rest")`,
`JobServiceClient(client_options=...)`, `discovery.build("ml", "v1", client_options=...)`).
`env()` also names the URL as gcloud's endpoint overrides
(`CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM`, `..._ML`), which hpo-bridge's Vertex plugin
honours. Faults are answered as Google's front ends do (429 RESOURCE_EXHAUSTED, 503
UNAVAILABLE, 403 PERMISSION_DENIED).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hpo_bridge_localstack.framework.children import ChildProcess
from hpo_bridge_localstack.framework.frontend import FrontEnd, Site
from hpo_bridge_localstack.framework.http import Request, Response
from hpo_bridge_localstack.framework.routing import Call
from hpo_bridge_localstack.gcp import errors
from hpo_bridge_localstack.gcp.book import Book
from hpo_bridge_localstack.gcp.metadata import MetadataRoutes, write_adc_file
from hpo_bridge_localstack.gcp.proxy import StorageProxy, is_storage, storage_call
from hpo_bridge_localstack.gcp.storage import DEFAULT_BUCKET, Storage, gcs_child

DEFAULT_PROJECT = "hpo-bridge-local"
DEFAULT_LOCATION = "us-central1"


class VertexFrontEnd(FrontEnd):
    default_port = 8090

    def __init__(self, project: str = DEFAULT_PROJECT, bucket: str = DEFAULT_BUCKET,
                 run_jobs: bool = True) -> None:
        self.project = project
        self.bucket = bucket
        self.run_jobs = run_jobs
        self.url = ""
        self.gcs: ChildProcess | None = None
        self.book: Book | None = None
        self.custom_jobs: Any = None
        self.work_dir: Path | None = None

    @property
    def gcs_url(self) -> str:
        assert self.gcs is not None and self.gcs.port is not None, "mount() first"
        return f"http://127.0.0.1:{self.gcs.port}"

    def mount(self, site: Site) -> None:
        from hpo_bridge_localstack.gcp.custom_jobs import CustomJobsApi
        from hpo_bridge_localstack.gcp.ml_api import MlApi
        from hpo_bridge_localstack.gcp.vertex_api import VertexApi

        self.url = site.url
        self.work_dir = site.work_dir
        self.gcs = site.add_child(gcs_child(self.bucket))
        self.book = Book(Storage(self.gcs_url, self.project), site.work_dir / "jobs",
                         run_jobs=self.run_jobs)
        MetadataRoutes(self.project).mount(site.router)
        VertexApi(self.book).mount(site.router)
        self.custom_jobs = CustomJobsApi(self.book)
        self.custom_jobs.mount(site.router)
        MlApi(self.book).mount(site.router)
        site.router.mount(StorageProxy(lambda: self.gcs.port if self.gcs else 0),
                          when=is_storage, operation=storage_call)

    def env(self, **options: Any) -> dict[str, str]:
        host = self.url.split("://", 1)[1]
        return {
            "GCE_METADATA_HOST": host,  # google.auth.default(): credentials and project
            "GCE_METADATA_IP": host,
            "STORAGE_EMULATOR_HOST": self.url,  # proxied to the child: counted, faultable
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM": f"{self.url}/",
            "CLOUDSDK_API_ENDPOINT_OVERRIDES_ML": f"{self.url}/",
        }

    def adc_file(self, folder: Path) -> Path:
        """An external-account ADC file whose token exchange is this emulator's."""
        return write_adc_file(folder, self.url)

    def client(self, kind: str = "vertex", **kwargs: Any) -> Any:
        """A real client pointed here with anonymous credentials: "vertex" (the GAPIC
        JobServiceClient over REST), "ml" (the discovery client) or "storage"."""
        from google.auth.credentials import AnonymousCredentials

        if kind == "vertex":
            from google.cloud import aiplatform_v1

            return aiplatform_v1.JobServiceClient(
                transport="rest", credentials=AnonymousCredentials(),
                client_options={"api_endpoint": self.url}, **kwargs)
        if kind == "ml":
            from googleapiclient import discovery

            return discovery.build("ml", "v1", credentials=AnonymousCredentials(),
                                   client_options={"api_endpoint": self.url},
                                   static_discovery=True, cache_discovery=False, **kwargs)
        if kind == "storage":
            from google.cloud import storage

            return storage.Client(project=self.project, credentials=AnonymousCredentials(),
                                  client_options={"api_endpoint": self.url}, **kwargs)
        raise ValueError(f"no client {kind!r} (vertex, ml, storage)")

    def fault_response(self, kind: str, call: Call, request: Request) -> Response:
        return errors.fault_response(kind, call, request)

    def not_found(self, request: Request) -> Response:
        return errors.google_error(404, "NOT_FOUND",
                                   f"The emulator does not serve {request.method}"
                                   f" {request.path}")

    def health(self) -> dict[str, Any]:
        return {"project": self.project, "bucket": self.bucket,
                "storage": self.gcs_url if self.gcs is not None else None}

    def close(self) -> None:
        if self.custom_jobs is not None:
            self.custom_jobs.close()
        if self.book is not None:
            self.book.close()
