"""Entry point: registers the "azure" backend and the "hyperdrive" importer (azure-ai-ml is
imported only when one of them is used)."""

from __future__ import annotations

from typing import Any

from hpo_bridge.hookspecs import hookimpl


@hookimpl
def register_backends(register: Any) -> None:
    register(
        "azure",
        "hpo_bridge_azure.backend:AzureBackend",
        settings="hpo_bridge_azure.settings:AzureSettings",
        description="Azure Machine Learning sweep jobs (v2) via azure-ai-ml, metrics via MLflow",
    )
    register(
        "hyperdrive",
        "hpo_bridge_azure.backend:HyperDriveImporter",
        description="Azure ML v1 HyperDriveConfig Python files (import only: --from hyperdrive)",
    )
