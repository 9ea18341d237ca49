"""The Google Cloud front end: `hpo-bridge emulate vertex`.

Vertex AI's hyperparameter tuning and custom jobs (v1 REST), legacy AI Platform Training
(`ml.googleapis.com` v1 jobs), the GCE metadata routes `google.auth.default()` reads, and
Cloud Storage through `gcp-storage-emulator` run as a child process. Tuning jobs run their
trials with hpo-bridge's core under the `vertex` trial contract (see runner.py).
"""
