"""`trial`: what one trial runs, how it receives hyperparameters (its contract), its
resource for multi-fidelity search and Vega's fullytrain stage."""

from __future__ import annotations

import shlex
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from hpo_bridge.spec.catalogue import check_name, from_context
from hpo_bridge.spec.domains import Scalar
from hpo_bridge.spec.durations import Duration
from hpo_bridge.spec.errors import raise_at
from hpo_bridge.spec.section import Section


def _device(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a device number or name")
    return value


# An accelerator id (DEVICE_ID for Vega) or a name such as "cuda:1".
Device = Annotated[
    int | str, BeforeValidator(_device), WithJsonSchema({"type": ["integer", "string"]})
]


class Resource(Section):
    """The fidelity parameter of multi-fidelity search (e.g. epochs)."""

    name: str = Field(default="epochs", min_length=1)
    min: int = Field(default=1, ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _order(self) -> Resource:
        if self.min > self.max:
            raise_at("Resource", [(("min",), f"{self.min} exceeds max ({self.max})")])
        return self


class Fullytrain(Section):
    """Vega's fullytrain stage: re-run the best configuration(s) with the full budget;
    `max_parallel` (default: limits.max_parallel) bounds how many run at once."""

    top_k: int = Field(default=1, ge=1)
    max_parallel: int | None = Field(default=None, ge=1)


# A command is a list of words, or one string split like a shell would (never run by one).
Command = Annotated[
    list[str],
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "array", "items": {"type": "string"}, "minItems": 1},
                {"type": "string", "minLength": 1},
            ]
        }
    ),
]
# Numbers and booleans in env are written as strings (true/false for booleans).
_ENV_SCHEMA = {"type": "object", "additionalProperties": {"type": ["string", "number", "boolean"]}}


class TrialSpec(Section):
    """What one trial runs and how it receives hyperparameters (its contract)."""

    command: Command | None = Field(default=None, min_length=1)
    args: dict[str, Scalar | None] = Field(default_factory=dict)
    env: Annotated[dict[str, str], WithJsonSchema(_ENV_SCHEMA)] = Field(default_factory=dict)
    code: str | None = None
    contract: str = "local"
    resource: Resource | None = None
    devices: list[Device] | None = Field(default=None, min_length=1)
    share_devices: bool = False
    python: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict)
    # A folder (relative to the trial's folder) of TensorFlow summary event files whose
    # scalars are metrics, tag = metric name, under any contract (AI Platform's TF channel).
    summary_dir: str | None = Field(default=None, min_length=1)
    kill_grace: Duration = 10.0
    fullytrain: Fullytrain | None = None
    # Pass only the arguments the script accepts (Vega's enable_arg_check), as its --help lists.
    check_args: bool = False
    # An interrupted trial run again continues from its checkpoint (None: yes, except
    # under contracts where that changes the command line, Azure's --resume-from).
    resume_from_checkpoint: bool | None = None

    @field_validator("command", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        # A string is split like a shell would, but it never runs through one.
        if not isinstance(v, str):
            return v
        try:
            return shlex.split(v)
        except ValueError as exc:
            raise ValueError(f"cannot split into words: {exc}") from None

    @field_validator("env", mode="before")
    @classmethod
    def _env_strings(cls, v: Any) -> Any:
        if isinstance(v, dict):
            return {
                k: (str(x).lower() if isinstance(x, bool) else str(x))
                if isinstance(x, int | float)
                else x
                for k, x in v.items()
            }
        return v

    @field_validator("contract")
    @classmethod
    def _known(cls, v: str, info: ValidationInfo) -> str:
        return check_name(from_context(info.context), "contracts", "contract", v)
