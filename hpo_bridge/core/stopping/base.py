"""The StoppingRule interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hpo_bridge.core.trial import TrialStatus
    from hpo_bridge.spec import TuningSpec


@dataclass(frozen=True)
class Decision:
    stop: bool
    reason: str = ""


CONTINUE = Decision(False)


class StoppingRule(ABC):
    """Decides, for one trial at one interval, whether it continues.

    One reported value of the objective metric is one interval (Azure's
    semantics; intervals are 1-based). The tuner records every report that
    falls on the same time with `report` before it asks `decide` for any of
    them, in trial-id order.
    """

    name: str = ""

    def __init__(self, spec: TuningSpec) -> None:
        self.spec = spec

    @abstractmethod
    def report(self, trial_id: int, interval: int, value: float) -> None:
        """Record the trial's objective value at `interval`."""

    @abstractmethod
    def decide(self, trial_id: int, interval: int) -> Decision:
        """Continue or stop (with a reason naming the numbers)."""

    def finished(self, trial_id: int) -> None:  # noqa: B027
        """The trial ended (completed, stopped, failed)."""

    def ended(self, trial_id: int, status: TrialStatus) -> None:
        """The trial ended with `status` (what the tuner calls). Rules whose reference set
        depends on how trials ended (Vertex's median: completed trials only) override it;
        the default is `finished`."""
        self.finished(trial_id)
