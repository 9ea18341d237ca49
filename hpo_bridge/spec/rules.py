"""Rules across sections of a spec, checked on whatever sections are valid.

pydantic stops a model's own validators once one of its fields fails, so a
typo in `strategy` would hide a bad condition in `search_space` until the
typo is fixed. These rules therefore run on a *view* of the spec built from
the sections that did validate; a rule runs only when every section it
reads is in that view. A spec's problems are thus reported all at once,
except that a section's own cross-field rules (e.g. `max_parallel <=
max_trials` inside `limits`) wait until that section's fields are valid.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from hpo_bridge.core.ranges import Choice, NumericRange
from hpo_bridge.spec.catalogue import Catalogue, context_of
from hpo_bridge.spec.domains import Domain
from hpo_bridge.spec.errors import Problem, SpecError, dotted, shown
from hpo_bridge.spec.pbt import pbt_problems
from hpo_bridge.spec.problems import problems_from_validation

MULTI_FIDELITY = ("hyperband", "bohb")
FINITE_ONLY = ("grid",)


@dataclass
class SpecView:
    """A spec whose sections in `failed` did not validate (they hold defaults)."""

    spec: Any  # a TuningSpec, possibly built with model_construct
    failed: set[str] = field(default_factory=set)
    # Parameters written in the spec that did not validate (conditions may name them).
    broken_params: set[str] = field(default_factory=set)

    def ok(self, *sections: str) -> bool:
        return not self.failed.intersection(sections)

    def given(self, section: str) -> bool:
        return section in self.failed or getattr(self.spec, section) is not None


def invalid_spec_problems(
    cls: type[BaseModel], data: Any, exc: ValidationError, catalogue: Catalogue | None
) -> list[Problem]:
    """Every problem of a spec that failed field validation: the field problems, then
    the cross-section and backend problems of the sections that did validate."""
    problems = problems_from_validation(exc, catalogue=catalogue)
    if isinstance(data, dict):
        view = partial_view(cls, data, exc, catalogue)
        problems += cross_problems(view)
        problems += contract_problems(view, catalogue)
        if view.ok("backends"):
            problems += validate_backends(view.spec.backends, catalogue)[1]
    return problems


def checked_backends(spec: Any, catalogue: Catalogue | None) -> dict[str, Any]:
    """The backend settings of a spec whose fields are valid, through their models;
    raises SpecError with the spec's cross-section and backend problems."""
    problems = list(cross_problems(SpecView(spec)))
    problems += contract_problems(SpecView(spec), catalogue)
    settings, backend_problems = validate_backends(spec.backends, catalogue)
    problems += backend_problems
    if problems:
        raise SpecError(problems)
    return settings


_ADAPTERS: dict[str, TypeAdapter[Any]] = {}


def _adapter(name: str, annotation: Any) -> TypeAdapter[Any]:
    if name not in _ADAPTERS:
        _ADAPTERS[name] = TypeAdapter(annotation)
    return _ADAPTERS[name]


def partial_view(
    cls: type[BaseModel], data: dict[str, Any], exc: ValidationError, catalogue: Catalogue | None
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


def cross_problems(view: SpecView) -> Iterator[Problem]:
    yield from _objectives(view)
    yield from _metrics(view)
    yield from _conditions(view)
    yield from _forbidden(view)
    yield from _strategy(view)
    yield from pbt_problems(view)
    yield from _limits(view)
    yield from _resource(view)


def _resource(view: SpecView) -> Iterator[Problem]:
    """The budget reaches a trial under the resource's name, like a hyperparameter: that
    name cannot also be a tuned parameter."""
    if not view.ok("trial", "search_space") or view.spec.trial.resource is None:
        return
    name = view.spec.trial.resource.name
    if name in view.spec.search_space:
        yield Problem("trial.resource.name", f"{shown(name)} is also a parameter of search_space"
                      " (the budget is passed to the trial under this name)")


def contract_problems(view: SpecView, catalogue: Catalogue | None) -> list[Problem]:
    """The problems the spec's contract finds (names that become paths, ...): a contract
    reads `trial`, `objective(s)` and `metrics`, so it runs when those validated."""
    if catalogue is None or not view.ok("trial", "objective", "objectives", "metrics"):
        return []
    return [Problem(path, message) for path, message in catalogue.contract_problems(view.spec)]


def _objectives(view: SpecView) -> Iterator[Problem]:
    spec = view.spec
    if view.given("objective") == view.given("objectives"):
        yield Problem("objective", "give exactly one of objective and objectives")
    if view.ok("objectives") and spec.objectives:
        seen: set[str] = set()
        for i, obj in enumerate(spec.objectives):
            if obj.metric in seen:
                yield Problem(f"objectives.{i}.metric", f"duplicate metric {shown(obj.metric)}")
            seen.add(obj.metric)


def _metrics(view: SpecView) -> Iterator[Problem]:
    if not view.ok("metrics"):
        return
    seen: set[str] = set()
    for i, m in enumerate(view.spec.metrics):
        if m.name in seen:
            yield Problem(f"metrics.{i}.name", f"duplicate metric name {shown(m.name)}")
        seen.add(m.name)


def _conditions(view: SpecView) -> Iterator[Problem]:
    space = view.spec.search_space
    for name, domain in space.items():
        cond = domain.condition
        if cond is None or cond.parent in view.broken_params:
            continue
        parent = space.get(cond.parent)
        where = f"search_space.{name}.condition"
        if parent is None:
            yield Problem(f"{where}.parent",
                          f"no parameter named {shown(cond.parent)} in search_space")
        elif cond.op == "range":
            if not _numeric(parent):
                yield Problem(f"{where}.op", f"op range needs a numeric parent;"
                                             f" {shown(cond.parent)} takes values that are"
                                             " not numbers")
        elif not parent.finite:
            yield Problem(
                f"{where}.parent",
                f"parent {shown(cond.parent)} must take finitely many values"
                " (categorical, discrete, bool, int, float with q, or a q-distribution)"
                " for op " + cond.op + " (op range takes any numeric parent)",
            )
        else:
            for j, v in enumerate(cond.values):
                if not parent.contains(v):
                    yield Problem(f"{where}.values.{j}",
                                  f"{shown(v)} is not a value of {shown(cond.parent)}")
    yield from _cycles(space)


def _numeric(domain: Any) -> bool:
    """A domain whose values are all numbers (booleans are not)."""
    shape = domain.normalized()
    if isinstance(shape, Choice):
        return shape.kind != "bool" and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in shape.values)
    return True


