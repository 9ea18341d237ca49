"""The unified tuning spec (pydantic v2): `TuningSpec` and its sections.

Field names follow DESIGN.md's sketch: they are the public contract. Each
section is a model in its own module (objective.py, strategy.py,
early_stopping.py, limits.py, trial.py; the domains in domains.py); rules that
concern one section live on that section's model, so pydantic reports them
together with every other field problem. Rules across sections live in
spec/rules.py and are reported with the field problems as one `SpecError`
(spec/problems.py renders pydantic's errors). Names of components are checked
against the catalogue in the validation context (spec/catalogue.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from hpo_bridge.core.pbt.settings import PBTSettings
from hpo_bridge.spec.catalogue import from_context
from hpo_bridge.spec.domains import (
    CategoricalDomain,
    DiscreteDomain,
    DistributionDomain,
    Domain,
    IntDomain,
    Scalar,
)
from hpo_bridge.spec.early_stopping import EarlyStopping
from hpo_bridge.spec.errors import SpecError
from hpo_bridge.spec.limits import DEFAULT_MAX_TRIALS, Limits
from hpo_bridge.spec.names import NAME_PATTERN, PARAM_NAME_PATTERN
from hpo_bridge.spec.objective import Goal, MetricDefinition, Objective
from hpo_bridge.spec.pbt import PBT, Mutation
from hpo_bridge.spec.rules import (
    FINITE_ONLY,
    MULTI_FIDELITY,
    checked_backends,
    invalid_spec_problems,
)
from hpo_bridge.spec.strategy import STRATEGY_OPTIONS, Strategy
from hpo_bridge.spec.trial import Command, Device, Fullytrain, Resource, TrialSpec
from hpo_bridge.spec.warm_start import WarmStart

ParamName = Annotated[str, Field(pattern=PARAM_NAME_PATTERN)]


def _some_parameter(combination: dict[str, Any]) -> dict[str, Any]:
    if not combination:
        raise ValueError("names no parameter: an empty combination would forbid everything")
    return combination


# A partial assignment no configuration may match: {optimizer: adam, lr: 0.1}.
ForbiddenCombination = Annotated[
    dict[ParamName, Scalar], AfterValidator(_some_parameter),
    WithJsonSchema({"type": "object", "minProperties": 1,
                    "additionalProperties": {"type": ["string", "number", "boolean"]}}),
]


class TuningSpec(BaseModel):
    """One tuning job, for every backend."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=128, pattern=NAME_PATTERN)
    description: str | None = None
    objective: Objective | None = None
    objectives: list[Objective] | None = Field(default=None, json_schema_extra={"minItems": 2})
    metrics: list[MetricDefinition] = Field(default_factory=list)
    search_space: dict[ParamName, Domain] = Field(min_length=1)
    forbidden: list[ForbiddenCombination] = Field(default_factory=list)
    strategy: Strategy = Field(default_factory=Strategy)
    early_stopping: EarlyStopping = Field(default_factory=EarlyStopping)
    limits: Limits = Field(default_factory=Limits)
    trial: TrialSpec = Field(default_factory=TrialSpec)
    warm_start: WarmStart | None = None
    backends: dict[str, Any] = Field(default_factory=dict)

    # Folder of the spec file: relative `trial.code` and command paths resolve against it.
    _base_dir: Path | None = PrivateAttr(default=None)
    # Where `run` keeps the study when no directory is given, if the file says (a Vega
    # file: <local_base_path>/tasks/<task id>); else ./studies/<name>-<timestamp>.
    _default_study_dir: Path | None = PrivateAttr(default=None)
    # The file in another tool's format this spec was read from: {"path", "format", "text"}
    # (a study keeps it, e.g. as Vega's output/hpo.yml).
    _origin: dict[str, str] | None = PrivateAttr(default=None)

    @field_validator("objectives")
    @classmethod
    def _several(cls, v: list[Objective] | None) -> list[Objective] | None:
        if v is not None and len(v) < 2:
            raise ValueError("needs at least two objectives (for one, use objective)")
        return v

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem(
        cls, data: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
    ) -> TuningSpec:
        """Field problems and cross-section problems together, as one SpecError."""
        catalogue = from_context(info.context)
        try:
            spec = handler(data)
        except ValidationError as exc:
            raise SpecError(invalid_spec_problems(cls, data, exc, catalogue)) from None
        object.__setattr__(spec, "backends", checked_backends(spec, catalogue))
        return spec

    # -- conveniences used by every backend ------------------------------------------
    @property
    def primary(self) -> Objective:
        """The single objective, or the first of a multi-objective study."""
        if self.objective is not None:
            return self.objective
        assert self.objectives
        return self.objectives[0]

    @property
    def all_objectives(self) -> list[Objective]:
        return [self.objective] if self.objective is not None else list(self.objectives or [])

    @property
    def multi_objective(self) -> bool:
        return self.objectives is not None

    @property
    def max_trials(self) -> int:
        """The trial budget: `limits.max_trials`, else the grid's size, else (pbt) the
        population's segments, else 10."""
        if self.limits.max_trials is not None:
            return self.limits.max_trials
        if self.strategy.algorithm == "grid":
            return grid_size(self)
        if self.strategy.algorithm == PBT and self.resource_bounds() is not None:
            return PBTSettings.from_spec(self).trials
        return DEFAULT_MAX_TRIALS

    @property
    def base_dir(self) -> Path:
        return self._base_dir or Path.cwd()

    @property
    def default_study_dir(self) -> Path | None:
        return self._default_study_dir

    @property
    def origin(self) -> dict[str, str] | None:
        return self._origin

    @property
    def code_dir(self) -> Path:
        """`trial.code` resolved against the spec's folder (default: that folder)."""
        code = self.trial.code
        return (self.base_dir / code).resolve() if code else self.base_dir

    def resource_bounds(self) -> tuple[int, int] | None:
        """(min, max) resource for multi-fidelity: strategy options win over trial.resource."""
        res = self.trial.resource
        low = self.strategy.min_resource or (res.min if res else None)
        high = self.strategy.max_resource or (res.max if res else None)
        if low is None or high is None:
            return None
        return low, high

    def to_dict(self) -> dict[str, Any]:
        """A plain dict that loads back into an equal spec (YAML/JSON ready)."""
        # exclude_unset, not exclude_defaults: an explicit `scale: linear` differs from an
        # unset scale for backends (SageMaker maps unset to Auto).
        data = self.model_dump(mode="json", exclude_unset=True, exclude={"backends"})
        if self.backends:
            data["backends"] = {
                name: s.model_dump(mode="json", exclude_unset=True)
                if isinstance(s, BaseModel)
                else s
                for name, s in self.backends.items()
            }
        return data


def grid_size(spec: TuningSpec) -> int:
    """Points in the product of the finite domains (continuous ones count once)."""
    size = 1
    for domain in spec.search_space.values():
        size *= domain.size or 1
    return size


# The sections, re-exported: `from hpo_bridge.spec.model import X` keeps working.
__all__ = [
    "DEFAULT_MAX_TRIALS",
    "FINITE_ONLY",
    "MULTI_FIDELITY",
    "STRATEGY_OPTIONS",
    "CategoricalDomain",
    "Command",
    "Device",
    "DiscreteDomain",
    "DistributionDomain",
    "EarlyStopping",
    "Fullytrain",
    "Goal",
    "IntDomain",
    "Limits",
    "MetricDefinition",
    "Mutation",
    "Objective",
    "Resource",
    "Strategy",
    "TrialSpec",
    "TuningSpec",
    "WarmStart",
    "grid_size",
]
