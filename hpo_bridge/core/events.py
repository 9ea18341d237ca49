"""Events: what executors report to the tuner, and what the tuner decides (for the store)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hpo_bridge.core.trial import HPO, Restore, TrialStatus


# -- from an executor ------------------------------------------------------------------
@dataclass(frozen=True)
class TrialStarted:
    trial_id: int
    time: float


@dataclass(frozen=True)
class MetricReported:
    """One value of one metric. `value` may be non-finite: the tuner fails the trial then."""

    trial_id: int
    time: float
    name: str
    value: float
    raw: str | None = None  # the text the value came from, for error messages


@dataclass(frozen=True)
class TrialFinished:
    """The trial's process (or simulated curve) ended.

    `status` is the executor's view: COMPLETED on exit 0, FAILED otherwise,
    STOPPED/TIMEOUT/CANCELLED when it ended a trial on request.
    """

    trial_id: int
    time: float
    status: TrialStatus
    exit_code: int | None = None
    reason: str | None = None


@dataclass(frozen=True)
class RestoreCorrected:
    """A restored trial resumes from an earlier interval than planned: `start` intervals
    of its source (0: from scratch). From an executor when the source left no checkpoint
    (reported before TrialStarted); from the tuner when the trial reports more intervals
    than its checkpoint left (its checkpoint predates the source's last report, or its
    script ignores checkpoints). Its inherited values are cut to `start`."""

    trial_id: int
    time: float
    start: int
    reason: str


ExecutorEvent = TrialStarted | MetricReported | TrialFinished | RestoreCorrected


# -- decisions of the tuner (journaled by the store) ---------------------------------------
@dataclass(frozen=True)
class TrialCreated:
    trial_id: int
    time: float
    params: dict[str, Any]
    resource: int | None = None
    bracket: int | None = None
    stage: str = HPO  # FULLYTRAIN: a re-run of a best configuration after the search
    restore: Restore | None = None  # the checkpoint it starts from (PBT's exploit or continue)
    origin: str | None = None  # the searcher's reason for it (PBT's decision, in words)


@dataclass(frozen=True)
class TrialStatusChanged:
    trial_id: int
    time: float
    status: TrialStatus
    reason: str | None = None
    exit_code: int | None = None


@dataclass(frozen=True)
class TrialRetried:
    """An interrupted trial runs again: same id, same configuration, attempt `attempt`.

    Its earlier attempt's reports stay in the journal; the trial's values are the new
    attempt's."""

    trial_id: int
    time: float
    attempt: int
    reason: str
    restore: Restore | None = None  # its interrupted attempt's checkpoint, when it resumes


@dataclass(frozen=True)
class StoppingDecision:
    """A stopping rule decided to stop a trial at an interval."""

    trial_id: int
    time: float
    interval: int
    rule: str
    reason: str


@dataclass(frozen=True)
class StudyEnded:
    time: float
    status: str  # "finished" | "failed" | "cancelled"
    reason: str


StudyEvent = (TrialCreated | TrialRetried | TrialStatusChanged | StoppingDecision | StudyEnded
              | RestoreCorrected | ExecutorEvent)
