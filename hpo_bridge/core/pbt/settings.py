"""PBT's settings as the searcher uses them: the spec's `strategy` options with their
defaults filled in (read duck-typed: core never imports the spec).

- `population_size`: members trained at once, default max(4, limits.max_parallel)
  (4 is Syne Tune's default; a larger max_parallel means the user has the slots).
- `perturbation_interval`: in the resource's units (trial.resource, e.g. epochs); a
  member is compared with the population each time it has trained this much more.
  Default: the resource's `min`.
- `quantile_fraction` (0.25) and `resample_probability` (0.25): Ray Tune's and Syne
  Tune's defaults. `perturbation_factors` (0.8, 1.2): Ray Tune's.
- `synch`: false (asynchronous, as in the paper, Ray Tune and Syne Tune: a member is
  judged when it reaches a boundary, against the others' latest results); true: the
  population moves in rounds, judged together once every member reached the boundary
  (Ray Tune's `synch=True`, Vega's PBT).
- `mutations`: parameter -> how it changes (None: every parameter, the default way).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

DEFAULT_POPULATION = 4
DEFAULT_QUANTILE = 0.25
DEFAULT_RESAMPLE = 0.25
DEFAULT_FACTORS = (0.8, 1.2)


@dataclass(frozen=True)
class MutationRule:
    """How explore changes one parameter (the spec's `strategy.mutations.<name>`)."""

    factors: tuple[float, ...] | None = None  # multiply by one of these (numbers)
    values: tuple[Any, ...] | None = None  # move to a neighbour along these, or resample them
    resample_probability: float | None = None


@dataclass(frozen=True)
class PBTSettings:
    population_size: int
    perturbation_interval: int
    max_resource: int
    quantile_fraction: float = DEFAULT_QUANTILE
    resample_probability: float = DEFAULT_RESAMPLE
    perturbation_factors: tuple[float, ...] = DEFAULT_FACTORS
    synch: bool = False
    mutations: Mapping[str, MutationRule] | None = None  # None: every parameter

    @classmethod
    def from_spec(cls, spec: TuningSpec) -> PBTSettings:
        st = spec.strategy
        bounds = spec.resource_bounds()
        if bounds is None:
            raise ValueError("pbt needs a resource: trial.resource {name, min, max}")
        mutations = getattr(st, "mutations", None)
        return cls(
            population_size=_given(st, "population_size")
            or max(DEFAULT_POPULATION, spec.limits.max_parallel),
            perturbation_interval=_given(st, "perturbation_interval") or bounds[0],
            max_resource=bounds[1],
            quantile_fraction=_or(_given(st, "quantile_fraction"), DEFAULT_QUANTILE),
            resample_probability=_or(_given(st, "resample_probability"), DEFAULT_RESAMPLE),
            perturbation_factors=tuple(_given(st, "perturbation_factors") or DEFAULT_FACTORS),
            synch=bool(_given(st, "synch")),
            mutations=None if mutations is None else {
                name: _rule(rule) for name, rule in mutations.items()},
        )

    @property
    def segments(self) -> int:
        """Trials one member runs from start to `max_resource`: one per interval."""
        return math.ceil(self.max_resource / self.perturbation_interval)

    @property
    def trials(self) -> int:
        """Trials the whole population runs when none fails."""
        return self.population_size * self.segments


def _given(section: Any, name: str) -> Any:
    return getattr(section, name, None)


def _or(value: Any, default: Any) -> Any:
    return default if value is None else value


def _rule(rule: Any) -> MutationRule:
    if rule is None:
        return MutationRule()
    factors: Sequence[float] | None = getattr(rule, "factors", None)
    values: Sequence[Any] | None = getattr(rule, "values", None)
    return MutationRule(
        factors=tuple(float(f) for f in factors) if factors else None,
        values=tuple(values) if values else None,
        resample_probability=getattr(rule, "resample_probability", None),
    )
