"""The native Backend interface: a cloud's own tuner behind compile/submit/status/trials/cancel.

Public API for backend plugins. A backend declares what it can express; `compile`
raises `UnsupportedFeatures` naming every spec feature it cannot (each with the
nearest native option), unless `approximate=True`, where approximations are
applied and reported as warnings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_bridge.core.trial import Trial
from hpo_bridge.spec import TuningSpec


@dataclass(frozen=True)
class Unsupported:
    """One spec feature a backend cannot express."""

    path: str  # dotted spec path, e.g. "search_space.lr" or "early_stopping.policy"
    feature: str  # what it is, e.g. "distribution normal"
    nearest: str  # the nearest native option, e.g. "Continuous range with Linear scaling"
    approximation: str | None = None  # what --approximate would do, None if nothing

    def __str__(self) -> str:
        # "feature" is a noun phrase ("algorithm sobol", "no regex for metric x"): say
        # it, then that the backend has no such thing, then what comes closest.
        return f"{self.path}: {self.feature} (not supported; nearest: {self.nearest})"


class UnsupportedFeatures(Exception):
    """The spec uses features the backend cannot express (every one listed)."""

    def __init__(self, backend: str, items: list[Unsupported]):
        self.backend = backend
        self.items = items
        super().__init__("\n".join(f"{backend}: {item}" for item in items))


class BackendError(Exception):
    """A problem the user can fix (credentials, region, access): one clear message."""


@dataclass
class Compiled:
    request: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    # Files to upload before submitting, e.g. the script-mode code tarball.
    artifacts: dict[str, Path] = field(default_factory=dict)


@dataclass
class JobStatus:
    """A native tuning job's state, normalised."""

    state: str  # "running" | "stopping" | "completed" | "failed" | "stopped"
    native_state: str
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
        return self.state in ("completed", "failed", "stopped")


class Backend(ABC):
    """A native backend. `handle` is the backend's job identifier (e.g. the tuning job name)."""

    name: str = ""

    @abstractmethod
    def compile(self, spec: TuningSpec, approximate: bool = False) -> Compiled:
        """The native request for `spec` (validated against the cloud's own schema)."""

    def import_native(self, data: dict[str, Any]) -> dict[str, Any]:
        """A unified spec (as a dict) from the cloud's native request or description."""
        raise NotImplementedError(f"{self.name} cannot import native jobs")

    def check_access(self, spec: TuningSpec) -> None:  # noqa: B027 - optional, no-op default
        """Raise `BackendError` (one line per problem) when the backend cannot be reached as
        configured, e.g. no credentials or region: checked before anything is created or
        uploaded, without a call to the cloud. Default: nothing to check."""

    @abstractmethod
    def submit(self, spec: TuningSpec, compiled: Compiled) -> str:
        """Create the tuning job (idempotently); return its handle."""

    @abstractmethod
    def status(self, handle: str) -> JobStatus: ...

    @abstractmethod
    def trials(self, handle: str) -> list[Trial]:
        """Every trial of the job, with params, status, objective values and metrics."""

    def final_trials(self, handle: str) -> list[Trial]:
        """Every trial once the job has ended, with all the detail the backend can get
        (may cost a call per trial, so it is called once, not per poll)."""
        return self.trials(handle)

    @abstractmethod
    def cancel(self, handle: str) -> None: ...

    def logs(self, handle: str, trial: str) -> Iterator[str]:
        """The lines a trial printed."""
        raise NotImplementedError(f"{self.name} has no log access")
