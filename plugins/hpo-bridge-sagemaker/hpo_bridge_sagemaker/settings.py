"""`backends.sagemaker` in a spec: the training job definition SageMaker needs beyond the spec."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from hpo_bridge.spec import Duration

S3_PREFIX = "s3://"


def _s3(value: str | None) -> str | None:
    if value is not None and not (value.startswith(S3_PREFIX) and len(value) > len(S3_PREFIX)):
        raise ValueError(f"must be an s3:// URI (got {value!r})")
    return value


class SageMakerSettings(BaseModel):
    """Everything of a SageMaker training job definition the unified spec does not say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role_arn: str | None = None
    image_uri: str | None = None
    instance_type: str = "ml.m5.xlarge"
    instance_count: int = Field(default=1, ge=1)
    volume_size_gb: int = Field(default=30, ge=1)
    output_path: str | None = None
    channels: dict[str, str] = Field(default_factory=dict)  # channel name -> s3:// URI
    input_mode: Literal["File", "Pipe", "FastFile"] = "File"
    environment: dict[str, str] = Field(default_factory=dict)
    max_runtime: Duration | None = None  # per training job; default trial.trial_timeout or 1d
    use_spot: bool = False
    max_wait: Duration | None = None
    checkpoint_s3_uri: str | None = None
    region: str | None = None
    code_bucket: str | None = None  # script mode: where the code tarball goes (default:
    code_prefix: str = ""  # the bucket of output_path)
    early_stopping_type: Literal["Auto", "Off"] | None = None  # overrides early_stopping.policy
    job_name: str | None = None  # default: derived from the spec's name and content
    tags: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        # Warm start is the spec's own section now, for every backend.
        if isinstance(data, dict) and "warm_start" in data:
            raise ValueError("warm_start: moved to the spec's top level: warm_start: {from:"
                             " [tuning job names or study directories], type: identical|transfer}")
        return data

    @field_validator("output_path", "checkpoint_s3_uri")
    @classmethod
    def _s3_uri(cls, v: str | None) -> str | None:
        return _s3(v)

    @field_validator("channels")
    @classmethod
    def _s3_channels(cls, v: dict[str, str]) -> dict[str, str]:
        for uri in v.values():
            _s3(uri)
        return v

    @field_validator("code_bucket")
    @classmethod
    def _bucket(cls, v: str | None) -> str | None:
        if v is not None and ("/" in v or v.startswith(S3_PREFIX[:3]) or not v):
            raise ValueError("a bucket name only, without s3:// or a path (use code_prefix)")
        return v

    @field_validator("code_prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        return v.strip("/")

    @model_validator(mode="after")
    def _spot(self) -> SageMakerSettings:
        if self.max_wait is not None and not self.use_spot:
            raise ValueError("max_wait applies only with use_spot: true")
        if (
            self.max_wait is not None
            and self.max_runtime is not None
            and self.max_wait < self.max_runtime
        ):
            raise ValueError("max_wait must be at least max_runtime")
        return self
