"""The objective(s) of a study and the metrics read from a trial's log."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator

from hpo_bridge.spec.section import Section, lower

Goal = Literal["maximize", "minimize"]


class Objective(Section):
    """The metric to optimise; `measurement` picks the last or the best report."""

    metric: str = Field(min_length=1)
    goal: Goal
    measurement: Literal["last", "best"] = "last"

    @field_validator("goal", "measurement", mode="before")
    @classmethod
    def _case(cls, v: Any) -> Any:
        return lower(v)

    def better(self, a: float, b: float) -> bool:
        """True when a is strictly better than b under this objective's goal."""
        return a > b if self.goal == "maximize" else a < b


class MetricDefinition(Section):
    """A metric read from the log by a regex whose one capture group is the value."""

    name: str = Field(min_length=1)
    regex: str = Field(min_length=1)

    @field_validator("regex")
    @classmethod
    def _one_group(cls, v: str) -> str:
        try:
            compiled = re.compile(v)
        except re.error as exc:
            raise ValueError(f"does not compile: {exc}") from None
        if compiled.groups != 1:
            raise ValueError(
                f"must have exactly one capture group (the value); it has {compiled.groups}"
            )
        return v
