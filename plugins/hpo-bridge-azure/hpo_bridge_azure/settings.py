"""`backends.azure` in a spec: the workspace and the trial job's definition beyond the spec."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Azure ML names: letters, digits, '-' and '_' (workspaces, computes, experiments).
_NAME = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class AzureSettings(BaseModel):
    """Everything of an Azure ML sweep the unified spec does not say."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subscription_id: str | None = None  # default: AZURE_SUBSCRIPTION_ID
    resource_group: str | None = None  # default: AZURE_RESOURCE_GROUP
    workspace_name: str | None = None  # default: AZUREML_WORKSPACE_NAME
    compute: str | None = Field(default=None, pattern=_NAME)  # None: serverless compute
    environment: str | None = None  # "azureml:name:version", "azureml:Curated@latest"
    image: str | None = None  # an inline environment from a Docker image (instead)
    experiment_name: str | None = Field(default=None, pattern=_NAME)  # default: spec name
    instance_count: int = Field(default=1, ge=1)
    instance_type: str | None = None
    distribution: dict[str, Any] | None = None  # {type: pytorch, process_count_per_instance}
    environment_variables: dict[str, str] = Field(default_factory=dict)
    outputs: dict[str, Any] = Field(default_factory=dict)  # output name -> {type, mode, path}
    job_name: str | None = Field(default=None, pattern=_NAME, max_length=255)
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    sampling_rule: Literal["random", "sobol"] | None = None  # random sampling's rule

    @field_validator("environment")
    @classmethod
    def _environment(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("azureml:", "/subscriptions/")):
            raise ValueError("an environment reference: azureml:<name>:<version>,"
                             " azureml:<name>@latest, or an ARM id (for an image use"
                             " backends.azure.image)")
        return value
