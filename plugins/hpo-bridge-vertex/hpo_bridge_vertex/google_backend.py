"""What the two Google backends share: identity, code upload, error classification."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from hpo_bridge.backends import (
    BackendError,
    CloudError,
    Compiled,
    NativeBackend,
    RetryPolicy,
)
from hpo_bridge.spec import TuningSpec
from hpo_bridge_vertex import clients
from hpo_bridge_vertex.errors import classify

GS = "gs://"


def timestamp(text: Any) -> float | None:
    """An RFC 3339 time (or a datetime) as epoch seconds."""
    if isinstance(text, datetime):
        return text.timestamp()
    if not text:
        return None
    return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp()


class GoogleBackend(NativeBackend):
    credentials_help = clients.CREDENTIALS_HELP
    access_hint = "check the credentials' IAM roles on the project"

    def __init__(self, identity: clients.Identity | None = None,
                 retry: RetryPolicy | None = None,
                 on_retry: Callable[[BaseException], None] | None = None, **kwargs: Any):
        super().__init__(retry=retry, on_retry=on_retry, **kwargs)
        self._identity = identity

    def classify(self, exc: BaseException) -> CloudError | None:
        return classify(exc)

    def identity(self, project: str | None = None) -> clients.Identity:
        if self._identity is None:
            self._identity = clients.default_identity(self.name, project)
        if project and self._identity.project != project:
            return clients.Identity(self._identity.credentials, project)
        return self._identity

    def project_of(self, spec: TuningSpec) -> str:
        project = self.identity(self.settings_project(spec)).project
        if not project:
            raise BackendError(f"{self.name}: {clients.project_help(self.name)}")
        return project

    def settings_project(self, spec: TuningSpec) -> str | None:
        raw = spec.backends.get(self.name)
        return getattr(raw, "project", None) if raw is not None else None

    def check_access(self, spec: TuningSpec) -> None:
        """Credentials and project from Google's chain (no call to the API)."""
        self.project_of(spec)

    def upload(self, spec: TuningSpec, compiled: Compiled) -> None:
        """The code package to Cloud Storage (one object per artifact)."""
        if not compiled.artifacts:
            return
        client = clients.storage_client(self.identity(self.settings_project(spec)))
        for uri, path in compiled.artifacts.items():
            bucket, _, name = uri[len(GS):].partition("/")
            blob = client.bucket(bucket).blob(name)
            # retry=None: the kit's policy makes the only retries.
            self.call("storage upload", blob.upload_from_filename, str(path), retry=None)
