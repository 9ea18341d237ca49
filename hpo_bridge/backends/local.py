"""The "local" backend: hpo-bridge's own core drives the trials (no cloud tuner).

It builds the study's tuner (`hpo_bridge.tuning`) over an executor — the process
executor, the simulator with `--simulate`, or any registered one with `--executor NAME`
(`ray`: trials on a Ray cluster) — and journals every event in the study's Store,
committing once per tuner step together with the searcher's state now and then.
`resume` rebuilds the same study from its store: the searcher from its saved state, the
tuner from the stored trials (interrupted ones are re-proposed; see core/tuner.py).

The executor is recorded in the store's meta ("executor": name and options) so `resume`
runs the study the same way. An executor takes the `run` options its factory lists in
`run_options` (e.g. `--ray-address`) and turns them into its own (`options_from`); the
others are refused, one line each. An executor that can no longer reach where its trials
run raises ExecutorUnavailable: the study stops as interrupted (one line) and `resume`
continues it.

A study whose setup fails before any trial ran (a spec its contract cannot run, a
`[python, X.py]` command whose script is not in trial.code) leaves nothing behind: what
`run` created in the study directory is removed. `resume` first kills what trials of a
killed orchestrator left running.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from hpo_bridge.backends.base import (
    META_BACKEND,
    Backend,
    Outcome,
    RunOptions,
    StudyView,
    flag,
)
from hpo_bridge.backends.errors import BackendError
from hpo_bridge.core.events import StudyEvent, TrialStatusChanged
from hpo_bridge.core.executor import ExecutorUnavailable
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.store import Store, StoreError
from hpo_bridge.tuning import build_executor, build_tuner

if TYPE_CHECKING:
    from hpo_bridge.core.tuner import Tuner
    from hpo_bridge.spec import TuningSpec

SEARCHER_STATE_EVERY = 2.0  # wall seconds between saves of the searcher's state
CTRL_C = "interrupted (Ctrl-C)"  # is_interrupted(): not counted, re-proposed on resume
UNREACHABLE = "interrupted (its executor became unreachable)"
META_EXECUTOR = "executor"


class LocalBackend(Backend):
    """A driven backend: the core's Tuner over a local executor."""

    name = "local"
    options: ClassVar[frozenset[str]] = frozenset(
        {"executor", "simulate", "sim_speed", "ray_address"})

    def __init__(self, on_tuner: Callable[[Tuner], None] | None = None) -> None:
        self.on_tuner = on_tuner  # sees the tuner once built (tests, benchmarks)

    # -- Backend -----------------------------------------------------------------------
    def run(self, spec: TuningSpec, study_dir: Path, options: RunOptions,
            view: StudyView) -> Outcome:
        executor, executor_options = self.executor_for(spec, options)
        return self.start(spec, study_dir, executor=executor,
                          executor_options=executor_options, view=view)

    def resume(self, study_dir: Path, view: StudyView) -> Outcome:
        from hpo_bridge.executors.procgroup import kill_leftovers

        store = Store.open(study_dir)
        if self.is_live(store):
            pid = store.study_status().pid
            store.close()
            raise StoreError(f"{study_dir}: the study is running (orchestrator pid {pid})")
        kill_leftovers(store.directory)  # trials of a SIGKILLed orchestrator still run
        return self._drive(store, view)

    # -- running -------------------------------------------------------------------------
    @classmethod
    def executor_for(cls, spec: TuningSpec, options: RunOptions) -> tuple[str, dict[str, Any]]:
        """The executor `options` ask for (`--executor`; `--simulate` alone means the
        simulator), with its own options, checked before anything runs: an executor takes
        the `run` options its factory lists in `run_options` and turns them into its own
        with `options_from(spec, options)`."""
        name = options.executor or ("simulator" if options.simulate is not None else "process")
        factory = _executor_factory(name)
        takes = getattr(factory, "run_options", frozenset())
        refused = [o for o in options.given() if o in cls.options - {"executor"}
                   and o not in takes]
        if refused:
            raise BackendError("\n".join(f"{flag(o)}: not taken by executor {name}"
                                         for o in refused))
        options_from = getattr(factory, "options_from", None)
        return name, (dict(options_from(spec, options)) if options_from is not None else {})

    def start(self, spec: TuningSpec, study_dir: str | Path, *, executor: str = "process",
              executor_options: dict[str, Any] | None = None,
              view: StudyView | None = None) -> Outcome:
        """Create the study in `study_dir` and run it to its end."""
        directory = Path(study_dir)
        before = set(directory.iterdir()) if directory.is_dir() else None
        store = Store.create(directory, spec)
        store.set_meta(META_BACKEND, self.name)
        store.set_meta(META_EXECUTOR, {"name": executor, "options": executor_options or {}})
        store.commit()
        return self._drive(store, view, on_setup_error=lambda: _remove_created(directory,
                                                                              before))

    def _drive(self, store: Store, view: StudyView | None,
               on_setup_error: Callable[[], None] | None = None) -> Outcome:
        """Build the study's tuner and run it to the end; `on_setup_error` undoes a new
        study that cannot start."""
        spec = store.spec
        chosen = store.get_meta(META_EXECUTOR, {"name": "process", "options": {}})
        try:
            executor = build_executor(spec, chosen["name"], study_dir=store.directory,
                                      options=dict(chosen.get("options", {})))
        except BaseException:
            store.close()
            if on_setup_error is not None:  # nothing ran: leave no half-made study behind
                on_setup_error()
            raise

        def journal(event: StudyEvent) -> None:
            store.record(event)
            if view is not None:
                view(event)

        try:
            elapsed = store.elapsed()
            previous = store.trials()
            store.set_status("running", time=elapsed,
                             event="resumed" if previous else "started")
            tuner = build_tuner(spec, executor, sink=journal,
                                searcher_state=store.searcher_state(), previous=previous,
                                backlog=store.searcher_backlog(), elapsed=elapsed)
            store.commit(tuner.take_searcher_state())
            if self.on_tuner is not None:
                self.on_tuner(tuner)
            if view is not None:
                view.start(spec, sum(1 for t in previous if t.status.terminal))
            saved = time.monotonic()
            while tuner.step():
                # Every step is committed; the searcher's state (which grows with the study)
                # only now and then: resume replays the rest from the journal.
                state = None
                if time.monotonic() - saved >= SEARCHER_STATE_EVERY:
                    state, saved = tuner.take_searcher_state(), time.monotonic()
                store.commit(state)
            store.commit(tuner.take_searcher_state())
            assert tuner.ended is not None
            return Outcome(tuner.ended.status, tuner.ended.reason)
        except KeyboardInterrupt:
            _interrupted(store, CTRL_C, "interrupted by the user")
            raise
        except ExecutorUnavailable as exc:
            # Where the trials run went away (a cluster's head): stop here, one line, and
            # let `resume` continue once it is back.
            _interrupted(store, UNREACHABLE, str(exc))
            return Outcome("interrupted", str(exc))
        finally:
            executor.close()
            store.close()


def _interrupted(store: Store, trial_reason: str, reason: str) -> None:
    """The step in progress is dropped, as after a crash. Trials that were running are
    recorded as cancelled with `trial_reason` (starting "interrupted"; their processes
    are stopped by the executor's close): the store tells the truth, and `resume`
    re-proposes them without counting them against max_trials, like those of a killed
    orchestrator."""
    store.rollback()
    now = store.elapsed()
    for trial in store.trials():
        if not trial.status.terminal:
            store.record(TrialStatusChanged(trial.id, now, TrialStatus.CANCELLED, trial_reason))
    store.set_status("interrupted", reason, time=now)
    store.commit()


def _executor_factory(name: str) -> Any:
    from hpo_bridge.plugins import registry

    reg = registry()
    component = reg.get("executors", name)
    if component is None:
        installed = ", ".join(reg.names("executors")) or "none"
        raise BackendError(f"--executor: unknown executor {name!r} (installed: {installed})")
    return component.load()


def _remove_created(directory: Path, before: set[Path] | None) -> None:
    """Remove what `run` made in `directory`: all of it if it did not exist before."""
    if before is None:
        shutil.rmtree(directory, ignore_errors=True)
        return
    for path in set(directory.iterdir()) - before:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
