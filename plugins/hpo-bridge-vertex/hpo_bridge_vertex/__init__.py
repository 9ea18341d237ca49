"""hpo-bridge's Google backends: `vertex` (Vertex AI HyperparameterTuningJob, GAPIC over
REST) and `aiplatform` (AI Platform Training's ml v1 jobs, the discovery client)."""
