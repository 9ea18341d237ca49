"""Population-based training in the spec: `strategy.mutations` entries and the rules a
`pbt` strategy must satisfy across sections (called from spec/rules.py).

    strategy:
      algorithm: pbt
      population_size: 8          # members trained at once (default max(4, max_parallel))
      perturbation_interval: 3    # in trial.resource's units (default its min)
      quantile_fraction: 0.25     # bottom copies top (0..0.5)
      resample_probability: 0.25  # else perturb
      perturbation_factors: [0.8, 1.2]
      synch: false                # true: the population moves in rounds
      mutations:                  # default: every parameter, the default way
        lr: {factors: [0.5, 2.0]}
        batch_size: {values: [32, 64, 128, 256]}
        momentum: {}              # the default way; parameters not listed are copied as is
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import Field, PositiveFloat

from hpo_bridge.core import space
from hpo_bridge.core.ranges import Choice, as_range
from hpo_bridge.spec.domains import Scalar
from hpo_bridge.spec.errors import Problem
from hpo_bridge.spec.section import Section

if TYPE_CHECKING:
    from hpo_bridge.spec.rules import SpecView

PBT = "pbt"
PBT_OPTIONS = ("population_size", "perturbation_interval", "quantile_fraction",
               "resample_probability", "perturbation_factors", "synch", "mutations")


class Mutation(Section):
    """How PBT's explore step changes one parameter (Ray Tune's `hyperparam_mutations`)."""

    factors: list[PositiveFloat] | None = Field(default=None, min_length=1)
    values: list[Scalar] | None = Field(default=None, min_length=2)
    resample_probability: float | None = Field(default=None, ge=0, le=1)


def pbt_problems(view: SpecView) -> Iterator[Problem]:
    spec = view.spec
    if not view.ok("strategy") or spec.strategy.algorithm != PBT:
        return
    if view.ok("trial") and spec.resource_bounds() is None:
        yield Problem("trial.resource", "strategy pbt needs a resource: set trial.resource"
                      " {name, min, max} (each member trains up to its max)")
    elif view.ok("trial"):
        low, high = spec.resource_bounds()
        interval = spec.strategy.perturbation_interval or low
        if interval >= high:
            where = "strategy.perturbation_interval" \
                if spec.strategy.perturbation_interval else "trial.resource.min"
            yield Problem(where, f"the perturbation interval ({interval}) must be below"
                          f" trial.resource.max ({high}): no member would ever be perturbed")
    if view.ok("early_stopping") and spec.early_stopping.policy != "none":
        yield Problem("early_stopping.policy", "strategy pbt replaces poor trials itself"
                      f" (exploit); policy {spec.early_stopping.policy!r} cannot be combined"
                      " with it")
    if view.given("objectives") and not view.given("objective"):
        yield Problem("strategy.algorithm", "pbt supports a single objective only")
    if view.ok("limits") and spec.limits.max_trials is not None:
        population = spec.strategy.population_size or max(4, spec.limits.max_parallel)
        if spec.limits.max_trials < population:
            yield Problem("limits.max_trials", f"{spec.limits.max_trials} is fewer than the"
                          f" population ({population}): every member runs at least one trial")
    if view.ok("search_space"):
        yield from _mutation_problems(spec.strategy.mutations or {}, spec.search_space,
                                      view.broken_params)


def _mutation_problems(mutations: dict[str, Any], search_space: dict[str, Any],
                       broken: set[str]) -> Iterator[Problem]:
    for name, rule in mutations.items():
        where = f"strategy.mutations.{name}"
        domain = search_space.get(name)
        if domain is None:
            if name not in broken:
                yield Problem(where, f"no parameter named {name!r} in search_space")
            continue
        if rule is None:
            continue
        for i, value in enumerate(rule.values or ()):
            if not space.contains(domain, value):
                yield Problem(f"{where}.values.{i}", f"{value!r} is not a value of {name!r}")
        if rule.factors is not None and isinstance(as_range(domain), Choice):
            yield Problem(f"{where}.factors", f"{name!r} takes listed values, not numbers"
                          " to multiply: give values (an ordered list) instead")
