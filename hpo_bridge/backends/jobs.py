"""A native job's state, normalised the same way for every cloud."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class JobState(StrEnum):
    RUNNING = "running"
    STOPPING = "stopping"
    COMPLETED = "completed"
    FAILED = "failed"
    STOPPED = "stopped"

    @property
    def done(self) -> bool:
        return self in (JobState.COMPLETED, JobState.FAILED, JobState.STOPPED)

    @property
    def study_status(self) -> str:
        """The study's status once the job is in this state (see `Outcome`)."""
        return {JobState.COMPLETED: "finished", JobState.FAILED: "failed",
                JobState.STOPPED: "cancelled"}.get(self, "running")


@dataclass
class JobStatus:
    """A native tuning job's state and trial counters, as one status call returns them."""

    state: JobState
    native_state: str  # the cloud's own word, e.g. "InProgress", "JOB_STATE_RUNNING"
    trials_total: int = 0
    trials_completed: int = 0
    trials_running: int = 0
    trials_failed: int = 0
    trials_stopped: int = 0
    best_trial: str | None = None
    best_value: float | None = None
    message: str | None = None

    @property
    def done(self) -> bool:
        return self.state.done

    def describe(self) -> str:
        """One line: "<native state>: N done, N running, N failed; best V (trial)"."""
        done = self.trials_completed + self.trials_stopped
        line = (f"{self.native_state}: {done} done, {self.trials_running} running,"
                f" {self.trials_failed} failed")
        if self.best_value is not None:
            line += f"; best {self.best_value:g} ({self.best_trial})"
        if self.message:
            line += f"; {self.message}"
        return line

    def progress_key(self) -> tuple[Any, ...]:
        """What changes when the job makes progress (the follow loop backs off otherwise)."""
        return (self.native_state, self.trials_total, self.trials_completed,
                self.trials_running, self.trials_failed, self.trials_stopped,
                self.best_trial, self.best_value)


@dataclass
class Compiled:
    """A spec as the cloud's request, with what must be uploaded before submitting it."""

    request: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # e.g. what the code package holds
    # The request as the cloud's own job file, where it has one (Azure ML's sweep YAML for
    # `az ml job create --file`): what `compile` prints unless asked for --json.
    document: str | None = None
    # Files to upload before submitting (remote location -> local file or folder).
    artifacts: dict[str, Path] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    """What submitting did: the job's handle, and notes for the user (e.g. that an
    identical job existed and is followed instead of a new one)."""

    handle: str
    notes: tuple[str, ...] = ()
    attached: bool = False
