"""The emulated SageMaker tuning API: service (operations), jobs (state), checks (the
service's rules), translate (request -> spec), runner (the host of an emulated tuning run),
storage (script-mode code and channels from S3), logs (CloudWatch Logs)."""
