"""The "local" backend: hpo-bridge's own core drives the trials (no cloud tuner).

It builds the searcher, the stopping rule and the executor from the registry,
runs the Tuner, and journals every event in the study's Store, committing once
per tuner step together with the searcher's state. `resume` rebuilds the same
study from its store: the searcher from its saved state, the tuner from the
stored trials (interrupted ones are re-proposed; see core/tuner.py).

The executor is recorded in the store's meta ("executor": name and options) so
`resume` runs the study the same way; the process executor also gets the study
directory (it keeps each trial's working directory there).

A study whose setup fails before any trial ran (a spec its contract cannot run,
a `[python, X.py]` command whose script is not in trial.code) leaves nothing
behind: what `run` created in the study directory is removed.
`resume` first kills what trials of a killed orchestrator left running.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hpo_bridge.core.events import StudyEnded, StudyEvent, TrialStatusChanged
from hpo_bridge.core.searchers.base import Searcher
from hpo_bridge.core.stopping.base import StoppingRule
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.core.tuner import Tuner
from hpo_bridge.plugins import registry
from hpo_bridge.spec import TuningSpec
from hpo_bridge.store import Store

Sink = Callable[[StudyEvent], None]
PROCESS_POLL = 1.0  # seconds: how often a real-time study wakes up with no events
SEARCHER_STATE_EVERY = 2.0  # wall seconds between saves of the searcher's state
CTRL_C = "interrupted (Ctrl-C)"  # is_interrupted(): not counted, re-proposed on resume


class LocalBackend:
    """A driven backend: not a native Backend (it has no cloud job to submit)."""

    name = "local"
    driven = True

    def run(
        self,
        spec: TuningSpec,
        study_dir: str | Path,
        *,
        executor: str = "process",
        executor_options: dict[str, Any] | None = None,
        sink: Sink | None = None,
        on_tuner: Callable[[Tuner], None] | None = None,
    ) -> StudyEnded:
        """Create the study in `study_dir` and run it to its end."""
        directory = Path(study_dir)
        before = set(directory.iterdir()) if directory.is_dir() else None
        store = Store.create(directory, spec)
        store.set_meta("backend", self.name)
        store.set_meta("executor", {"name": executor, "options": executor_options or {}})
        store.commit()
        return self._drive(store, sink=sink, on_tuner=on_tuner,
                           on_setup_error=lambda: _remove_created(directory, before))

    def resume(
        self,
        study_dir: str | Path,
        *,
        sink: Sink | None = None,
        on_tuner: Callable[[Tuner], None] | None = None,
    ) -> StudyEnded:
        """Continue a stored study."""
        from hpo_bridge.executors.procgroup import kill_leftovers

        store = Store.open(study_dir)
        kill_leftovers(store.directory)  # trials of a SIGKILLed orchestrator still run
        return self._drive(store, sink=sink, on_tuner=on_tuner)

    # -- internals ---------------------------------------------------------------------
    def build_searcher(self, spec: TuningSpec, state: dict[str, Any] | None) -> Searcher:
        searcher: Searcher = registry().require("searchers", spec.strategy.algorithm).create(spec)
        if state is not None:
            searcher.load_state_dict(state)
        return searcher

    def build_rule(self, spec: TuningSpec, searcher: Searcher) -> StoppingRule | None:
        policy = spec.early_stopping.policy
        if searcher.stopping_rule() is not None or policy == "none":
            return None
        rule: StoppingRule = registry().require("stopping_rules", policy).create(spec)
        return rule

    def _drive(
        self,
        store: Store,
        *,
        sink: Sink | None,
        on_tuner: Callable[[Tuner], None] | None,
        on_setup_error: Callable[[], None] | None = None,
    ) -> StudyEnded:
        """Build the study's components and run the tuner to the end; `on_setup_error`
        undoes a new study that cannot start."""
        spec = store.spec
        try:
            searcher = self.build_searcher(spec, store.searcher_state())
            rule = self.build_rule(spec, searcher)
            chosen = store.get_meta("executor", {"name": "process", "options": {}})
            options = dict(chosen.get("options", {}))
            if chosen["name"] == "process":
                options.setdefault("study_dir", store.directory)
                options["contract"] = registry().require("contracts", spec.trial.contract).create()
            executor = registry().require("executors", chosen["name"]).create(spec, **options)
            if chosen["name"] == "process":
                try:
                    check_script(spec)
                except BaseException:
                    executor.close()
                    raise
        except BaseException:
            store.close()
            if on_setup_error is not None:  # nothing ran: leave no half-made study behind
                on_setup_error()
            raise
        poll = PROCESS_POLL if chosen["name"] == "process" else math.inf

        def journal(event: StudyEvent) -> None:
            store.record(event)
            if sink is not None:
                sink(event)

        try:
            elapsed = store.elapsed()
            store.set_status("running", time=elapsed,
                             event="resumed" if store.trials() else "started")
            tuner = Tuner(spec, searcher, executor, rule=rule, sink=journal,
                          previous=store.trials(), backlog=store.searcher_backlog(),
                          elapsed=elapsed, poll_interval=poll)
            store.commit(tuner.take_searcher_state())
            if on_tuner is not None:
                on_tuner(tuner)
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
            return tuner.ended
        except KeyboardInterrupt:
            # The step in progress is dropped, as after a crash. Trials that were running
            # are recorded as cancelled "interrupted (Ctrl-C)" (their processes are stopped
            # below): the store tells the truth, and `resume` re-proposes them without
            # counting them against max_trials, like those of a killed orchestrator.
            store.rollback()
            now = store.elapsed()
            for trial in store.trials():
                if not trial.status.terminal:
                    store.record(TrialStatusChanged(trial.id, now, TrialStatus.CANCELLED,
                                                    CTRL_C))
            store.set_status("interrupted", "interrupted by the user", time=now)
            store.commit()
            raise
        finally:
            executor.close()
            store.close()


def check_script(spec: TuningSpec) -> None:
    """A `[python, X.py, ...]` command whose script is missing fails before any trial,
    as a ContractError (one line, exit code 2), not as N failed trials."""
    from hpo_bridge.contracts.base import PYTHON_WORDS, ContractError

    command = spec.trial.command or []
    if len(command) < 2 or command[0] not in PYTHON_WORDS or not command[1].endswith(".py"):
        return
    script = Path(command[1])
    if not (spec.code_dir / script).exists():  # an absolute path stays itself under `/`
        raise ContractError(f"trial.command: script {command[1]} not found in {spec.code_dir}")


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
