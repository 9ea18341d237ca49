"""`backends.vertex` and `backends.aiplatform` in a spec: what the Google job needs beyond
the spec (project and region default to Google's own chain: `google.auth.default()`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

GS = "gs://"
PREBUILT_IMAGE = "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0:latest"


def _gs(value: str | None) -> str | None:
    if value is not None and not (value.startswith(GS) and len(value) > len(GS)):
        raise ValueError(f"must be a gs:// URI (got {value!r})")
    return value.rstrip("/") if value else value


def _endpoint(value: str | None) -> str | None:
    if value is not None and not value.startswith(("http://", "https://")):
        raise ValueError(f"must start with http:// or https:// (got {value!r})")
    return value.rstrip("/") if value else value


class _Google(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str | None = None  # default: google.auth.default()'s project
    staging_bucket: str | None = None  # gs://bucket[/prefix]: where the code package goes
    service_account: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    # The API's root URL (e.g. the offline emulator); default: the
    # CLOUDSDK_API_ENDPOINT_OVERRIDES_* variable gcloud reads, else Google's endpoint.
    api_endpoint: str | None = None

    @field_validator("staging_bucket")
    @classmethod
    def _bucket(cls, v: str | None) -> str | None:
        return _gs(v)

    @field_validator("api_endpoint")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        return _endpoint(v)


class VertexSettings(_Google):
    """A Vertex AI CustomJobSpec for the trials, and where the job lives."""

    location: str = "us-central1"
    image_uri: str = PREBUILT_IMAGE  # the executor image of the Python package
    container_image: str | None = None  # a custom container with the code inside instead
    machine_type: str = "n1-standard-4"
    replica_count: int = Field(default=1, ge=1)
    accelerator_type: str | None = None  # e.g. NVIDIA_TESLA_T4
    accelerator_count: int = Field(default=0, ge=0)
    network: str | None = None
    base_output_dir: str | None = None  # gs://...; default <staging_bucket>/<job>/output
    display_name: str | None = None  # default: derived from the spec's name and content

    @field_validator("base_output_dir")
    @classmethod
    def _output(cls, v: str | None) -> str | None:
        return _gs(v)


class AiPlatformSettings(_Google):
    """AI Platform Training's trainingInput beyond `hyperparameters`."""

    region: str = "us-central1"
    scale_tier: Literal["BASIC", "STANDARD_1", "PREMIUM_1", "BASIC_GPU", "BASIC_TPU",
                        "CUSTOM"] = "BASIC"
    master_type: str | None = None
    worker_type: str | None = None
    worker_count: int | None = Field(default=None, ge=0)
    parameter_server_type: str | None = None
    parameter_server_count: int | None = Field(default=None, ge=0)
    runtime_version: str = "2.11"
    python_version: str = "3.7"
    job_dir: str | None = None  # gs://...: passed to each trial as --job-dir
    job_id: str | None = None  # default: derived from the spec's name and content
    resume_previous_job_id: str | None = None  # continue an earlier tuning job

    @field_validator("job_dir")
    @classmethod
    def _dir(cls, v: str | None) -> str | None:
        return _gs(v)
