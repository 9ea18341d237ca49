"""PBT's explore step: the copied configuration, changed parameter by parameter.

For each parameter that mutates (every one, unless `strategy.mutations` names some),
with probability `resample_probability` its value is drawn afresh from its domain
(or from the mutation's `values`); otherwise it is perturbed (Ray Tune's rules,
bounded to the search space as Syne Tune does):

- numbers (float/int ranges, Azure's distributions): multiplied by one of
  `perturbation_factors` chosen uniformly (default 0.8 and 1.2), then clipped to
  [low, high] and put on the domain's grid (an integer, a multiple of q), 12
  significant digits; an integer that rounding would leave unchanged moves one step
  in the factor's direction;
- ordered values (`discrete` domains, or a mutation's `values` list): the previous or
  the next value, each with probability 1/2 (staying put at either end);
- unordered values (`categorical`, `bool`): kept (only resampling changes them: their
  values have no neighbours).

Conditions are then re-applied in dependency order: a parameter that became active is
drawn afresh, one that became inactive is dropped. Every change is returned, to be
journaled with the decision.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpo_bridge.core import space
from hpo_bridge.core.pbt.settings import MutationRule, PBTSettings
from hpo_bridge.core.ranges import Choice, Gaussian, NumericRange, as_range, same_value


@dataclass(frozen=True)
class Change:
    name: str
    old: Any
    new: Any
    how: str  # "x1.2", "resampled", "next value", "previous value", "drawn", "dropped"

    def text(self) -> str:
        if self.how == "dropped":
            return f"{self.name} dropped (inactive)"
        if self.how == "drawn":
            return f"{self.name} = {_show(self.new)} (now active, drawn)"
        return f"{self.name} {_show(self.old)} -> {_show(self.new)} ({self.how})"


def _show(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else repr(value)


def explore(params: Mapping[str, Any], search_space: Mapping[str, Any], settings: PBTSettings,
            rng: np.random.Generator) -> tuple[dict[str, Any], list[Change]]:
    """The perturbed configuration and what changed (see the module docstring)."""
    names = space.ordered_names(search_space)
    mutating = set(names) if settings.mutations is None else set(settings.mutations)
    new: dict[str, Any] = {}
    changes: list[Change] = []
    for name in names:
        if name not in params:
            continue
        value = params[name]
        if name in mutating:
            rule = (settings.mutations or {}).get(name) or MutationRule()
            value, how = _mutate(search_space[name], value, rule, settings, rng)
            if how is not None and not same_value(value, params[name]):
                changes.append(Change(name, params[name], value, how))
        new[name] = value
    out: dict[str, Any] = {}
    for name in names:  # parents first: conditions see the new values
        domain = search_space[name]
        if not space.is_active(domain, out):
            if name in new:
                changes = [c for c in changes if c.name != name]
                changes.append(Change(name, params[name], None, "dropped"))
            continue
        if name in new:
            out[name] = new[name]
        else:
            out[name] = space.sample_value(domain, rng)
            changes.append(Change(name, None, out[name], "drawn"))
    return {name: out[name] for name in search_space if name in out}, changes


def _mutate(domain: Any, value: Any, rule: MutationRule, settings: PBTSettings,
            rng: np.random.Generator) -> tuple[Any, str | None]:
    p = settings.resample_probability if rule.resample_probability is None \
        else rule.resample_probability
    resample = bool(rng.random() < p)
    if rule.values is not None:
        return _along(rule.values, value, resample, rng)
    r = as_range(domain)
    if isinstance(r, Choice):
        if r.kind == "discrete":
            return _along(r.values, value, resample, rng)
        if resample:
            return r.values[int(rng.integers(len(r.values)))], "resampled"
        return value, None
    if resample:
        return space.sample_value(domain, rng), "resampled"
    factors = rule.factors or settings.perturbation_factors
    factor = factors[int(rng.integers(len(factors)))]
    return _perturbed(r, value, factor), f"x{factor:g}"


def _along(values: tuple[Any, ...], value: Any, resample: bool,
           rng: np.random.Generator) -> tuple[Any, str]:
    """Ray Tune's list mutation: resample, else the previous or next value."""
    index = next((i for i, v in enumerate(values) if same_value(v, value)), None)
    if resample or index is None:
        return values[int(rng.integers(len(values)))], "resampled"
    if rng.random() < 0.5:
        return values[max(index - 1, 0)], "previous value"
    return values[min(index + 1, len(values) - 1)], "next value"


def _perturbed(r: NumericRange | Gaussian, value: Any, factor: float) -> Any:
    x = float(value) * factor
    if isinstance(r, NumericRange):
        x = min(max(x, r.low), r.high)
    step = r.step
    if step is not None:
        k = round(x / step)
        if isinstance(r, NumericRange):
            first, last = r.step_indexes()
            k = min(max(k, first), last)
        x = round(k * step, 12)
    if not r.integer:
        return float(f"{x:.12g}")  # 0.9 * 0.8 reads 0.72
    n = int(round(x))
    if step is not None:
        return n  # a multiple of the step on the domain's grid already
    if n == value and factor != 1.0 and value != 0:
        n += 1 if float(value) * factor > float(value) else -1  # move at least one step
    if isinstance(r, NumericRange):
        n = int(min(max(n, math.ceil(r.low)), math.floor(r.high)))
    return n
