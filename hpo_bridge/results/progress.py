"""Live progress of a study: a sink for the tuner's events.

Every trial that ends (completed, stopped by a rule, failed...) is one line with its
reason, its time and the best so far. In a terminal these lines are printed above a
live panel (a bar of trials done, a table of running trials with their latest metrics,
and the best so far; rich, refreshed a few times a second on its own thread, so the
tuner never waits for the screen), so the study's history stays in the scrollback;
elsewhere they are plain lines. The study's outcome is the command's to print (on
stdout).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hpo_bridge.core.events import (
    MetricReported,
    StudyEvent,
    TrialCreated,
    TrialRetried,
    TrialStarted,
    TrialStatusChanged,
)
from hpo_bridge.core.trial import HPO, Trial, TrialStatus
from hpo_bridge.results.table import seconds_text

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

MAX_ROWS = 12  # running trials shown; more are summarised in one line


def _fmt(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _params_text(params: dict[str, Any]) -> str:
    return ", ".join(f"{k}={_fmt(v)}" for k, v in params.items())


class ProgressView:
    """The study facade's view: `start(spec, done)` when trials are about to run, then
    call it with every event; `note(line)` for news; `stop()` when the run is over."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self.live_mode = self.console.is_terminal
        self._lock = threading.Lock()
        self._params: dict[int, dict[str, Any]] = {}
        self._latest: dict[int, dict[str, float]] = {}
        self._intervals: dict[int, int] = {}
        self._value: dict[int, float] = {}  # the objective per measurement so far
        self._running: set[int] = set()
        self._started: dict[int, float] = {}  # study time each running trial started
        self._done = 0
        self._total = 0
        self.best: tuple[int, float] | None = None
        self._progress = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=self.console,
        )
        self._task: Any = None
        self._live: Live | None = None
        self.spec: TuningSpec | None = None
        self._known: dict[int, dict[str, Any]] = {}

    # -- lifecycle ---------------------------------------------------------------------
    def start(self, spec: TuningSpec, trials: Sequence[Trial] = ()) -> None:
        """Show the study; `trials` already in its journal (a resume) count as done, and
        the best so far comes from them too."""
        from hpo_bridge.core.ranking import best_trial

        self.spec = spec
        self.objective = spec.primary
        done = sum(1 for t in trials if t.status.final and t.stage == HPO)
        self._done, self._total = done, spec.max_trials
        top = None if spec.multi_objective else best_trial(spec, trials)
        value = top.objective(spec.primary.goal, spec.primary.measurement) if top else None
        if top is not None and value is not None:
            self.best = (top.id, value)
        self._known = {t.id: t.params for t in trials}  # a re-run shows its configuration
        self._task = self._progress.add_task(f"study {spec.name}", total=self._total,
                                             completed=done)
        if self.live_mode:
            self._live = Live(self, console=self.console, refresh_per_second=4)
            self._live.start()

    def stop(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def note(self, line: str) -> None:
        """One line of news (e.g. a cloud job's progress): above the live view while it
        shows, else on standard output like the study's outcome."""
        if self._live is not None:
            self._line(line)
        else:
            print(line, flush=True)

    # -- the sink ----------------------------------------------------------------------
    def __call__(self, event: StudyEvent) -> None:
        if self.spec is None:  # not started: nothing to show yet
            return
        lines: list[str] = []
        with self._lock:
            if isinstance(event, MetricReported):
                if event.trial_id in self._running:
                    self._latest.setdefault(event.trial_id, {})[event.name] = event.value
                    if event.name == self.objective.metric:
                        self._objective_report(event.trial_id, event.value)
            elif isinstance(event, TrialCreated):
                self._params[event.trial_id] = event.params
                self._running.add(event.trial_id)
                if event.stage != HPO:  # Vega's fullytrain re-runs come on top of max_trials
                    self._total += 1
                    self._progress.update(self._task, total=self._total)
                    lines.append(f"trial {event.trial_id}: {event.stage} stage,"
                                 f" {_params_text(event.params)}")
            elif isinstance(event, TrialStarted):
                self._started[event.trial_id] = event.time
            elif isinstance(event, TrialRetried):
                self._params[event.trial_id] = self._known.get(event.trial_id, {})
                self._running.add(event.trial_id)
                lines.append(f"trial {event.trial_id}: {event.reason}")
            elif isinstance(event, TrialStatusChanged) and event.status.terminal:
                lines += self._trial_ended(event)
        # Printed outside the lock: rendering the live view takes it too.
        for line in lines:
            self._line(line)

    def _objective_report(self, tid: int, value: float) -> None:
        self._intervals[tid] = self._intervals.get(tid, 0) + 1
        kept = self._value.get(tid)
        if self.objective.measurement == "last" or kept is None or self.objective.better(
            value, kept
        ):
            self._value[tid] = value

    def _trial_ended(self, event: TrialStatusChanged) -> list[str]:
        tid = event.trial_id
        self._running.discard(tid)
        self._latest.pop(tid, None)
        self._params.pop(tid, None)
        intervals = self._intervals.pop(tid, 0)
        if event.status.final:  # an interrupted trial runs again: not done
            self._done += 1
        self._progress.update(self._task, completed=self._done)
        value = self._value.pop(tid, None)
        assert self.spec is not None
        if event.status.counts_as_result and value is not None and not self.spec.multi_objective \
                and (self.best is None or self.objective.better(value, self.best[1])):
            self.best = (tid, value)
        started = self._started.pop(tid, None)
        took = f" in {seconds_text(event.time - started)}" if started is not None else ""
        shown = f" {self.objective.metric}={_fmt(value)}" if value is not None else ""
        why = f" ({event.reason})" if event.reason and event.status is not \
            TrialStatus.COMPLETED else ""
        best = f" | best {_fmt(self.best[1])} (trial {self.best[0]})" if self.best else ""
        return [f"trial {tid} {event.status.value} after {intervals} interval(s){took}"
                f"{shown}{why}{best} | {self._done} done"]

    def _line(self, text: str) -> None:
        if self._live is not None:
            # soft_wrap: the terminal wraps a long line itself (copied, it stays one line)
            self._live.console.print(text, markup=False, highlight=False, soft_wrap=True)
        else:  # plain lines: rich's rendering per line would cost more than the trial
            self.console.file.write(text + "\n")
            self.console.file.flush()

    # -- rendering (the Live thread) ------------------------------------------------------
    def __rich__(self) -> Group:
        with self._lock:
            table = Table("trial", "params", "intervals", "latest metrics", box=None)
            running = sorted(self._running)
            for tid in running[:MAX_ROWS]:
                params = _params_text(self._params.get(tid, {}))
                latest = ", ".join(f"{k}={_fmt(v)}" for k, v in self._latest.get(tid, {}).items())
                table.add_row(str(tid), params, str(self._intervals.get(tid, 0)), latest)
            parts: list[Any] = [self._progress.get_renderable(), table]
            if len(running) > MAX_ROWS:
                parts.append(f"... and {len(running) - MAX_ROWS} more running")
            if self.best is not None:
                parts.append(f"best so far: trial {self.best[0]}, "
                             f"{self.objective.metric} = {_fmt(self.best[1])}")
            return Group(*parts)
