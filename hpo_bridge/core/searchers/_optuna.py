"""The bridge between spec domains and optuna's distributions (for the bayesian searcher).

Each domain becomes one optuna distribution, a `decode` from optuna's value
to the configuration's value and an `encode` back (for results learnt from
outside the study, e.g. a warm start's prior trials; it raises ValueError for
a value the domain does not hold):

- float/int, scale linear or log: optuna's own float/int (log=True for log).
- float with q: an int over the index k of the multiples k*q within the
  bounds (log=True when the scale is log and k starts at 1 or more).
- categorical and bool: an optuna categorical over the value indices (values
  may mix types, and True == 1 would confuse optuna's lookup by equality).
- discrete: an int over the value index, so the model keeps their order.
- Azure's uniform/loguniform/randint: optuna's float/float(log)/int;
  quniform/qloguniform: an int over k in [round(low/q), round(high/q)].

The switch is over the domain's normalised range (hpo_bridge.core.ranges).
- Everything optuna has no native form for - scale reverse_log, normal,
  lognormal, qnormal, qlognormal, log scale with q near zero - is modelled in
  its quantile space: a float u in [0, 1) that `space.from_unit` maps through
  the domain's inverse CDF. The model's uniform prior over u is then exactly
  the domain's prior (no truncation of the normal), and u is monotone in
  the value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from hpo_bridge.core import space
from hpo_bridge.core.ranges import (
    Choice,
    Gaussian,
    NumericRange,
    ParamRange,
    as_range,
    same_value,
)


@dataclass(frozen=True)
class Codec:
    """How one parameter lives inside optuna."""

    distribution: BaseDistribution
    decode: Callable[[Any], Any]
    encode: Callable[[Any], Any]


def _checked(r: ParamRange, encode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def checked(value: Any) -> Any:
        if not space.contains(r, value):
            raise ValueError(f"{value!r} is not in the domain")
        return encode(value)

    return checked


def _unit(r: ParamRange) -> Codec:
    return Codec(FloatDistribution(0.0, 1.0), lambda u: space.from_unit(r, u),
                 _checked(r, lambda v: space.to_unit(r, v)))


def _multiples(r: NumericRange, q: float, first: int, last: int, log: bool,
               as_int: bool = False) -> Codec:
    def decode(k: Any) -> Any:
        value = round(int(k) * q, 12)
        return int(round(value)) if as_int else float(value)

    return Codec(IntDistribution(first, last, log=log), decode,
                 _checked(r, lambda v: int(round(float(v) / q))))


def _numeric(r: NumericRange) -> Codec:
    if r.scale == "reverse_log":
        return _unit(r)
    if r.step is not None:
        first, last = r.step_indexes()
        # Azure's q-expressions with one multiple only, and log scales reaching k < 1,
        # live in quantile space.
        if (r.log and first < 1) or (r.rounding == "draw" and first == last):
            return _unit(r)
        return _multiples(r, r.step, first, last, log=r.log, as_int=r.integer)
    if r.integer and r.rounding != "draw":  # int, randint
        return Codec(IntDistribution(int(r.low), int(r.high), log=r.log), int,
                     _checked(r, int))
    # A real in [low, high]; Azure's int-typed uniform rounds it.
    cast: Callable[[Any], Any] = (lambda x: int(round(x))) if r.integer else float
    return Codec(FloatDistribution(r.low, r.high, log=r.log), cast, _checked(r, float))


def _index(r: Choice, value: Any) -> int:
    return next(i for i, v in enumerate(r.values) if same_value(value, v))


def _choice(r: Choice) -> Codec:
    values = list(r.values)
    encode = _checked(r, lambda v: _index(r, v))
    if r.kind == "bool":
        return Codec(CategoricalDistribution([False, True]), bool, encode)
    if r.kind == "discrete":  # ordered: an int over the value index, so the model keeps it
        return Codec(IntDistribution(0, len(values) - 1), lambda i: values[int(i)], encode)
    return Codec(CategoricalDistribution(list(range(len(values)))), lambda i: values[int(i)],
                 encode)


def codec(domain: Any) -> Codec:
    """The optuna form of one spec domain (see the module docstring)."""
    r = as_range(domain)
    match r:
        case Choice():
            return _choice(r)
        case Gaussian():
            return _unit(r)  # the normal family: quantile space
        case NumericRange():
            return _numeric(r)


def suggest(trial: optuna.Trial, name: str, distribution: BaseDistribution) -> Any:
    """Ask optuna's define-by-run trial for one parameter of a known distribution."""
    if isinstance(distribution, FloatDistribution):
        return trial.suggest_float(
            name, distribution.low, distribution.high, log=distribution.log, step=distribution.step
        )
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(
            name, distribution.low, distribution.high, log=distribution.log, step=distribution.step
        )
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    raise TypeError(f"unsupported distribution {distribution!r}")


@contextmanager
def quiet() -> Iterator[None]:
    """Silence optuna's INFO lines (one per study and per finished trial) for a moment."""
    logger = logging.getLogger("optuna")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def reseed(sampler: optuna.samplers.BaseSampler, seed: int) -> bool:
    """Reseed a sampler's random states in place; False when its layout is unknown.

    optuna's samplers keep numpy RandomStates behind `_rng` (and their fallback
    sampler's); seeding them costs microseconds, where building a new sampler
    costs about a millisecond. The caller builds a new sampler when this fails.
    """
    states = []
    for holder in (
        sampler,
        getattr(sampler, "_random_sampler", None),
        getattr(sampler, "_independent_sampler", None),
    ):
        lazy = getattr(holder, "_rng", None) if holder is not None else None
        rng: Any = getattr(lazy, "rng", None)
        if holder is not None and lazy is not None:
            if not hasattr(rng, "seed"):
                return False
            states.append(rng)
    if not states:
        return False
    for i, rng in enumerate(states):
        rng.seed((seed + i) % 2**32)
    return True
