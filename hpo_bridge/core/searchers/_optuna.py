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
- Everything optuna has no native form for - scale reverse_log, normal,
  lognormal, qnormal, qlognormal, log scale with q near zero - is modelled in
  its quantile space: a float u in [0, 1) that `space.from_unit` maps through
  the domain's inverse CDF. The model's uniform prior over u is then exactly
  the domain's prior (no truncation of the normal), and u is monotone in
  the value.
"""

from __future__ import annotations

import logging
import math
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
from hpo_bridge.spec.domains import (
    BoolDomain,
    CategoricalDomain,
    DiscreteDomain,
    DistributionDomain,
    FloatDomain,
    IntDomain,
)


@dataclass(frozen=True)
class Codec:
    """How one parameter lives inside optuna."""

    distribution: BaseDistribution
    decode: Callable[[Any], Any]
    encode: Callable[[Any], Any]


def _checked(domain: Any, encode: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def checked(value: Any) -> Any:
        if not space.contains(domain, value):
            raise ValueError(f"{value!r} is not in the domain")
        return encode(value)

    return checked


def _to_unit(domain: Any, value: Any) -> float:
    """The smallest quantile u whose value reaches `value` (from_unit is monotone in u)."""
    rising = space.from_unit(domain, 0.0) <= space.from_unit(domain, 1.0)
    lo, hi = 0.0, 1.0
    for _ in range(64):
        mid = (lo + hi) / 2
        below = space.from_unit(domain, mid) < value
        if below == rising:
            lo = mid
        else:
            hi = mid
    return min(hi, 1.0 - 1e-12)


def _unit(domain: Any) -> Codec:
    return Codec(FloatDistribution(0.0, 1.0), lambda u: space.from_unit(domain, u),
                 _checked(domain, lambda v: _to_unit(domain, v)))


def _multiples(q: float, first: int, last: int, log: bool, as_int: bool = False) -> Codec:
    def decode(k: Any) -> Any:
        value = round(int(k) * q, 12)
        return int(round(value)) if as_int else float(value)

    def encode(value: Any) -> int:
        k = int(round(float(value) / q))
        if not first <= k <= last:
            raise ValueError(f"{value!r} is not in the domain")
        return k

    return Codec(IntDistribution(first, last, log=log), decode, encode)


def _identity(domain: Any, distribution: BaseDistribution,
              cast: Callable[[Any], Any]) -> Codec:
    return Codec(distribution, cast, _checked(domain, cast))


def _float(d: FloatDomain) -> Codec:
    if d.scale == "reverse_log":
        return _unit(d)
    if d.q is None:
        return _identity(d, FloatDistribution(d.low, d.high, log=d.scale == "log"), float)
    first, last = math.ceil(d.low / d.q - 1e-9), math.floor(d.high / d.q + 1e-9)
    if d.scale == "log" and first < 1:
        return _unit(d)
    return _multiples(d.q, first, last, log=d.scale == "log")


def _distribution(d: DistributionDomain) -> Codec:
    name = d.distribution
    if name == "randint":
        assert d.upper is not None
        return _identity(d, IntDistribution(0, d.upper - 1), int)
    if name in ("uniform", "loguniform"):
        assert d.low is not None and d.high is not None
        cast: Callable[[Any], Any] = (lambda x: int(round(x))) if d.is_int else float
        return Codec(FloatDistribution(d.low, d.high, log=name == "loguniform"), cast,
                     _checked(d, float))
    if name in ("quniform", "qloguniform"):
        assert d.low is not None and d.high is not None and d.q is not None
        first, last = round(d.low / d.q), round(d.high / d.q)
        log = name == "qloguniform"
        if first == last or (log and first < 1):
            return _unit(d)
        return _multiples(d.q, first, last, log=log, as_int=d.is_int)
    return _unit(d)  # the normal family: quantile space


def codec(domain: Any) -> Codec:
    """The optuna form of one spec domain (see the module docstring)."""
    if isinstance(domain, FloatDomain):
        return _float(domain)
    if isinstance(domain, IntDomain):
        if domain.scale == "reverse_log":
            return _unit(domain)
        return _identity(
            domain, IntDistribution(domain.low, domain.high, log=domain.scale == "log"), int)
    if isinstance(domain, CategoricalDomain | DiscreteDomain):
        values = list(domain.values)
        distribution: BaseDistribution = (
            CategoricalDistribution(list(range(len(values))))
            if isinstance(domain, CategoricalDomain) else IntDistribution(0, len(values) - 1))
        return Codec(distribution, lambda i: values[int(i)],
                     _checked(domain, lambda v: _index(values, v)))
    if isinstance(domain, BoolDomain):
        return Codec(CategoricalDistribution([False, True]), bool, _checked(domain, bool))
    if isinstance(domain, DistributionDomain):
        return _distribution(domain)
    raise TypeError(f"unknown domain {type(domain).__name__}")


def _index(values: list[Any], value: Any) -> int:
    for i, candidate in enumerate(values):
        if space.value_matches(value, [candidate]):
            return i
    raise ValueError(f"{value!r} is not in the domain")


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
        rng = getattr(lazy, "rng", None)
        if holder is not None and lazy is not None:
            if not hasattr(rng, "seed"):
                return False
            states.append(rng)
    if not states:
        return False
    for i, rng in enumerate(states):
        rng.seed((seed + i) % 2**32)
    return True
