"""The Azure ML front end (`hpo-bridge emulate azure`): one HTTPS endpoint for ARM (cloud
metadata, managed identity, workspace, code assets, environments, sweep jobs), run history
and MLflow, with code blobs in an Azurite child process.

- frontend.py: `AzureFrontEnd` (TLS, routes, Azurite, env, ARM-shaped faults);
- service.py: workspace, assets and jobs; runs.py: run history (children, details, logs);
- sweep.py: a sweep's REST body as a spec the core runs, and the service's own checks;
- host.py: one sweep job as the host of an emulated tuning run;
- mlflow_api.py: the MLflow REST subset over each run's file store; blobs.py: Azurite.
"""
