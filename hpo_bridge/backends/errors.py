"""What a backend reports to the user: one clear line per problem, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass


class BackendError(Exception):
    """A problem the user can fix (credentials, region, access, a refused request):
    one line per problem, already prefixed with the backend's name."""


class UnknownTrial(BackendError):
    """A trial the study does not have (the command names the TRIAL argument)."""


class JobExists(BackendError):
    """`create_job` found a job of that name already (the kit decides whether to attach)."""

    def __init__(self, handle: str, message: str = "") -> None:
        super().__init__(message or f"job {handle} already exists")
        self.handle = handle


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


class UnsupportedFeatures(BackendError):
    """The spec uses features the backend cannot express (every one listed)."""

    def __init__(self, backend: str, items: list[Unsupported]):
        self.backend = backend
        self.items = items
        super().__init__("\n".join(f"{backend}: {item}" for item in items))

    @property
    def approximable(self) -> bool:
        """Whether `--approximate` would map at least one of them."""
        return any(item.approximation is not None for item in self.items)


class InvalidRequest(BackendError):
    """The native request would be refused (missing settings, the service's own limits)."""

    def __init__(self, backend: str, problems: list[str]):
        self.backend = backend
        self.problems = problems
        super().__init__("\n".join(f"{backend}: {p}" for p in problems))
