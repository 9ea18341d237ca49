"""The base of every section of a spec: unknown keys are errors, values are frozen."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def lower(value: Any) -> Any:
    """Case-insensitive keywords (`goal: Maximize`)."""
    return value.lower() if isinstance(value, str) else value
