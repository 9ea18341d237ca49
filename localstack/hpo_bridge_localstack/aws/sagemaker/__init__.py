"""The emulated SageMaker API (tuning and training jobs): service (operations), jobs,
training_job, tuning_job (state), checks (the service's rules), translate (request ->
spec), runner (the host of an emulated tuning run), training_run (one CreateTrainingJob),
training (a trial's life as a training job), warm_start, storage (script-mode code and
channels from S3), logs (CloudWatch Logs), metrics (CloudWatch), artifacts (model.tar.gz)."""
