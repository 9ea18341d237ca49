"""`strategy`: how configurations are chosen."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PositiveFloat, ValidationInfo, field_validator, model_validator

from hpo_bridge.spec.catalogue import check_name, from_context
from hpo_bridge.spec.errors import raise_at
from hpo_bridge.spec.pbt import PBT, PBT_OPTIONS, Mutation
from hpo_bridge.spec.section import Section

# Which strategy options apply to which algorithms; plugin searchers take
# their own options under `options`.
STRATEGY_OPTIONS: dict[str, tuple[str, ...]] = {
    "sampler": ("bayesian",),
    "n_startup_trials": ("bayesian", "bohb"),
    "min_resource": ("hyperband", "bohb"),
    "max_resource": ("hyperband", "bohb"),
    "reduction_factor": ("hyperband", "bohb"),
    "brackets": ("hyperband", "bohb"),
    **{option: (PBT,) for option in PBT_OPTIONS},  # population-based training: spec/pbt.py
}


class Strategy(Section):
    """How configurations are chosen."""

    algorithm: str = "random"
    seed: int | None = None
    sampler: Literal["tpe", "gp"] | None = None
    n_startup_trials: int | None = Field(default=None, ge=1)
    min_resource: int | None = Field(default=None, ge=1)
    max_resource: int | None = Field(default=None, ge=1)
    reduction_factor: int | None = Field(default=None, ge=2)
    brackets: int | None = Field(default=None, ge=1)
    population_size: int | None = Field(default=None, ge=2)
    perturbation_interval: int | None = Field(default=None, ge=1)
    quantile_fraction: float | None = Field(default=None, ge=0, le=0.5)
    resample_probability: float | None = Field(default=None, ge=0, le=1)
    perturbation_factors: list[PositiveFloat] | None = Field(default=None, min_length=1)
    synch: bool | None = None
    mutations: dict[str, Mutation | None] | None = None
    options: dict[str, Any] = Field(default_factory=dict)

    @field_validator("algorithm")
    @classmethod
    def _known(cls, v: str, info: ValidationInfo) -> str:
        return check_name(from_context(info.context), "searchers", "algorithm", v)

    @model_validator(mode="after")
    def _applicable(self) -> Strategy:
        issues: list[tuple[tuple[str, ...], str]] = []
        for option, algorithms in STRATEGY_OPTIONS.items():
            if getattr(self, option) is not None and self.algorithm not in algorithms:
                issues.append(((option,), f"applies only to {' and '.join(algorithms)}"))
        if (
            self.min_resource is not None
            and self.max_resource is not None
            and self.min_resource > self.max_resource
        ):
            issues.append(
                (
                    ("min_resource",),
                    f"min_resource ({self.min_resource}) exceeds"
                    f" max_resource ({self.max_resource})",
                )
            )
        raise_at("Strategy", issues)
        return self
