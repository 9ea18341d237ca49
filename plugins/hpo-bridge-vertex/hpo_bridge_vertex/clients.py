"""Google's clients, with credentials and project from Google's default chain
(`google.auth.default()`: GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, the GCE
metadata server) and the endpoint from the settings, else gcloud's endpoint override
variable (`CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM` / `..._ML`), else Google's."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from hpo_bridge.backends import BackendError

SCOPES = ["https://www.googleapis.com/auth/cloud-platform"]
OVERRIDE = "CLOUDSDK_API_ENDPOINT_OVERRIDES_{}"
CREDENTIALS_HELP = ("no Google credentials found: run `gcloud auth application-default"
                    " login`, or set GOOGLE_APPLICATION_CREDENTIALS to a key file")


def project_help(backend: str) -> str:
    return (f"no Google Cloud project: set backends.{backend}.project in the spec, or"
            " GOOGLE_CLOUD_PROJECT, or `gcloud config set project`")


def endpoint(setting: str | None, service: str, default: str) -> str:
    """The API's root URL, without a trailing slash."""
    found = setting or os.environ.get(OVERRIDE.format(service.upper())) or default
    return found.rstrip("/")


@dataclass
class Identity:
    credentials: Any
    project: str | None


def default_identity(backend: str, project: str | None = None) -> Identity:
    """Credentials and project (the settings' project wins); BackendError, one line each."""
    import google.auth
    from google.auth import exceptions

    try:
        credentials, found = google.auth.default(scopes=SCOPES)
    except exceptions.DefaultCredentialsError:
        problems = [CREDENTIALS_HELP]
        if not (project or os.environ.get("GOOGLE_CLOUD_PROJECT")):
            problems.append(project_help(backend))
        raise BackendError("\n".join(f"{backend}: {p}" for p in problems)) from None
    return Identity(credentials, project or found)


def storage_client(identity: Identity) -> Any:
    """google-cloud-storage honours STORAGE_EMULATOR_HOST itself (an offline emulator)."""
    from google.cloud import storage

    return storage.Client(project=identity.project, credentials=identity.credentials)


def client_endpoint(url: str) -> str:
    """What a client option takes: a host for https (the client adds the scheme), the
    whole URL for plain http (an emulator), which it would otherwise turn into https."""
    return url[len("https://"):] if url.startswith("https://") else url
