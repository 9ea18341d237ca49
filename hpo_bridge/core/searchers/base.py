"""The Searcher interface (ask/tell, serialisable state)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.trial import TrialStatus

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

    def observe(  # noqa: B027 - optional: searchers without a model have nothing to learn
        self, params: dict[str, Any], status: TrialStatus, value: float | list[float] | None
    ) -> None:
        """A result from outside the study (a warm start's prior trial), learnt before the
        first ask. Parameters outside this study's space are ignored."""

    def stopping_rule(self) -> StoppingRule | None:
        """A rule tied to this searcher (hyperband rungs), used instead of the spec's policy."""
        return None

    @abstractmethod
    def state_dict(self) -> dict[str, Any]:
        """JSON-serialisable state, enough to resume exactly where this searcher was."""

    @abstractmethod
    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the state `state_dict` returned."""
