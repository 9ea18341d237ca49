"""Trials and their statuses."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

HPO, FULLYTRAIN = "hpo", "fullytrain"  # the stages a trial belongs to (Vega's pipeline steps)
# Why an attempt was cut short when the orchestrator stopped without saying why (a kill).
INTERRUPTED = "the orchestrator stopped while the trial ran"


class TrialStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    STOPPED = "stopped"  # ended early by a stopping rule (its values still count)
    FAILED = "failed"
    TIMEOUT = "timeout"
    CANCELLED = "cancelled"  # ended because the study ended, or by the user
    # Cut short because the orchestrator stopped (Ctrl-C, SIGTERM, a kill): `resume` runs
    # it again, same id and configuration, so its result is still to come.
    INTERRUPTED = "interrupted"

    @property
    def terminal(self) -> bool:
        """The attempt's process has ended (nothing of it runs)."""
        return self not in (TrialStatus.PENDING, TrialStatus.RUNNING)

    @property
    def final(self) -> bool:
        """The trial has ended for good (an interrupted one runs again on resume)."""
        return self.terminal and self is not TrialStatus.INTERRUPTED

    @property
    def counts_as_result(self) -> bool:
        """Completed and early-stopped trials carry a valid objective."""
        return self in (TrialStatus.COMPLETED, TrialStatus.STOPPED)


@dataclass(frozen=True)
class Restore:
    """Where a trial's training starts: the checkpoint trial `source` left after `start`
    intervals (population-based training's exploit, or an interrupted attempt of the trial
    itself, `source` == its own id). `values` are the source's objective values of those
    intervals: the curve the trial continues (its `values` start with them)."""

    source: int
    start: int
    values: tuple[float, ...] = ()


@dataclass
class Trial:
    """One configuration, run once. `values` holds the objective's reports, one per interval;
    a trial restored from a checkpoint (`restore`) starts with the values it inherited, so
    `values[k-1]` is always the value at interval k."""

    id: int
    params: dict[str, Any]
    status: TrialStatus = TrialStatus.PENDING
    resource: int | None = None  # budget the searcher assigned (Vega's EPOCHS)
    bracket: int | None = None
    values: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    reason: str | None = None
    exit_code: int | None = None
    started_at: float | None = None
    ended_at: float | None = None
    stage: str = HPO  # FULLYTRAIN: a best configuration re-run at full budget after the search
    attempt: int = 1  # 2, 3...: run again after an interruption (same id, same configuration)
    restore: Restore | None = None  # the checkpoint its training continues, if any
    origin: str | None = None  # why the searcher proposed it, when it says (PBT's decisions)
    restore_note: str | None = None  # why it resumed earlier than planned (e.g. from scratch)

    @property
    def start(self) -> int:
        """Intervals its checkpoint already holds: its own reports are the later ones."""
        return self.restore.start if self.restore is not None else 0

    @property
    def intervals(self) -> int:
        return len(self.values)

    def objective(self, goal: str, measurement: str = "last") -> float | None:
        """The trial's objective: its last report, or its best one."""
        if not self.values:
            return None
        if measurement == "best":
            return max(self.values) if goal == "maximize" else min(self.values)
        return self.values[-1]

    def metric_value(self, name: str, goal: str, measurement: str = "last") -> float | None:
        series = self.metrics.get(name)
        if not series:
            return None
        if measurement == "best":
            return max(series) if goal == "maximize" else min(series)
        return series[-1]


def is_valid_number(value: Any) -> bool:
    """A report counts only when it is a finite real number."""
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def is_interrupted(trial: Trial) -> bool:
    """Cut short by an orchestrator exit (and to be run again on resume). Studies journaled
    before INTERRUPTED existed recorded such trials cancelled with an "interrupted" reason."""
    return trial.status is TrialStatus.INTERRUPTED or (
        trial.status is TrialStatus.CANCELLED and (trial.reason or "").startswith("interrupted"))
