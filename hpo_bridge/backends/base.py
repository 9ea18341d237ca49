"""What every kind of backend is: the place a study runs, behind one interface.

A backend runs a study and answers for it afterwards. Two families implement it:
- driven backends (`LocalBackend`): hpo-bridge's own core picks configurations and stops
  trials, and an executor runs them (local processes, simulated curves, later Ray);
- native backends (`NativeBackend`): a cloud's own tuner runs the study; hpo-bridge
  submits it, follows it and brings its trials back.

The study facade (`hpo_bridge.study`) finds a study's backend by the name kept in its
store and calls it; the CLI calls only the facade. So a new kind of backend, registered
through the `register_backends` hook, runs through `hpo-bridge run --backend NAME` with no
change to the command.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from hpo_bridge.backends.errors import BackendError

if TYPE_CHECKING:
    from hpo_bridge.core.events import StudyEvent
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.spec import TuningSpec
    from hpo_bridge.store import Store

META_BACKEND = "backend"  # the store's meta key naming the study's backend

__all__ = ["META_BACKEND", "Backend", "Outcome", "RunOptions", "StudyView", "TrialLogs"]


@dataclass(frozen=True)
class RunOptions:
    """How to run a study, beyond its spec (the `run` command's options).

    A backend lists the options it takes in `Backend.options`; the facade refuses any
    other one that is set, naming its flag.
    """

    executor: str | None = None  # driven backends: where trials run (default process)
    simulate: str | None = None  # a benchmark name or a table file: simulated trials
    sim_speed: float | None = None  # simulated seconds per real second
    ray_address: str | None = None  # the Ray cluster of the `ray` executor
    detach: bool = False  # submit and return (native)
    poll_interval: float = 30.0  # seconds between status polls (native)
    approximate: bool = False  # map what the backend cannot express (native)
    time_budget: float | None = None  # seconds this run may take (see core/session.py)
    max_new_trials: int | None = None  # new trials this run may start
    extra: dict[str, Any] = field(default_factory=dict)  # options of plugin backends

    def given(self) -> list[str]:
        """Names of the options set to something other than their default."""
        defaults = RunOptions()
        names = [f.name for f in fields(self) if f.name != "extra"
                 and getattr(self, f.name) != getattr(defaults, f.name)]
        return names + sorted(self.extra)


def flag(option: str) -> str:
    return "--" + option.replace("_", "-")


@dataclass(frozen=True)
class Outcome:
    """How a run (or a resume) ended: finished, failed, cancelled, interrupted, or running
    (a detached native study)."""

    status: str
    reason: str | None = None
    ended_before: bool = False  # `resume` of a study that had already ended
    signal: int | None = None  # the signal that stopped the orchestrator (interrupted)
    # Interrupted by plan: the run's --time-budget or --max-new-trials was used up; the
    # study goes on in the next run (`run --resume-if-exists` or `resume`).
    paused: bool = False


class StudyView(Protocol):
    """Where a running study shows its progress (the CLI's live view, or nothing)."""

    def start(self, spec: TuningSpec, trials: list[Trial]) -> None:
        """Trials are about to run; `trials` are those the journal holds already (a
        resume), so the view's counts and best trial cover the whole study."""

    def __call__(self, event: StudyEvent) -> None:
        """One event of the tuner (trial created, metric, status change, ...)."""

    def note(self, line: str) -> None:
        """One line of news (a native job's progress, a warning)."""

    def stop(self) -> None:
        """The run is over (called whatever happened)."""


class QuietView:
    """A view that shows nothing (library use, tests)."""

    def start(self, spec: TuningSpec, trials: list[Trial]) -> None:
        pass

    def __call__(self, event: StudyEvent) -> None:
        pass

    def note(self, line: str) -> None:
        pass

    def stop(self) -> None:
        pass


@dataclass
class TrialLogs:
    """What a trial printed: its log files (local), or its lines (a cloud's log stream)."""

    files: list[tuple[str, Path]] = field(default_factory=list)  # ("stdout", path), ...
    lines: Iterable[str] | None = None


class Backend(ABC):
    """A place a study runs. Subclasses: `LocalBackend` (driven), `NativeBackend` (clouds).

    Thread safety: a backend object serves one command at a time. Errors the user can fix
    are raised as `BackendError` (or `SpecError`, `StoreError`, `ContractError`), one line
    per problem; anything else is a bug.
    """

    name: ClassVar[str] = ""
    #: The `RunOptions` this backend takes (others set by the user are refused).
    options: ClassVar[frozenset[str]] = frozenset()

    @abstractmethod
    def run(self, spec: TuningSpec, study_dir: Path, options: RunOptions,
            view: StudyView) -> Outcome:
        """Start a new study in `study_dir` (or follow the one it holds, where the backend
        can tell it is the same study: a native job) and run it to its end."""

    @abstractmethod
    def resume(self, study_dir: Path, view: StudyView,
               options: RunOptions | None = None) -> Outcome:
        """Continue a stored study (one that did not end, or one whose limits were raised).
        `options` are this run's (the facade passes only options the backend takes)."""

    def continues(self, store: Store) -> bool:
        """Whether `run` may be given the directory of this stored study (it then carries on
        with it, as a native backend follows its job again). Default: no, `run` starts
        new studies only."""
        return False

    def refresh(self, study_dir: Path) -> list[str]:
        """Bring the stored study up to date before it is shown (a native study syncs with
        its cloud); returns warnings (e.g. the cloud could not be reached). Default: the
        store is the truth already."""
        return []

    def is_live(self, store: Store) -> bool:
        """Whether something still runs the stored study: by default, an orchestrator
        holding the study's lock (store/lock.py)."""
        from hpo_bridge.store.lock import lock_holder

        return lock_holder(store.directory) is not None

    def cancel(self, study_dir: Path) -> str:
        """Stop the study; returns what was stopped (e.g. the job's name)."""
        raise BackendError(
            f"{self.name}: a study on this backend is stopped from where it runs"
            " (Ctrl-C, or SIGTERM to its orchestrator); `hpo-bridge resume DIR` continues it")

    def logs(self, study_dir: Path, trial: int) -> TrialLogs:
        """What `trial` printed. Default: its folder's stdout.log and stderr.log."""
        from hpo_bridge.store.layout import trial_log_files

        return TrialLogs(files=trial_log_files(study_dir, trial))

    def check_options(self, options: RunOptions) -> None:
        """Refuse options this backend does not take, one line each naming the flag."""
        refused = [o for o in options.given() if o not in self.options]
        if refused:
            raise BackendError("\n".join(
                f"{flag(o)}: not taken by backend {self.name}" for o in refused))
