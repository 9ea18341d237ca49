"""Assembling a study's tuner: the one place that turns a spec into a running Tuner.

The local backend, the simulator and every cloud emulator build their tuner here, so a
searcher, a stopping rule or an executor is chosen the same way wherever a study runs:

    executor = build_executor(spec, "process", study_dir=d)
    tuner = build_tuner(spec, executor, sink=store.record)

Components come from the plugin registry (`hpo_bridge.plugins.registry()` unless a
registry is given), so a plugin's searcher or stopping rule is usable everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.executor import Executor
from hpo_bridge.core.searchers.base import Searcher
from hpo_bridge.core.session import SessionLimits
from hpo_bridge.core.stopping.base import StoppingRule
from hpo_bridge.core.tuner import Tuner

if TYPE_CHECKING:
    from hpo_bridge.contracts.base import TrialContract
    from hpo_bridge.core.events import StudyEvent
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.plugins import Registry
    from hpo_bridge.spec import TuningSpec

__all__ = ["build_contract", "build_executor", "build_rule", "build_searcher", "build_tuner"]


def _registry(registry: Registry | None) -> Registry:
    if registry is not None:
        return registry
    from hpo_bridge.plugins import registry as installed

    return installed()


def build_searcher(spec: TuningSpec, state: dict[str, Any] | None = None, *,
                   prior: Sequence[Trial] = (), registry: Registry | None = None) -> Searcher:
    """The spec's searcher, restored from its saved state when given; else a new one,
    warm-started from the earlier trials `prior` (its saved state keeps what it learned
    from them)."""
    searcher: Searcher = _registry(registry).require(
        "searchers", spec.strategy.algorithm).create(spec)
    if state is not None:
        searcher.load_state_dict(state)
    elif prior:
        searcher.warm_start(prior)
    return searcher


def build_rule(spec: TuningSpec, searcher: Searcher, *,
               registry: Registry | None = None) -> StoppingRule | None:
    """The spec's stopping rule; None when the searcher brings its own (hyperband rungs)
    or the policy is none."""
    policy = spec.early_stopping.policy
    if searcher.stopping_rule() is not None or policy == "none":
        return None
    rule: StoppingRule = _registry(registry).require("stopping_rules", policy).create(spec)
    return rule


def build_contract(spec: TuningSpec, *, registry: Registry | None = None) -> TrialContract:
    """The spec's trial contract (`trial.contract`)."""
    contract: TrialContract = _registry(registry).require(
        "contracts", spec.trial.contract).create()
    return contract


def build_executor(
    spec: TuningSpec,
    name: str = "process",
    *,
    study_dir: str | Path,
    options: dict[str, Any] | None = None,
    contract: TrialContract | None = None,
    registry: Registry | None = None,
) -> Executor:
    """The executor `name`, given the study directory and the trial contract (the spec's
    own unless another is given, e.g. an emulator's) besides its own options.

    Raises ContractError (one line per problem) when the spec cannot run under the contract.
    """
    reg = _registry(registry)
    executor: Executor = reg.require("executors", name).create(
        spec,
        study_dir=Path(study_dir),
        contract=contract if contract is not None else build_contract(spec, registry=reg),
        **(options or {}),
    )
    return executor


def build_tuner(
    spec: TuningSpec,
    executor: Executor,
    *,
    sink: Callable[[StudyEvent], None] | None = None,
    searcher_state: dict[str, Any] | None = None,
    previous: Sequence[Trial] = (),
    backlog: Sequence[tuple[str, int, int | None, float | None]] = (),
    elapsed: float = 0.0,
    poll_interval: float | None = None,
    durable: Callable[[], None] | None = None,
    session: SessionLimits | None = None,
    prior: Sequence[Trial] = (),
    registry: Registry | None = None,
) -> Tuner:
    """A Tuner over `executor` with the spec's searcher and stopping rule.

    `previous`, `backlog`, `searcher_state` and `elapsed` continue a stored study (see
    core/tuner.py on resume). `poll_interval` defaults to the executor's own wake-up
    interval (`Executor.idle_poll`: a real-time executor wakes up now and then; a
    simulated one only for its events). `durable` makes the journal durable (the store's
    commit): the tuner calls it before every trial's process starts. `session` limits
    this run (core/session.py). `prior` are the earlier trials of `warm_start` (negative
    ids): the searcher learns from them, and so does the stopping rule unless
    `warm_start.early_stopping` is false.
    """
    reg = _registry(registry)
    searcher = build_searcher(spec, searcher_state, prior=prior, registry=reg)
    rule = build_rule(spec, searcher, registry=reg)
    poll = poll_interval if poll_interval is not None else executor.idle_poll
    # Earlier curves inform the stopping rule unless the spec's warm_start says not to (an
    # emulator's warm start, with no such section, gives them like the cloud does).
    curves = prior if spec.warm_start is None or spec.warm_start.early_stopping else ()
    return Tuner(spec, searcher, executor, rule=rule, sink=sink, previous=previous,
                 backlog=backlog, elapsed=elapsed, poll_interval=poll, durable=durable,
                 session=session, prior=curves)
