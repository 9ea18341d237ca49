"""The sweep service's rules that azure-ai-ml's offline schema (`load_job`) lets through.

Measured: `load_job` accepts, and nobody refuses before the service does, bayesian
sampling with an early termination policy, grid sampling over a continuous distribution,
`min_value > max_value`, bandit with both or neither slack, a truncation percentage
outside 1..99, more concurrent than total trials, a `${{search_space.x}}` that names no
parameter; an int timeout below 60 is silently raised to 60. Seed 000 adds the rest:
grid only over `choice`, bayesian only over `choice`/`uniform`/`quniform`, at most 1000
trials and 100 concurrent ones.

Each rule reads a sweep job in its YAML form (the dict `az ml job create --file` takes) and
returns one line per problem, starting with the field's path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

REFERENCE = re.compile(r"\$\{\{\s*(\w+)\.([^}\s]+)\s*\}\}")
GRID_TYPES = frozenset({"choice"})
BAYESIAN_TYPES = frozenset({"choice", "uniform", "quniform"})
RANGE_TYPES = ("uniform", "loguniform", "quniform", "qloguniform")
MAX_TOTAL_TRIALS = 1000
MAX_CONCURRENT_TRIALS = 100
MIN_TIMEOUT = 60  # seconds: the SDK raises smaller int timeouts to this, silently


def sampling_type(job: Mapping[str, Any]) -> str:
    sampling = job.get("sampling_algorithm") or "random"
    if isinstance(sampling, Mapping):
        return str(sampling.get("type", "random")).lower()
    return str(sampling).lower()


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def space_problems(space: Mapping[str, Any], sampling: str) -> Iterator[str]:
    allowed = {"grid": GRID_TYPES, "bayesian": BAYESIAN_TYPES}.get(sampling)
    for name, distribution in space.items():
        where = f"search_space.{name}"
        if not isinstance(distribution, Mapping):
            continue  # load_job names it
        kind = str(distribution.get("type", ""))
        if allowed is not None and kind not in allowed:
            yield (f"{where}.type: {kind} is not allowed with {sampling} sampling (it takes"
                   f" {', '.join(sorted(allowed))} only)")
        if kind == "choice" and not distribution.get("values"):
            yield f"{where}.values: a choice needs at least one value"
        if kind in RANGE_TYPES:
            low, high = distribution.get("min_value"), distribution.get("max_value")
            if _number(low) and _number(high) and not low < high:
                yield f"{where}: min_value ({low}) must be less than max_value ({high})"
        if kind == "randint":
            upper = distribution.get("upper")
            if not (isinstance(upper, int) and not isinstance(upper, bool) and upper >= 1):
                yield f"{where}.upper: must be a whole number of at least 1 (got {upper!r})"
        if kind in ("normal", "lognormal", "qnormal", "qlognormal"):
            sigma = distribution.get("sigma")
            if _number(sigma) and sigma <= 0:
                yield f"{where}.sigma: must be positive (got {sigma})"
        q = distribution.get("q")
        if q is not None and _number(q) and q <= 0:
            yield f"{where}.q: must be positive (got {q})"


def policy_problems(policy: Mapping[str, Any], sampling: str) -> Iterator[str]:
    kind = str(policy.get("type", ""))
    if sampling == "bayesian":
        yield ("early_termination: bayesian sampling takes no early termination policy"
               " (use random sampling, or no policy)")
    if kind == "bandit":
        factor, amount = policy.get("slack_factor"), policy.get("slack_amount")
        given = [v for v in (factor, amount) if v not in (None, 0)]
        if len(given) != 1:
            yield ("early_termination: bandit needs exactly one of slack_factor and"
                   " slack_amount")
        for key, value in (("slack_factor", factor), ("slack_amount", amount)):
            if _number(value) and value < 0:
                yield f"early_termination.{key}: must not be negative (got {value})"
    if kind == "truncation_selection":
        percentage = policy.get("truncation_percentage")
        if not (isinstance(percentage, int) and 1 <= percentage <= 99):
            yield (f"early_termination.truncation_percentage: must be a whole number in"
                   f" 1..99 (got {percentage!r})")
    for key in ("evaluation_interval", "delay_evaluation"):
        value = policy.get(key)
        if value is not None and (not isinstance(value, int) or value < 0):
            yield f"early_termination.{key}: must be a whole number >= 0 (got {value!r})"


def limit_problems(limits: Mapping[str, Any]) -> Iterator[str]:
    total, concurrent = limits.get("max_total_trials"), limits.get("max_concurrent_trials")
    if isinstance(total, int) and not 1 <= total <= MAX_TOTAL_TRIALS:
        yield f"limits.max_total_trials: must be in 1..{MAX_TOTAL_TRIALS} (got {total})"
    if isinstance(concurrent, int) and not 1 <= concurrent <= MAX_CONCURRENT_TRIALS:
        yield (f"limits.max_concurrent_trials: must be in 1..{MAX_CONCURRENT_TRIALS}"
               f" (got {concurrent})")
    if isinstance(total, int) and isinstance(concurrent, int) and concurrent > total:
        yield (f"limits.max_concurrent_trials: {concurrent} exceeds max_total_trials"
               f" ({total})")
    for key in ("timeout", "trial_timeout"):
        value = limits.get(key)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            yield (f"limits.{key}: a whole number of seconds (got {value!r}; azure-ai-ml drops"
                   " other forms silently)")
        elif value < MIN_TIMEOUT:
            yield (f"limits.{key}: at least {MIN_TIMEOUT} seconds (got {value}; azure-ai-ml"
                   f" would raise it to {MIN_TIMEOUT} silently)")


def reference_problems(job: Mapping[str, Any]) -> Iterator[str]:
    trial = job.get("trial") or {}
    command = trial.get("command") if isinstance(trial, Mapping) else None
    if not isinstance(command, str):
        return
    space = job.get("search_space") or {}
    inputs = job.get("inputs") or {}
    for match in REFERENCE.finditer(command):
        kind, name = match.groups()
        if kind == "search_space" and name not in space:
            yield f"trial.command: {match.group(0)} names no parameter of search_space"
        elif kind == "inputs" and name not in inputs:
            yield f"trial.command: {match.group(0)} names no input of the sweep (inputs)"


def service_problems(job: Mapping[str, Any]) -> list[str]:
    """Every rule the service applies that `load_job` does not, one line each."""
    sampling = sampling_type(job)
    problems = list(space_problems(job.get("search_space") or {}, sampling))
    policy = job.get("early_termination")
    if isinstance(policy, Mapping):
        problems += policy_problems(policy, sampling)
    limits = job.get("limits")
    if isinstance(limits, Mapping):
        problems += limit_problems(limits)
    problems += reference_problems(job)
    return problems
