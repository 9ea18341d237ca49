"""The emulated SageMaker tuning API: service (operations), jobs (state), runner (trials)."""
