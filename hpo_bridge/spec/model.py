"""The unified tuning spec (pydantic v2).

Field names follow DESIGN.md's sketch: they are the public contract. Rules
that concern one section live on that section's model, so pydantic reports
them together with every other field problem; rules across sections live in
`TuningSpec._cross_checks` and are reported together as one `SpecError`.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from hpo_bridge.spec.catalogue import Catalogue, check_name, context_of, from_context
from hpo_bridge.spec.domains import (
    CategoricalDomain,
    DiscreteDomain,
    DistributionDomain,
    Domain,
    IntDomain,
    Scalar,
)
from hpo_bridge.spec.durations import Duration
from hpo_bridge.spec.errors import SpecError, problems_from_validation, raise_at
from hpo_bridge.spec.names import NAME_PATTERN, PARAM_NAME_PATTERN
from hpo_bridge.spec.rules import (
    FINITE_ONLY,
    MULTI_FIDELITY,
    SpecView,
    cross_problems,
    validate_backends,
)

Goal = Literal["maximize", "minimize"]
ParamName = Annotated[str, Field(pattern=PARAM_NAME_PATTERN)]


def _device(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError("must be a device number or name")
    return value


# An accelerator id (DEVICE_ID for Vega) or a name such as "cuda:1".
Device = Annotated[
    int | str, BeforeValidator(_device), WithJsonSchema({"type": ["integer", "string"]})
]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


class Objective(_Section):
    """The metric to optimise; `measurement` picks the last or the best report."""

    metric: str = Field(min_length=1)
    goal: Goal
    measurement: Literal["last", "best"] = "last"

    @field_validator("goal", "measurement", mode="before")
    @classmethod
    def _case(cls, v: Any) -> Any:
        return _lower(v)

    def better(self, a: float, b: float) -> bool:
        """True when a is strictly better than b under this objective's goal."""
        return a > b if self.goal == "maximize" else a < b


class MetricDefinition(_Section):
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


# Which strategy options apply to which algorithms; plugin searchers take
# their own options under `options`.
STRATEGY_OPTIONS: dict[str, tuple[str, ...]] = {
    "sampler": ("bayesian",),
    "n_startup_trials": ("bayesian", "bohb"),
    "min_resource": ("hyperband", "bohb"),
    "max_resource": ("hyperband", "bohb"),
    "reduction_factor": ("hyperband", "bohb"),
    "brackets": ("hyperband", "bohb"),
}


class Strategy(_Section):
    """How configurations are chosen."""

    algorithm: str = "random"
    seed: int | None = None
    sampler: Literal["tpe", "gp"] | None = None
    n_startup_trials: int | None = Field(default=None, ge=1)
    min_resource: int | None = Field(default=None, ge=1)
    max_resource: int | None = Field(default=None, ge=1)
    reduction_factor: int | None = Field(default=None, ge=2)
    brackets: int | None = Field(default=None, ge=1)
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


class EarlyStopping(_Section):
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


class Limits(_Section):
    """When the study ends, and how many trials run at once."""

    max_trials: int | None = Field(default=None, ge=1)
    max_parallel: int = Field(default=1, ge=1)
    max_failed: int | None = Field(default=None, ge=1)
    max_duration: Duration | None = None
    trial_timeout: Duration | None = None
    target_value: float | None = None
    max_trials_without_improvement: int | None = Field(default=None, ge=1)

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


class Resource(_Section):
    """The fidelity parameter of multi-fidelity search (e.g. epochs)."""

    name: str = Field(default="epochs", min_length=1)
    min: int = Field(default=1, ge=1)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _order(self) -> Resource:
        if self.min > self.max:
            raise_at("Resource", [(("min",), f"{self.min} exceeds max ({self.max})")])
        return self


class Fullytrain(_Section):
    """Vega's fullytrain stage: re-run the best configuration(s) with the full budget."""

    top_k: int = Field(default=1, ge=1)


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


class TrialSpec(_Section):
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
    kill_grace: Duration = 10.0
    fullytrain: Fullytrain | None = None

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


