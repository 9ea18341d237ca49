"""Entry point: registers the "sagemaker" backend (boto3 is imported only when it is used)."""

from __future__ import annotations

from typing import Any

from hpo_bridge.hookspecs import hookimpl


@hookimpl
def register_backends(register: Any) -> None:
    register(
        "sagemaker",
        "hpo_bridge_sagemaker.backend:SageMakerBackend",
        settings="hpo_bridge_sagemaker.settings:SageMakerSettings",
        description="Amazon SageMaker's own tuner (CreateHyperParameterTuningJob) via boto3",
    )
