"""Entry point: registers the "vertex" and "aiplatform" backends (the Google SDKs are
imported only when a backend is used)."""

from __future__ import annotations

from typing import Any

from hpo_bridge.hookspecs import hookimpl


@hookimpl
def register_backends(register: Any) -> None:
    register(
        "vertex",
        "hpo_bridge_vertex.vertex_backend:VertexBackend",
        settings="hpo_bridge_vertex.settings:VertexSettings",
        description="Google Vertex AI's own tuner (HyperparameterTuningJob) via the GAPIC"
                    " client",
    )
    register(
        "aiplatform",
        "hpo_bridge_vertex.ml_backend:AiPlatformBackend",
        settings="hpo_bridge_vertex.settings:AiPlatformSettings",
        description="Google AI Platform Training hyperparameter tuning (ml v1 jobs) via"
                    " the discovery client",
    )