class TuningSpec(BaseModel):
    """One tuning job, for every backend."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=128, pattern=NAME_PATTERN)
    description: str | None = None
    objective: Objective | None = None
    objectives: list[Objective] | None = Field(default=None, json_schema_extra={"minItems": 2})
    metrics: list[MetricDefinition] = Field(default_factory=list)
    search_space: dict[ParamName, Domain] = Field(min_length=1)
    strategy: Strategy = Field(default_factory=Strategy)
    early_stopping: EarlyStopping = Field(default_factory=EarlyStopping)
    limits: Limits = Field(default_factory=Limits)
    trial: TrialSpec = Field(default_factory=TrialSpec)
    backends: dict[str, Any] = Field(default_factory=dict)

    # Folder of the spec file: relative `trial.code` and command paths resolve against it.
    _base_dir: Path | None = PrivateAttr(default=None)

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
            problems = problems_from_validation(exc, catalogue=catalogue)
            if isinstance(data, dict):
                view = _partial_view(cls, data, exc, catalogue)
                problems += cross_problems(view)
                if view.ok("backends"):
                    problems += validate_backends(view.spec.backends, catalogue)[1]
            raise SpecError(problems) from None
        problems = list(cross_problems(SpecView(spec)))
        settings, backend_problems = validate_backends(spec.backends, catalogue)
        problems += backend_problems
        if problems:
            raise SpecError(problems)
        object.__setattr__(spec, "backends", settings)
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
        """The trial budget: `limits.max_trials`, else the grid's size, else 10."""
        if self.limits.max_trials is not None:
            return self.limits.max_trials
        if self.strategy.algorithm == "grid":
            return grid_size(self)
        return DEFAULT_MAX_TRIALS

    @property
    def base_dir(self) -> Path:
        return self._base_dir or Path.cwd()

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


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(name: str, annotation: Any) -> TypeAdapter[Any]:
    if name not in _ADAPTERS:
        _ADAPTERS[name] = TypeAdapter(annotation)
    return _ADAPTERS[name]


def _partial_view(
    cls: type[TuningSpec], data: dict[str, Any], exc: ValidationError, catalogue: Catalogue | None
) -> SpecView:
    """The sections of `data` that validated, so cross-section rules can still run.

    Parameters are kept one by one: one bad parameter does not hide the
    conditions of the others.
    """
    context = context_of(catalogue)
    bad_locs = [tuple(e["loc"]) for e in exc.errors() if e["loc"]]
    failed = {str(loc[0]) for loc in bad_locs}
    good: dict[str, Any] = {}
    for key, info in cls.model_fields.items():
        if key in failed or key == "search_space" or data.get(key) is None:
            continue
        good[key] = _adapter(key, info.annotation).validate_python(data[key], context=context)
    broken: set[str] = set()
    raw_space = data.get("search_space")
    if isinstance(raw_space, dict):
        bad_params = {loc[1] for loc in bad_locs if loc[0] == "search_space" and len(loc) > 1}
        space: dict[str, Any] = {}
        for name, raw in raw_space.items():
            if name in bad_params or not isinstance(name, str):
                broken.add(str(name))
            else:
                space[name] = _adapter("domain", Domain).validate_python(raw, context=context)
        good["search_space"] = space
        failed.discard("search_space")
    else:
        good["search_space"] = {}
    if not isinstance(raw_space, dict) or ("search_space",) in bad_locs:
        failed.add("search_space")
    return SpecView(cls.model_construct(**good), failed, broken)


# Re-exported for type checks elsewhere.
__all__ = [
    "FINITE_ONLY",
    "MULTI_FIDELITY",
    "CategoricalDomain",
    "DiscreteDomain",
    "DistributionDomain",
    "EarlyStopping",
    "IntDomain",
    "Limits",
    "MetricDefinition",
    "Objective",
    "Resource",
    "Strategy",
    "TrialSpec",
    "TuningSpec",
    "grid_size",
]
