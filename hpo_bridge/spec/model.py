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
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StrictBool,
    ValidationError,
    field_validator,
    model_validator,
)

from hpo_bridge.spec.domains import (
    CategoricalDomain,
    DiscreteDomain,
    DistributionDomain,
    Domain,
    IntDomain,
)
from hpo_bridge.spec.durations import Duration
from hpo_bridge.spec.errors import Problem, SpecError, problems_from_validation

NAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"
PARAM_NAME_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_\-.:/]*$")

Goal = Literal["maximize", "minimize"]
Scalar = StrictBool | int | float | str


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


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
MULTI_FIDELITY = ("hyperband", "bohb")
FINITE_ONLY = ("grid",)


def _registered(kind: str) -> list[str]:
    from hpo_bridge.plugins import registry

    return registry().names(kind)


def _check_registered(kind: str, label: str, value: str, extra: tuple[str, ...] = ()) -> str:
    names = [*extra, *_registered(kind)]
    if value not in names:
        raise ValueError(f"unknown {label} {value!r} (available: {', '.join(names)})")
    return value


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
    def _known(cls, v: str) -> str:
        return _check_registered("searchers", "algorithm", v)

    @model_validator(mode="after")
    def _applicable(self) -> Strategy:
        problems = []
        for option, algorithms in STRATEGY_OPTIONS.items():
            if getattr(self, option) is not None and self.algorithm not in algorithms:
                problems.append(f"{option} applies only to {' and '.join(algorithms)}")
        if (
            self.min_resource is not None
            and self.max_resource is not None
            and self.min_resource > self.max_resource
        ):
            problems.append(
                f"min_resource ({self.min_resource}) exceeds max_resource ({self.max_resource})"
            )
        if problems:
            raise ValueError("; ".join(problems))
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
    def _known(cls, v: str) -> str:
        return _check_registered("stopping_rules", "policy", v, extra=("none",))

    @model_validator(mode="after")
    def _policy_options(self) -> EarlyStopping:
        problems = []
        p = self.policy
        has_factor, has_amount = self.slack_factor is not None, self.slack_amount is not None
        if p == "bandit" and has_factor == has_amount:
            problems.append("bandit needs exactly one of slack_factor and slack_amount")
        if p != "bandit" and (has_factor or has_amount):
            problems.append("slack_factor and slack_amount apply only to policy bandit")
        if p == "truncation" and self.truncation_percentage is None:
            problems.append("truncation needs truncation_percentage (1..99)")
        if p != "truncation" and self.truncation_percentage is not None:
            problems.append("truncation_percentage applies only to policy truncation")
        if p != "truncation" and self.exclude_finished:
            problems.append("exclude_finished applies only to policy truncation")
        if p == "auto" and {"evaluation_interval", "delay_evaluation"} & self.model_fields_set:
            problems.append(
                "auto fixes evaluation_interval 1 and delay_evaluation 5;"
                " use policy median to choose them"
            )
        if problems:
            raise ValueError("; ".join(problems))
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
        problems = []
        if self.max_trials is not None:
            if self.max_parallel > self.max_trials:
                problems.append(
                    f"max_parallel ({self.max_parallel}) exceeds max_trials ({self.max_trials})"
                )
            if self.max_failed is not None and self.max_failed > self.max_trials:
                problems.append(
                    f"max_failed ({self.max_failed}) exceeds max_trials ({self.max_trials})"
                )
        if problems:
            raise ValueError("; ".join(problems))
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
            raise ValueError(f"min ({self.min}) exceeds max ({self.max})")
        return self


class Fullytrain(_Section):
    """Vega's fullytrain stage: re-run the best configuration(s) with the full budget."""

    top_k: int = Field(default=1, ge=1)


class TrialSpec(_Section):
    """What one trial runs and how it receives hyperparameters (its contract)."""

    command: list[str] | None = Field(default=None, min_length=1)
    args: dict[str, Scalar | None] = Field(default_factory=dict)
    env: dict[str, str] = Field(default_factory=dict)
    code: str | None = None
    contract: str = "local"
    resource: Resource | None = None
    devices: list[int | str] | None = Field(default=None, min_length=1)
    share_devices: bool = False
    python: str | None = None
    inputs: dict[str, str] = Field(default_factory=dict)
    kill_grace: Duration = 10.0
    fullytrain: Fullytrain | None = None

    @field_validator("command", mode="before")
    @classmethod
    def _split(cls, v: Any) -> Any:
        # A string is split like a shell would, but it never runs through one.
        return shlex.split(v) if isinstance(v, str) else v

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
    def _known(cls, v: str) -> str:
        return _check_registered("contracts", "contract", v)


