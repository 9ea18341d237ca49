"""Drawing configurations from a spec's search space (pure functions).

Every domain maps a unit number u in [0, 1) to a value (`from_unit`): the
inverse of the domain's cumulative distribution. Random search feeds it
`rng.random()`, Sobol search feeds it quasi-random points, so both share one
definition of every domain:

- float/int, scale linear: low + u * (high - low).
- scale log: exp(ln low + u * (ln high - ln low)).
- scale reverse_log (dense near `high`), Vertex AI / Vizier's definition:
  x = high + c - exp(ln(high - low + c) - u * ln((high - low + c) / c)) with
  c = low, i.e. x = high + low - exp(uniform(ln low, ln high)). When low <= 0
  that log is undefined, so c = (high - low) / 100 (the distance to `high`
  is then log-uniform over [c, c + width], shifted back by c).
- int: the scaled value over [low - 0.5, high + 0.5], rounded and clipped,
  so each end keeps its share.
- float with q: the scaled value rounded to a multiple of q, clipped to the
  multiples within [low, high] (the same set as `grid_values()`).
- Azure's expressions (SEEDS.md, 000): uniform(low, high);
  loguniform = exp(uniform(ln low, ln high)) (low/high bound the value);
  normal(mu, sigma) by its inverse CDF; lognormal = exp(normal);
  quniform = round(uniform / q) * q; qloguniform = round(loguniform / q) * q;
  qnormal = round(normal / q) * q; qlognormal = round(lognormal / q) * q;
  randint(upper) in [0, upper). `round` is round-half-even (as numpy, which
  hyperopt - Azure's sampler - uses). `type: int` casts the result to int.
- categorical/discrete: values[floor(u * n)]; bool: u >= 0.5.

Domains are read through their normalised view (hpo_bridge.core.ranges):
the spec's float/int are NumericRanges with rounding "grid", Azure's
uniform/loguniform/quniform/qloguniform NumericRanges with rounding "draw",
randint one with rounding "floor", the normal family Gaussians, and
categorical/discrete/bool Choices.

A parameter with a `condition` is active only when its parent is active and
its value passes the condition (`op`: in, not_in, ==, !=, range); inactive
parameters are absent from the configuration. Parents are drawn before their
children (`ordered_names`). A configuration that assigns every parameter of
one of the spec's `forbidden` partial assignments its value is forbidden
(`is_forbidden`): every searcher draws again instead of proposing it.
Values are plain JSON types: int, float, str, bool.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np

from hpo_bridge.core.ranges import (
    Choice,
    Gaussian,
    NumericRange,
    ParamRange,
    as_range,
    grid_steps,
    on_grid,
    same_value,
)

# Parameter name -> domain (a spec domain, or anything whose `normalized()` is a ParamRange).
Space = Mapping[str, Any]

_STD_NORMAL = NormalDist()
# Unit numbers are kept off 0 and 1 so the normal's inverse CDF stays finite (about 7 sigma).
_U_MIN = 1e-12
_U_MAX = 1.0 - 1e-12
_REVERSE_LOG_OFFSET = 0.01  # c = width / 100 when low <= 0 (see module docstring)
# Draws in a row a searcher makes before it concludes that (nearly) every configuration is
# forbidden and it has nothing left to propose.
MAX_FORBIDDEN_DRAWS = 1000


def space_of(spec_or_space: Any) -> Space:
    """The search space of a TuningSpec, or the mapping itself."""
    space = getattr(spec_or_space, "search_space", spec_or_space)
    if not isinstance(space, Mapping):
        raise TypeError(f"expected a TuningSpec or a mapping of domains, got {type(space)!r}")
    return space


def ordered_names(spec_or_space: Any) -> list[str]:
    """Parameter names in spec order, except that every parent comes before its children."""
    space = space_of(spec_or_space)
    done: list[str] = []
    placed: set[str] = set()

    def place(name: str, trail: tuple[str, ...]) -> None:
        if name in placed:
            return
        if name in trail:
            raise ValueError(f"condition cycle: {' -> '.join([*trail, name])}")
        cond = space[name].condition
        if cond is not None and cond.parent in space:
            place(cond.parent, (*trail, name))
        placed.add(name)
        done.append(name)

    for name in space:
        place(name, ())
    return done


def value_matches(value: Any, allowed: Sequence[Any]) -> bool:
    """`value` is one of `allowed`: numbers match by value (1 == 1.0), booleans only booleans."""
    return any(same_value(value, a) for a in allowed)


def condition_holds(cond: Any, value: Any) -> bool:
    """Whether the parent's `value` passes a condition (`op` in, not_in, ==, !=, range;
    a condition without `op` is `in`)."""
    op = getattr(cond, "op", "in")
    if op in ("in", "=="):
        return value_matches(value, cond.values)
    if op in ("not_in", "!="):
        return not value_matches(value, cond.values)
    if op == "range":
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        low, high = cond.values
        return bool(low <= value <= high)
    raise ValueError(f"unknown condition op {op!r}")


def is_active(domain: Any, config: Mapping[str, Any]) -> bool:
    """True when the domain has no condition, or its parent is in `config` with a value that
    passes the condition (`condition_holds`)."""
    cond = domain.condition
    if cond is None:
        return True
    return cond.parent in config and condition_holds(cond, config[cond.parent])


def is_forbidden(spec_or_forbidden: Any, config: Mapping[str, Any]) -> bool:
    """Whether `config` assigns every parameter of one of the spec's `forbidden` partial
    assignments its forbidden value (an inactive parameter matches no value)."""
    entries = getattr(spec_or_forbidden, "forbidden", spec_or_forbidden) or ()
    return any(
        all(name in config and same_value(config[name], value) for name, value in entry.items())
        for entry in entries
    )


def sample_allowed(spec: Any, rng: np.random.Generator,
                   tries: int = MAX_FORBIDDEN_DRAWS) -> dict[str, Any] | None:
    """`sample` until a configuration is not forbidden (`is_forbidden`), drawing on from the
    same generator; None when `tries` draws in a row were all forbidden."""
    for _ in range(tries):
        config = sample(spec, rng)
        if not is_forbidden(spec, config):
            return config
    return None


def active_params(spec_or_space: Any, config: Mapping[str, Any]) -> list[str]:
    """Names of the parameters active under `config`, in dependency order.

    A parameter is active when its condition holds and its parent is itself
    active (a child of an inactive parent is inactive, whatever `config` says).
    """
    space = space_of(spec_or_space)
    active: dict[str, Any] = {}
    for name in ordered_names(space):
        if is_active(space[name], active):
            active[name] = config.get(name)
    return list(active)


def _clip_unit(u: float) -> float:
    return min(max(float(u), _U_MIN), _U_MAX)


def _scaled(low: float, high: float, scale: str, u: float) -> float:
    """u in [0, 1] -> a real in [low, high] under the scale."""
    if scale == "log":
        x = math.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    elif scale == "reverse_log":
        width = high - low
        c = low if low > 0 else width * _REVERSE_LOG_OFFSET
        top = width + c
        x = high + c - math.exp(math.log(top) - u * (math.log(top) - math.log(c)))
    else:
        x = low + u * (high - low)
    return min(max(x, low), high)


def _quantize(x: float, q: float) -> float:
    # round(.., 12) drops float noise so 3 * 0.1 reads 0.3, as grid_values() does.
    return round(round(x / q) * q, 12)


def _q_steps(r: NumericRange) -> tuple[int, int]:
    """First and last multiple index of the step within [low, high] (as a grid counts them)."""
    assert r.step is not None
    first, last = grid_steps(r.low, r.high, r.step)
    if first > last:
        raise ValueError(f"no multiple of q={r.step} lies within [{r.low}, {r.high}]")
    return first, last


def _grid_value(r: NumericRange, u: float) -> int | float:
    """The spec's float and int: the nearest integer / multiple of the step within bounds."""
    if r.integer:
        # Widen by half a step each side so rounding gives the end values their full share.
        x = _scaled(r.low - 0.5, r.high + 0.5, r.scale, u)
        return int(min(max(round(x), r.low), r.high))
    x = _scaled(r.low, r.high, r.scale, u)
    if r.step is None:
        return float(x)
    first, last = _q_steps(r)
    k = min(max(round(x / r.step), first), last)
    return float(round(k * r.step, 12))


