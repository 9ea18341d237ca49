"""Job statuses, names and ARNs as SageMaker gives them."""

from __future__ import annotations

import secrets

# SageMaker's statuses (botocore model: TrainingJobStatus, HyperParameterTuningJobStatus).
IN_PROGRESS, COMPLETED, FAILED, STOPPING, STOPPED = (
    "InProgress",
    "Completed",
    "Failed",
    "Stopping",
    "Stopped",
)
ACTIVE = (IN_PROGRESS, STOPPING)
ENDED = (COMPLETED, FAILED, STOPPED)


def tuning_job_arn(region: str, account: str, name: str) -> str:
    # SageMaker lower-cases resource names in ARNs.
    return f"arn:aws:sagemaker:{region}:{account}:hyper-parameter-tuning-job/{name.lower()}"


def training_job_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:training-job/{name.lower()}"


def training_job_name(tuning_job: str, index: int) -> str:
    """`<tuning job>-<3-digit index>-<8 hex>`, as SageMaker names a tuning job's trials."""
    return f"{tuning_job}-{index:03d}-{secrets.token_hex(4)}"
