"""`limits`: when the study ends, and how many trials run at once."""

from __future__ import annotations

from pydantic import Field, model_validator

from hpo_bridge.spec.durations import Duration
from hpo_bridge.spec.errors import raise_at
from hpo_bridge.spec.section import Section


class Limits(Section):
    """When the study ends, and how many trials run at once."""

    max_trials: int | None = Field(default=None, ge=1)
    max_parallel: int = Field(default=1, ge=1)
    max_failed: int | None = Field(default=None, ge=1)
    max_duration: Duration | None = None
    trial_timeout: Duration | None = None
    target_value: float | None = None
    max_trials_without_improvement: int | None = Field(default=None, ge=1)
    # The search's total budget in units of trial.resource (Vega's total_epochs).
    max_total_resource: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _within_max_trials(self) -> Limits:
        issues: list[tuple[tuple[str, ...], str]] = []
        if self.max_trials is not None:
            if self.max_parallel > self.max_trials:
                issues.append(
                    (
                        ("max_parallel",),
                        f"{self.max_parallel} exceeds max_trials ({self.max_trials})",
                    )
                )
            if self.max_failed is not None and self.max_failed > self.max_trials:
                issues.append(
                    (("max_failed",), f"{self.max_failed} exceeds max_trials ({self.max_trials})")
                )
        raise_at("Limits", issues)
        return self


DEFAULT_MAX_TRIALS = 10  # Vega's policy.num_sample default, used when no limit is given