def _numeric_value(r: NumericRange, u: float) -> int | float:
    if r.rounding == "floor":  # Azure's randint: floor of a uniform draw over the integers
        count = int(r.high - r.low) + 1
        return int(r.low) + int(min(math.floor(u * count), count - 1))
    if r.rounding == "grid":
        return _grid_value(r, u)
    x = _scaled(r.low, r.high, r.scale, u)  # Azure's draw, then round(x / q) * q
    if r.step is not None:
        x = _quantize(x, r.step)
    return int(round(x)) if r.integer else float(x)


def _gaussian_value(g: Gaussian, u: float) -> int | float:
    x = g.mu + g.sigma * _STD_NORMAL.inv_cdf(_clip_unit(u))
    if g.log:
        x = math.exp(x)
    if g.step is not None:
        x = _quantize(x, g.step)
    return int(round(x)) if g.integer else float(x)


def from_unit(domain: Any, u: float) -> Any:
    """The value of `domain` (or of its normalised range) at quantile u in [0, 1)
    (see the module docstring)."""
    u = min(max(float(u), 0.0), _U_MAX)
    r: ParamRange = as_range(domain)
    match r:
        case Choice(values=values):  # bool: (False, True), so True from u >= 0.5
            return values[min(int(u * len(values)), len(values) - 1)]
        case Gaussian():
            return _gaussian_value(r, u)
        case NumericRange():
            return _numeric_value(r, u)


