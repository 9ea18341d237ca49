"""The Searcher interface (ask/tell, serialisable state)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from hpo_bridge.core.stopping.base import StoppingRule
    from hpo_bridge.spec import TuningSpec


@dataclass(frozen=True)
class Suggestion:
    """A configuration to try. Inactive conditional parameters are absent from `params`."""

    params: dict[str, Any]
    resource: int | None = None  # the budget for multi-fidelity searchers
    bracket: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Continue the training of trial `restore_from` from its checkpoint after `start`
    # intervals (population-based training): the new trial inherits its values up to there.
    restore_from: int | None = None
    start: int = 0
    origin: str | None = None  # why this configuration, in words (journaled with the trial)


class Searcher(ABC):
    """Proposes configurations and learns from results.

    The tuner calls `ask` for every new trial (passing the trial id it will
    use), `report` for every intermediate objective value, and `tell` once
    when the trial ends. `value` is the trial's objective per `measurement`
    (a list for multi-objective studies), or None for a trial without a valid
    result.
    """

    def __init__(self, spec: TuningSpec) -> None:
        self.spec = spec

    @abstractmethod
    def ask(self, trial_id: int) -> Suggestion | None:
        """The next configuration, or None when the searcher has nothing left to propose."""

    @abstractmethod
    def tell(self, trial_id: int, status: TrialStatus, value: float | list[float] | None) -> None:
        """The trial ended."""

    def report(self, trial_id: int, interval: int, value: float) -> None:  # noqa: B027
        """An intermediate objective value (interval is 1-based). Optional."""

    def warm_start(self, trials: Sequence[Trial]) -> None:  # noqa: B027
        """Learn from earlier trials (the spec's `warm_start`), once, before the first ask.

        They are not trials of this study: ids are negative, and they never reach
        `tell`. The state this searcher saves afterwards must keep what it learned (a
        resumed searcher is restored from its state, not warm-started again). Default:
        nothing to learn (random, grid and sobol propose as they would without them)."""

    def waiting(self) -> bool:
        """True while this searcher has nothing to propose until a running trial ends (a
        population whose members all train); the tuner then asks no more for now. `ask`
        returning None still means it has nothing left at all."""
        return False

    def stopping_rule(self) -> StoppingRule | None:
        """A rule tied to this searcher (hyperband rungs), used instead of the spec's policy."""
        return None

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state, enough to resume exactly where this searcher was."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state `state_dict` returned."""


def result_of(spec: TuningSpec, trial: Trial) -> float | list[float] | None:
    """A finished trial's objective per `measurement` (a list for several objectives), or
    None when it has no valid result."""
    if not trial.status.counts_as_result:
        return None
    values = [trial.metric_value(o.metric, o.goal, o.measurement) for o in spec.all_objectives]
    if any(v is None for v in values):
        return None
    floats = [float(v) for v in values if v is not None]
    return floats if spec.multi_objective else floats[0]
