"""Shared helpers for the Azure plugin's tests (a unique module name: the root test run
collects several test folders)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

DATA = Path(__file__).parent / "data"
ENVIRONMENT = "azureml:AzureML-sklearn-1.5@latest"
SETTINGS = {"environment": ENVIRONMENT, "compute": "cpu-cluster"}
AZURE_PREFIXES = ("AZURE", "MLFLOW", "IDENTITY_", "MSI_", "ARM_", "AZUREML")


@contextmanager
def azure_env(env: dict[str, str]) -> Iterator[None]:
    """Only `env` of the Azure settings, restored afterwards (azure-ai-ml writes
    AZUREML_CURRENT_CLOUD into the process's environment)."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith(AZURE_PREFIXES) or key == "REQUESTS_CA_BUNDLE":
            del os.environ[key]
    os.environ.update(env)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
