"""Emulated tuning jobs and their trials, kept once and rendered in each API's shape
(Vertex AI's HyperparameterTuningJob, AI Platform's Job with TrainingOutput)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_bridge_localstack.framework.tuning_run import EmulatedTuningRun

# The job's life, in words both APIs map to their own (JOB_STATE_* / QUEUED...):
PENDING, RUNNING, SUCCEEDED, FAILED, CANCELLING, CANCELLED = (
    "pending", "running", "succeeded", "failed", "cancelling", "cancelled")
ENDED = (SUCCEEDED, FAILED, CANCELLED)
# A trial's: the core's statuses, and "requested" before it starts.
REQUESTED, ACTIVE = "requested", "active"
RESULT_STATUSES = ("completed", "stopped")  # ended with a measurement that counts


def rfc3339(epoch: float | None) -> str | None:
    """Google's timestamp text: 2026-12-01T15:00:00.123456Z."""
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Measurement:
    step: int
    elapsed: float  # seconds since the trial started
    metrics: dict[str, float]


@dataclass
class TrialRecord:
    id: int
    params: dict[str, Any]
    created: float
    status: str = REQUESTED
    started: float | None = None
    ended: float | None = None
    reason: str | None = None
    measurements: list[Measurement] = field(default_factory=list)
    latest: dict[str, float] = field(default_factory=dict)  # every metric's last value

    @property
    def done(self) -> bool:
        return self.status not in (REQUESTED, ACTIVE)

    def final(self, metric: str, goal: str, selection: str) -> Measurement | None:
        """The final measurement: the last, or the best of the objective (BEST_MEASUREMENT);
        none for a trial that did not end with a result."""
        if self.status not in RESULT_STATUSES or not self.measurements:
            return None
        if selection != "best":
            return self.measurements[-1]
        sign = 1.0 if goal == "maximize" else -1.0
        return max(self.measurements, key=lambda m: (sign * m.metrics[metric], -m.step))


@dataclass
class TuningJob:
    """One tuning job of either API (`api`: "vertex" or "ml")."""

    api: str
    project: str
    location: str
    job_id: str
    request: dict[str, Any]  # the REST body as received (camelCase, enum names)
    objective: str
    goal: str  # maximize | minimize
    selection: str  # last | best
    created: float
    state: str = PENDING
    started: float | None = None
    ended: float | None = None
    updated: float | None = None
    error: str | None = None
    error_code: int = 0  # google.rpc.Code when failed or cancelled
    trials: dict[int, TrialRecord] = field(default_factory=dict)
    run: EmulatedTuningRun | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.api, self.project, self.location, self.job_id)

    def touch(self, now: float) -> None:
        self.updated = now

    def ordered_trials(self) -> list[TrialRecord]:
        return [self.trials[i] for i in sorted(self.trials)]
