"""`early_stopping`: which running trials to stop early."""

from __future__ import annotations

from pydantic import Field, ValidationInfo, field_validator, model_validator

from hpo_bridge.spec.catalogue import check_name, from_context
from hpo_bridge.spec.errors import raise_at
from hpo_bridge.spec.section import Section


class EarlyStopping(Section):
    """Which running trials to stop early (Azure's policies, plus hyperband rungs)."""

    policy: str = "none"
    evaluation_interval: int = Field(default=1, ge=1)
    delay_evaluation: int = Field(default=0, ge=0)
    slack_factor: float | None = Field(default=None, gt=0)
    slack_amount: float | None = Field(default=None, gt=0)
    truncation_percentage: int | None = Field(default=None, ge=1, le=99)
    exclude_finished: bool = False

    @field_validator("policy")
    @classmethod
    def _known(cls, v: str, info: ValidationInfo) -> str:
        catalogue = from_context(info.context)
        return check_name(catalogue, "stopping_rules", "policy", v, extra=("none",))

    @model_validator(mode="after")
    def _policy_options(self) -> EarlyStopping:
        issues: list[tuple[tuple[str, ...], str]] = []
        p = self.policy
        has_factor, has_amount = self.slack_factor is not None, self.slack_amount is not None
        if p == "bandit" and has_factor == has_amount:
            issues.append(((), "bandit needs exactly one of slack_factor and slack_amount"))
        for option, policy in (
            ("slack_factor", "bandit"),
            ("slack_amount", "bandit"),
            ("truncation_percentage", "truncation"),
            ("exclude_finished", "truncation"),
        ):
            if p != policy and getattr(self, option) not in (None, False):
                issues.append(((option,), f"applies only to policy {policy}"))
        if p == "truncation" and self.truncation_percentage is None:
            issues.append((("truncation_percentage",), "required for policy truncation (1..99)"))
        if p == "auto":
            for option in ("evaluation_interval", "delay_evaluation"):
                if option in self.model_fields_set:
                    issues.append(
                        (
                            (option,),
                            "policy auto fixes evaluation_interval 1 and delay_evaluation 5;"
                            " use policy median to choose them",
                        )
                    )
        raise_at("EarlyStopping", issues)
        return self

    def resolved(self) -> EarlyStopping:
        """`auto` is documented as the median rule with interval 1 and delay 5 (Azure's advice)."""
        if self.policy == "auto":
            return EarlyStopping(policy="median", evaluation_interval=1, delay_evaluation=5)
        return self
