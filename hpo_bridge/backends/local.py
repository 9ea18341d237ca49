"""The "local" backend: hpo-bridge's own core drives the trials (no cloud tuner).

It builds the study's tuner (`hpo_bridge.tuning`) over an executor — the process
executor, the simulator with `--simulate`, or any registered one with `--executor NAME`
(`ray`: trials on a Ray cluster) — and journals every event in the study's Store,
committing once per tuner step together with the searcher's state now and then.
`resume` rebuilds the same study from its store: the searcher from its saved state, the
tuner from the stored trials (interrupted ones run again; see core/resume.py).

The executor is recorded in the store's meta ("executor": name and options) so `resume`
runs the study the same way. An executor takes the `run` options its factory lists in
`run_options` (e.g. `--ray-address`) and turns them into its own (`options_from`); the
others are refused, one line each. An executor that can no longer reach where its trials
run raises ExecutorUnavailable: the study stops as interrupted (one line) and `resume`
continues it.

A study whose setup fails before any trial ran (a spec its contract cannot run, a
`[python, X.py]` command whose script is not in trial.code) leaves nothing behind: what
`run` created in the study directory is removed.

One orchestrator per study: `run` and `resume` hold the study's lock (store/lock.py) for
their whole life; a second one is refused in one line naming the holder's pid and changes
nothing. Only with the lock held — which proves no orchestrator lives — does `resume`
kill what a killed orchestrator's trials left running.

Stopping (Ctrl-C, or SIGTERM as CI sends it): the first signal stops launching trials,
lets the trials that already reported their final interval finish, ends the others as
"interrupted" (with everything they reported kept) and returns; `resume` runs those again,
same id and configuration. A second signal ends the rest at once.
"""

from __future__ import annotations

import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
from hpo_bridge.core.session import SessionLimits
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.store import Store, StoreError, StudyHalted
from hpo_bridge.store.lock import StudyLock
from hpo_bridge.store.warm_start import load_prior, save_prior, stored_prior
from hpo_bridge.tuning import build_contract, build_executor, build_tuner

if TYPE_CHECKING:
    from hpo_bridge.contracts.base import TrialContract
    from hpo_bridge.core.tuner import Tuner
    from hpo_bridge.spec import TuningSpec

SEARCHER_STATE_EVERY = 2.0  # wall seconds between saves of the searcher's state
UNREACHABLE = "interrupted (its executor became unreachable)"
# The run options that belong to one executor or another (the rest are the study's own).
EXECUTOR_OPTIONS = frozenset({"simulate", "sim_speed", "ray_address"})
META_EXECUTOR = "executor"
META_WALL_CLOCK = "wall_clock"  # [[study seconds, epoch seconds], ...]: one per session
META_ORIGIN = "origin"  # the foreign file the spec was read from (TuningSpec.origin)
SIGNAL_NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


class StopSignals:
    """SIGINT and SIGTERM while a study runs: the first asks for a graceful stop, the
    second raises KeyboardInterrupt (stop at once)."""

    def __init__(self) -> None:
        self.received: str | None = None
        self.signum: int | None = None

    def _handle(self, signum: int, _frame: object) -> None:
        if self.received is not None:
            raise KeyboardInterrupt
        self.signum = signum
        self.received = SIGNAL_NAMES.get(signal.Signals(signum), "a signal")

    @contextmanager
    def installed(self) -> Iterator[StopSignals]:
        if threading.current_thread() is not threading.main_thread():
            yield self  # signals reach the main thread only
            return
        previous = {sig: signal.signal(sig, self._handle) for sig in SIGNAL_NAMES}
        try:
            yield self
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


