"""The AWS front end (`hpo-bridge emulate sagemaker`): emulated JSON services and moto.

- frontend.py: `AwsFrontEnd` (call names, faults in AWS's shapes, env, boto3 clients, moto's
  S3/Logs/CloudWatch mounted in-process) and `SageMakerFrontEnd`, the registered `sagemaker`
  emulator; logs_filter.py: FilterLogEvents by stream prefix (moto ignores it);
- json_service.py: a JSON-protocol service behind `X-Amz-Target`, checked against
  botocore's model (validation.py); protocol.py: bodies, errors, timestamps;
- identity.py (the caller, from SigV4), clients.py (the emulator's own boto3 clients),
  paging.py (List calls); testing.py: `sagemaker_emulator`, `upload_code`;
- sagemaker/: the SageMaker operations (tuning and training jobs), job state, the tuning-run
  host and the single training job run.
"""