def _takes(domain: Any, value: Any) -> bool:
    """Whether a configuration can give the parameter `value` (what a forbidden
    combination may name): a value of a finite domain, a number within a range's bounds."""
    if domain.finite:
        return bool(domain.contains(value))
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    shape = domain.normalized()
    if isinstance(shape, NumericRange):
        return bool(shape.low <= value <= shape.high)
    return True  # a normal distribution reaches every number


def _forbidden(view: SpecView) -> Iterator[Problem]:
    """Each forbidden combination names parameters of search_space and values they take."""
    if not view.ok("forbidden") or "search_space" in view.failed:
        return
    space = view.spec.search_space
    for i, entry in enumerate(view.spec.forbidden):
        for name, value in entry.items():
            where = dotted(("forbidden", i, name))
            if name in view.broken_params:
                continue
            domain = space.get(name)
            if domain is None:
                yield Problem(where, f"no parameter named {name!r} in search_space")
            elif not _takes(domain, value):
                yield Problem(where, f"{value!r} is not a value of {name!r}")


def _cycles(space: dict[str, Any]) -> Iterator[Problem]:
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


def _strategy(view: SpecView) -> Iterator[Problem]:
    spec = view.spec
    if not view.ok("strategy"):
        return
    algorithm = spec.strategy.algorithm
    if spec.strategy.sampler == "gp" and importlib.util.find_spec("torch") is None:
        # Caught here, not when the study starts: `validate` must tell the truth.
        yield Problem(
            "strategy.sampler",
            "gp needs PyTorch, which optuna's GPSampler runs on"
            " (pip install 'hpo-bridge[gp]'), or use sampler tpe",
        )
    if algorithm in FINITE_ONLY:
        for name, domain in spec.search_space.items():
            if not domain.finite:
                yield Problem(
                    f"search_space.{name}",
                    f"{algorithm} needs finite domains (categorical, discrete, bool, int,"
                    " float with q, quniform, qloguniform or randint)",
                )
    if view.ok("early_stopping", "trial"):
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
            yield Problem(
                "trial.resource", "policy hyperband needs trial.resource {name, min, max}"
            )
    if view.given("objectives") and not view.given("objective"):
        if view.ok("early_stopping") and spec.early_stopping.policy != "none":
            yield Problem(
                "early_stopping.policy",
                "early stopping compares one metric; multi-objective studies take policy none",
            )
        if algorithm in MULTI_FIDELITY:
            yield Problem("strategy.algorithm", f"{algorithm} supports a single objective only")


def _limits(view: SpecView) -> Iterator[Problem]:
    if not view.ok("limits", "trial"):
        return
    lim, trial = view.spec.limits, view.spec.trial
    if trial.devices and not trial.share_devices and lim.max_parallel > len(trial.devices):
        yield Problem(
            "limits.max_parallel",
            f"{lim.max_parallel} parallel trials but {len(trial.devices)} device(s) in"
            " trial.devices (set trial.share_devices: true to share them)",
        )
    if lim.max_total_resource is not None and view.ok("strategy"):
        bounds = view.spec.resource_bounds()
        unit = trial.resource.name if trial.resource is not None else "epochs"
        if bounds is None:
            yield Problem("limits.max_total_resource", "counts trial.resource: set trial.resource"
                          " {name, min, max} (the budget each trial is given)")
        elif lim.max_total_resource < bounds[1]:
            yield Problem("limits.max_total_resource",
                          f"{lim.max_total_resource} is less than one trial's budget"
                          f" ({bounds[1]} {unit})")
    complete = view.ok("strategy", "search_space") and not view.broken_params
    if lim.max_trials is None and lim.max_failed is not None and complete:
        budget = view.spec.max_trials
        if lim.max_failed > budget:
            yield Problem("limits.max_failed", f"exceeds the trial budget ({budget} trials)")


def validate_backends(
    backends: dict[str, Any], catalogue: Catalogue | None
) -> tuple[dict[str, Any], list[Problem]]:
    """Each backend's settings through the model its plugin registered.

    Without a catalogue the settings are kept as given (see spec/catalogue.py).
    """
    if catalogue is None:
        return dict(backends), []
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, settings in backends.items():
        if name not in catalogue.backends:
            installed = ", ".join(catalogue.backend_names) or "none"
            problems.append(
                Problem(dotted(("backends", name)), f"unknown backend (installed: {installed})")
            )
            continue
        model = catalogue.settings_model(name)
        if model is None or isinstance(settings, model):
            out[name] = settings
            continue
        try:
            out[name] = model.model_validate(settings if settings is not None else {})
        except ValidationError as exc:
            problems += problems_from_validation(exc, root=("backends", name), catalogue=catalogue)
    return out, problems