def _unscaled(low: float, high: float, scale: str, x: float) -> float:
    """The inverse of `_scaled`: a real in [low, high] -> u in [0, 1]."""
    if high <= low:
        return 0.5
    x = min(max(float(x), low), high)
    if scale == "log":
        u = (math.log(x) - math.log(low)) / (math.log(high) - math.log(low))
    elif scale == "reverse_log":
        width = high - low
        c = low if low > 0 else width * _REVERSE_LOG_OFFSET
        top = width + c
        u = (math.log(top) - math.log(high + c - x)) / (math.log(top) - math.log(c))
    else:
        u = (x - low) / (high - low)
    return min(max(u, 0.0), 1.0)


def to_unit(domain: Any, value: Any) -> float:
    """A quantile u whose `from_unit` gives `value` back (the middle of its share for
    finite domains): how a searcher places an earlier trial's value in its model."""
    r: ParamRange = as_range(domain)
    match r:
        case Choice(values=values):
            index = next(i for i, v in enumerate(values) if same_value(v, value))
            return (index + 0.5) / len(values)
        case Gaussian():
            x = math.log(value) if r.log else float(value)
            return _clip_unit(_STD_NORMAL.cdf((x - r.mu) / r.sigma))
        case NumericRange():
            if r.rounding == "floor":
                count = int(r.high - r.low) + 1
                return (int(value) - int(r.low) + 0.5) / count
            if r.rounding == "grid" and r.integer:
                return _unscaled(r.low - 0.5, r.high + 0.5, r.scale, value)
            return _unscaled(r.low, r.high, r.scale, value)
    raise TypeError(f"unknown range {r!r}")


def units_from_config(spec_or_space: Any, config: Mapping[str, Any]) -> list[float]:
    """One unit number per parameter (`ordered_names` order) for a configuration: the
    inverse of `config_from_units` (an inactive parameter takes 0.5)."""
    space = space_of(spec_or_space)
    return [to_unit(space[name], config[name]) if name in config else 0.5
            for name in ordered_names(space)]


def in_space(spec_or_space: Any, config: Mapping[str, Any]) -> bool:
    """True when `config` is a configuration of the space: every active parameter there
    with a value its domain can produce, and no other."""
    space = space_of(spec_or_space)
    if any(name not in space for name in config):
        return False
    active = active_params(space, config)
    return set(active) == set(config) and all(
        contains(space[name], config[name]) for name in active)


def config_from_units(spec_or_space: Any, units: Sequence[float]) -> dict[str, Any]:
    """A configuration from one unit number per parameter, in `ordered_names` order.

    Every parameter owns its coordinate whether or not it is active, so a
    point's values do not shift when a parent switches a child off.
    """
    space = space_of(spec_or_space)
    names = ordered_names(space)
    if len(units) != len(names):
        raise ValueError(f"expected {len(names)} unit numbers, got {len(units)}")
    config: dict[str, Any] = {}
    for name, u in zip(names, units, strict=True):
        domain = space[name]
        if is_active(domain, config):
            config[name] = from_unit(domain, u)
    # Present the configuration in the spec's parameter order.
    return {name: config[name] for name in space if name in config}


def sample(spec_or_space: Any, rng: np.random.Generator) -> dict[str, Any]:
    """One configuration drawn independently from every active domain.

    Draws exactly one `rng.random()` per parameter (active or not), so the
    n-th configuration of a seeded stream never depends on earlier ones' conditions.
    """
    space = space_of(spec_or_space)
    return config_from_units(space, rng.random(len(space)).tolist())


def sample_value(domain: Any, rng: np.random.Generator) -> Any:
    """One value of one domain (ignores its condition)."""
    return from_unit(domain, float(rng.random()))


def contains(domain: Any, value: Any) -> bool:
    """True when `value` is a value the domain can produce, of the right JSON type.

    Choices check membership; ranges check the JSON type (int or float), bounds,
    step multiples and sign.
    """
    r: ParamRange = as_range(domain)
    if isinstance(r, Choice):
        return r.contains(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if r.integer != isinstance(value, int):
        return False
    match r:
        case Gaussian():
            if r.step is not None and not _is_multiple(value, r.step):
                return False
            return value >= 0 if r.log else math.isfinite(value)
        case NumericRange():
            if r.step is not None:
                return on_grid(value, r.step, *r.step_indexes())
            if r.integer:  # an int-typed draw is rounded, so it may sit half a step out
                return round(r.low) <= value <= round(r.high)
            return r.low <= value <= r.high
    return False


def _is_multiple(value: float, q: float) -> bool:
    k = round(value / q)
    return math.isclose(value, k * q, rel_tol=1e-9, abs_tol=1e-9)