class TuningSpec(BaseModel):
    """One tuning job, for every backend."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=128, pattern=NAME_PATTERN)
    description: str | None = None
    objective: Objective | None = None
    objectives: list[Objective] | None = Field(default=None, min_length=2)
    metrics: list[MetricDefinition] = Field(default_factory=list)
    search_space: dict[str, Domain] = Field(min_length=1)
    strategy: Strategy = Field(default_factory=Strategy)
    early_stopping: EarlyStopping = Field(default_factory=EarlyStopping)
    limits: Limits = Field(default_factory=Limits)
    trial: TrialSpec = Field(default_factory=TrialSpec)
    backends: dict[str, Any] = Field(default_factory=dict)

    # Folder of the spec file: relative `trial.code` and command paths resolve against it.
    _base_dir: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _cross_checks(self) -> TuningSpec:
        problems = list(_cross_problems(self))
        settings, backend_problems = _validate_backends(self.backends)
        problems += backend_problems
        if problems:
            raise SpecError(problems)
        object.__setattr__(self, "backends", settings)
        return self

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
        data = self.model_dump(mode="json", exclude_defaults=True, exclude={"backends"})
        if self.backends:
            data["backends"] = {
                name: s.model_dump(mode="json", exclude_defaults=True)
                if isinstance(s, BaseModel)
                else s
                for name, s in self.backends.items()
            }
        return data


def grid_size(spec: TuningSpec) -> int:
    size = 1
    for domain in spec.search_space.values():
        size *= len(domain.grid_values()) if domain.finite else 1
    return size


def _cross_problems(spec: TuningSpec):
    if (spec.objective is None) == (spec.objectives is None):
        yield Problem("objective", "give exactly one of objective and objectives")
    if spec.objectives:
        seen: set[str] = set()
        for i, obj in enumerate(spec.objectives):
            if obj.metric in seen:
                yield Problem(f"objectives.{i}.metric", f"duplicate metric {obj.metric!r}")
            seen.add(obj.metric)
    seen_metrics: set[str] = set()
    for i, m in enumerate(spec.metrics):
        if m.name in seen_metrics:
            yield Problem(f"metrics.{i}.name", f"duplicate metric name {m.name!r}")
        seen_metrics.add(m.name)

    space = spec.search_space
    for name, domain in space.items():
        if not PARAM_NAME_PATTERN.match(name):
            yield Problem(
                f"search_space.{name}",
                "parameter names use letters, digits and - _ . : / (not starting with - . : /)",
            )
        cond = domain.condition
        if cond is None:
            continue
        parent = space.get(cond.parent)
        if parent is None:
            yield Problem(
                f"search_space.{name}.condition.parent",
                f"no parameter named {cond.parent!r} in search_space",
            )
        elif not parent.finite:
            yield Problem(
                f"search_space.{name}.condition.parent",
                f"parent {cond.parent!r} must take finitely many values"
                " (categorical, discrete, bool, int or a q-distribution)",
            )
        else:
            allowed = parent.grid_values()
            for j, v in enumerate(cond.values):
                if not any(type(v) is type(a) and v == a for a in allowed) and not (
                    isinstance(v, int | float)
                    and not isinstance(v, bool)
                    and any(not isinstance(a, bool) and v == a for a in allowed)
                ):
                    yield Problem(
                        f"search_space.{name}.condition.values.{j}",
                        f"{v!r} is not a value of {cond.parent!r}",
                    )
    yield from _cycles(space)

    algorithm = spec.strategy.algorithm
    if algorithm in FINITE_ONLY:
        for name, domain in space.items():
            if not domain.finite:
                yield Problem(
                    f"search_space.{name}",
                    "grid needs finite domains (categorical, discrete, bool, int,"
                    " float with q, quniform, qloguniform or randint)",
                )
    policy = spec.early_stopping.policy
    if algorithm in MULTI_FIDELITY:
        if spec.resource_bounds() is None:
            yield Problem(
                "trial.resource",
                f"strategy {algorithm} needs a resource: set trial.resource"
                " {name, min, max} or strategy.min_resource/max_resource",
            )
        if policy not in ("none", "hyperband"):
            yield Problem(
                "early_stopping.policy",
                f"strategy {algorithm} stops trials at its own rungs;"
                f" policy {policy!r} cannot be combined with it",
            )
    elif policy == "hyperband" and spec.resource_bounds() is None:
        yield Problem("trial.resource", "policy hyperband needs trial.resource {name, min, max}")
    if spec.multi_objective:
        if policy != "none":
            yield Problem(
                "early_stopping.policy",
                "early stopping compares one metric; multi-objective studies take policy none",
            )
        if algorithm in MULTI_FIDELITY:
            yield Problem("strategy.algorithm", f"{algorithm} supports a single objective only")
    lim = spec.limits
    devices = spec.trial.devices
    if devices and not spec.trial.share_devices and lim.max_parallel > len(devices):
        yield Problem(
            "limits.max_parallel",
            f"{lim.max_parallel} parallel trials but {len(devices)} device(s) in trial.devices"
            " (set trial.share_devices: true to share them)",
        )
    if lim.max_trials is None and lim.max_failed is not None and lim.max_failed > spec.max_trials:
        yield Problem(
            "limits.max_failed", f"exceeds the trial budget ({spec.max_trials} trials)"
        )


def _cycles(space: dict[str, Any]):
    parents = {n: d.condition.parent for n, d in space.items() if d.condition is not None}
    reported: set[str] = set()
    for start in parents:
        seen = [start]
        node = parents.get(start)
        while node is not None and node in space:
            if node in seen:
                cycle = seen[seen.index(node) :]
                if not reported & set(cycle):
                    reported.update(cycle)
                    chain = " -> ".join([*cycle, node])
                    yield Problem(
                        f"search_space.{start}.condition.parent", f"condition cycle: {chain}"
                    )
                break
            seen.append(node)
            node = parents.get(node)


def _validate_backends(backends: dict[str, Any]) -> tuple[dict[str, Any], list[Problem]]:
    from hpo_bridge.plugins import registry

    reg = registry()
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, settings in backends.items():
        component = reg.get("backends", name)
        if component is None:
            installed = ", ".join(reg.names("backends")) or "none"
            problems.append(
                Problem(f"backends.{name}", f"unknown backend (installed: {installed})")
            )
            continue
        model = component.settings
        if model is None or isinstance(settings, model):
            out[name] = settings
            continue
        try:
            out[name] = model.model_validate(settings if settings is not None else {})
        except ValidationError as exc:
            problems += problems_from_validation(exc, root=("backends", name))
    return out, problems


# Re-exported for type checks elsewhere.
__all__ = [
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