class LocalBackend(Backend):
    """A driven backend: the core's Tuner over a local executor."""

    name = "local"
    options: ClassVar[frozenset[str]] = frozenset(
        {"executor", "simulate", "sim_speed", "ray_address", "time_budget", "max_new_trials"})

    def __init__(self, on_tuner: Callable[[Tuner], None] | None = None) -> None:
        self.on_tuner = on_tuner  # sees the tuner once built (tests, benchmarks)

    # -- Backend -----------------------------------------------------------------------
    def run(self, spec: TuningSpec, study_dir: Path, options: RunOptions,
            view: StudyView) -> Outcome:
        executor, executor_options = self.executor_for(spec, options)
        return self.start(spec, study_dir, executor=executor,
                          executor_options=executor_options, view=view,
                          session=session_of(options))

    def resume(self, study_dir: Path, view: StudyView,
               options: RunOptions | None = None) -> Outcome:
        from hpo_bridge.executors.procgroup import kill_leftovers

        lock = StudyLock(study_dir).acquire()
        try:
            store = Store.open(study_dir)
        except BaseException:
            lock.release()
            raise
        # The lock proves no orchestrator lives: what its trials left running is ours to end.
        kill_leftovers(store.directory)
        return self._drive(store, view, lock, session=session_of(options))

    # -- running -------------------------------------------------------------------------
    @classmethod
    def executor_for(cls, spec: TuningSpec, options: RunOptions) -> tuple[str, dict[str, Any]]:
        """The executor `options` ask for (`--executor`; `--simulate` alone means the
        simulator), with its own options, checked before anything runs: an executor takes
        the `run` options its factory lists in `run_options` and turns them into its own
        with `options_from(spec, options)`."""
        name = options.executor or ("simulator" if options.simulate is not None else "process")
        factory = _executor_factory(name)
        takes: frozenset[str] = getattr(factory, "run_options", frozenset())
        refused = [o for o in options.given() if o in EXECUTOR_OPTIONS and o not in takes]
        if refused:
            raise BackendError("\n".join(f"{flag(o)}: not taken by executor {name}"
                                         for o in refused))
        options_from = getattr(factory, "options_from", None)
        return name, (dict(options_from(spec, options)) if options_from is not None else {})

    def start(self, spec: TuningSpec, study_dir: str | Path, *, executor: str = "process",
              executor_options: dict[str, Any] | None = None,
              view: StudyView | None = None, session: SessionLimits | None = None) -> Outcome:
        """Create the study in `study_dir` and run it to its end (or to the end of this
        run's `session` limits)."""
        directory = Path(study_dir)
        # Read before anything is created: a warm-start source that is no study is a user
        # error that must leave nothing behind.
        prior = load_prior(spec, directory)
        before = set(directory.iterdir()) if directory.is_dir() else None
        # The lock first, then the store: two `run`s at once never build one study.db.
        lock = StudyLock(directory).acquire()
        try:
            store = Store.create(directory, spec)
        except BaseException:
            lock.release()
            raise
        store.set_meta(META_BACKEND, self.name)
        store.set_meta(META_EXECUTOR, {"name": executor, "options": executor_options or {}})
        if prior.trials:
            save_prior(store, prior.trials)
        if spec.origin is not None:  # the foreign file it was read from (e.g. a Vega hpo.yml)
            store.set_meta(META_ORIGIN, spec.origin)
        store.commit()
        if view is not None:
            for note in prior.notes:
                view.note(note)
        return self._drive(store, view, lock, session=session,
                           on_setup_error=lambda: _remove_created(directory, before))

    def _drive(self, store: Store, view: StudyView | None, lock: StudyLock,
               on_setup_error: Callable[[], None] | None = None,
               session: SessionLimits | None = None) -> Outcome:
        """Build the study's tuner and run it to the end; `on_setup_error` undoes a new
        study that cannot start."""
        with StopSignals().installed() as signals:
            try:
                return self._run_tuner(store, view, signals, on_setup_error, session)
            finally:
                lock.release()

    def _run_tuner(self, store: Store, view: StudyView | None, signals: StopSignals,
                   on_setup_error: Callable[[], None] | None,
                   session: SessionLimits | None = None) -> Outcome:
        spec = store.spec
        chosen = store.get_meta(META_EXECUTOR, {"name": "process", "options": {}})
        try:
            contract = build_contract(spec)
            executor = build_executor(spec, chosen["name"], study_dir=store.directory,
                                      options=dict(chosen.get("options", {})),
                                      contract=contract)
        except BaseException:
            store.close()
            if on_setup_error is not None:  # nothing ran: leave no half-made study behind
                on_setup_error()
            raise

        def journal(event: StudyEvent) -> None:
            store.record(event)
            if view is not None:
                view(event)

        started = False  # the study runs: a journal fault now stops it (exit code 1)
        try:
            elapsed = store.elapsed()
            previous = store.trials()
            # Study seconds at this session's start, on the wall clock (reports show times).
            anchors = store.get_meta(META_WALL_CLOCK) or []
            store.set_meta(META_WALL_CLOCK, [*anchors, [elapsed, time.time()]])
            store.set_status("running", time=elapsed,
                             event="resumed" if previous else "started")
            tuner = build_tuner(spec, executor, sink=journal,
                                searcher_state=store.searcher_state(), previous=previous,
                                backlog=store.searcher_backlog(), elapsed=elapsed,
                                durable=store.commit, session=session,
                                prior=stored_prior(store))
            store.commit(tuner.take_searcher_state())
            started = True
            if self.on_tuner is not None:
                self.on_tuner(tuner)
            if view is not None:
                view.start(spec, previous)
            saved = time.monotonic()
            while tuner.step():
                if signals.received is not None:
                    tuner.interrupt(f"interrupted ({signals.received})")
                # Every step is committed; the searcher's state (which grows with the study)
                # only now and then: resume replays the rest from the journal.
                state = None
                if time.monotonic() - saved >= SEARCHER_STATE_EVERY:
                    state, saved = tuner.take_searcher_state(), time.monotonic()
                store.commit(state)
            store.commit(tuner.take_searcher_state())
            if tuner.interrupted:
                paused = tuner.paused and signals.received is None
                why = tuner.closing_reason if paused else f"stopped by {signals.received}"
                store.set_status("interrupted", why, time=tuner.now())
                store.commit()
                _study_ended(contract, store.directory, None)
                return Outcome("interrupted", why, signal=signals.signum, paused=paused)
            assert tuner.ended is not None
            _study_ended(contract, store.directory, view)
            return Outcome(tuner.ended.status, tuner.ended.reason)
        except KeyboardInterrupt:
            # Stop at once (a second signal): the step in progress is dropped, as after a
            # crash. Trials still running are recorded interrupted (their processes are
            # stopped below); what they reported stays, and `resume` runs them again.
            _interrupted(store, f"interrupted ({signals.received or 'Ctrl-C'}, twice)")
            raise
        except ExecutorUnavailable as exc:
            # Where the trials run went away (a cluster's head): stop here, one line, and
            # let `resume` continue once it is back.
            _interrupted(store, f"{UNREACHABLE}: {exc}")
            return Outcome("interrupted", str(exc))
        except StoreError as exc:
            # The journal cannot be written (disk full, ...): end the trials (below) and
            # say so in one line; what was committed stands and `resume` continues it.
            if not started:
                raise
            raise StudyHalted(exc, store.directory) from None
        finally:
            executor.close()
            store.close()


def _study_ended(contract: TrialContract, directory: Path, view: StudyView | None) -> None:
    """Let the contract leave its tool's outputs (Vega's task layout); show its lines.

    Outputs are a courtesy to the tool's users: failing to write them is a warning, never
    the study's failure."""
    try:
        lines = contract.study_ended(directory)
    except OSError as exc:
        lines = [f"warning: could not write the {contract.name} outputs: {exc}"]
    if view is not None:
        for line in lines:
            view.note(line)


def _interrupted(store: Store, why: str) -> None:
    """The step in progress is dropped, as after a crash; the trials still running are
    recorded interrupted (what they reported stays; `resume` runs them again)."""
    store.rollback()
    now = store.elapsed()
    for trial in store.trials():
        if not trial.status.terminal:
            store.record(TrialStatusChanged(trial.id, now, TrialStatus.INTERRUPTED, why))
    store.set_status("interrupted", why, time=now)
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


def session_of(options: RunOptions | None) -> SessionLimits | None:
    """This run's limits from its options (None: the run goes on to the study's end)."""
    if options is None or (options.time_budget is None and options.max_new_trials is None):
        return None
    return SessionLimits(time_budget=options.time_budget, new_trials=options.max_new_trials)
