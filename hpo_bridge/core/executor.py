"""The Executor interface: the tuner loop never knows what a trial is made of."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

from hpo_bridge.core.clock import Clock
from hpo_bridge.core.events import ExecutorEvent
from hpo_bridge.core.trial import Trial, TrialStatus


class ExecutorUnavailable(Exception):  # noqa: N818 - says what happened, like TimeoutError
    """The place trials run cannot be reached any more (a cluster went away).

    Raised by `poll` (or when an executor is built): the study stops as interrupted,
    one line says why (this exception's text), and `resume` continues it later.
    """


class Executor(ABC):
    """Runs single trials: a process, a simulated curve, a cloud job."""

    clock: Clock
    #: How often (seconds of `clock`) the tuner wakes up with no event: a real-time
    #: executor now and then (limits, stop requests); a simulated one only for its events.
    idle_poll: float = math.inf

    @abstractmethod
    def start(self, trial: Trial) -> None:
        """Start `trial` (params, resource); a TrialStarted event follows."""

    @abstractmethod
    def stop(self, trial_id: int, reason: str, status: TrialStatus = TrialStatus.STOPPED) -> None:
        """End a running trial; its TrialFinished event carries `status` and `reason`."""

    @abstractmethod
    def poll(self, timeout: float) -> list[ExecutorEvent]:
        """Events that happened, waiting up to `timeout` seconds of this executor's clock.

        Events at equal times are returned together, ordered by time then trial id.
        """

    @abstractmethod
    def running(self) -> int:
        """How many trials are running."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release everything; no trial may outlive this call."""
