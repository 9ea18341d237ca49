"""The process executor: each trial a subprocess under its contract, metrics read as they arrive.

Every trial runs `argv` (never a shell) in its own session and folder,
`<study-dir>/trials/<id>/`, with stdout and stderr in `stdout.log` and
`stderr.log` there (see executors/trialproc.py, shared with the Ray executor's
node side). `poll` reads each metric channel from where it stopped and sleeps
between scans on the trials' pidfds, so an exit wakes it at once.

Output is read in bounded amounts (metrics/lines.py: 1 MiB per channel per scan),
so a trial that floods its output never grows the orchestrator: it writes to its
files at its own pace (never blocked by a pipe), the files on disk are the backlog,
and a trial's end is reported only once everything it wrote has been read, over as
many scans as that takes. What it reports passes through a `ReportFilter`
(metrics/thinning.py): objectives per interval, other metrics thinned within an
interval, a trial ended (COMPLETED, with the reason) once it reports an objective
more than 10,000 times.

Events:
- TrialStarted when `start` ran (a trial that cannot start gets TrialStarted
  then TrialFinished FAILED "cannot start: ...");
- MetricReported per value read, in order; a value that is not a finite
  number arrives as nan with its text in `raw`: the tuner fails the trial;
- TrialFinished after the last metric, with the status, exit code and reason
  of `TrialProcess.finish` (the status and reason given to `stop()` unless the
  trial had already exited by itself then).

A trial that continues a checkpoint finds a copy of its source's where its contract
expects it (executors/checkpoints.py); when there is none to copy, a RestoreCorrected
(start 0: from scratch) saying why comes before its TrialStarted.
"""

from __future__ import annotations

import selectors
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hpo_bridge.contracts.base import TrialContext, TrialContract, check_script
from hpo_bridge.core.clock import Clock
from hpo_bridge.core.events import (
    ExecutorEvent,
    MetricReported,
    RestoreCorrected,
    TrialFinished,
    TrialStarted,
)
from hpo_bridge.core.executor import Executor
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.executors import procgroup
from hpo_bridge.executors.checkpoints import restore_checkpoint
from hpo_bridge.executors.devices import DevicePool
from hpo_bridge.executors.lineage import Lineage
from hpo_bridge.executors.trialproc import LAUNCH_FILE, TrialProcess
from hpo_bridge.executors.wallclock import MonotonicClock
from hpo_bridge.metrics.base import Reading
from hpo_bridge.metrics.lines import MAX_LINE
from hpo_bridge.metrics.thinning import ReportFilter
from hpo_bridge.store.layout import fresh_trial_dir

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

__all__ = ["LAUNCH_FILE", "ProcessExecutor"]

POLL_INTERVAL = 0.05  # seconds between metric scans while nothing exits


@dataclass
class _Run:
    trial: Trial
    process: TrialProcess
    device: str | None
    reports: ReportFilter
    code: int | None = None  # once reaped: its output is being read to the end


class ProcessExecutor(Executor):
    """Runs each trial as a process group under the spec's trial contract."""

    idle_poll = 1.0

    def __init__(
        self,
        spec: TuningSpec,
        study_dir: Path,
        *,
        contract: TrialContract,
        clock: Clock | None = None,
        poll_interval: float = POLL_INTERVAL,
        max_line: int = MAX_LINE,
    ) -> None:
        """Raises ContractError (one line per problem) when the spec cannot run locally."""
        self.spec = spec
        self.study_dir = Path(study_dir).resolve()
        self.clock: Clock = clock or MonotonicClock()
        self.poll_interval = poll_interval
        self.max_line = max_line
        self.contract = contract
        self.contract.setup(spec, self.study_dir)
        check_script(spec)
        devices = spec.trial.devices
        self.devices = DevicePool(devices, spec.trial.share_devices) if devices else None
        self._runs: dict[int, _Run] = {}
        self._draining: dict[int, _Run] = {}  # exited; output still being read
        self._queue: list[ExecutorEvent] = []
        self._selector = selectors.DefaultSelector()
        self._closed = False
        self._lineage = Lineage()  # what trials start, however it detaches
        procgroup.guard(self)

    # -- Executor ------------------------------------------------------------------------
    def start(self, trial: Trial, stage: str | None = None) -> None:
        """Start `trial` in its stage (`trial.stage` unless given): "fullytrain" runs
        Vega's fullytrain stage (no EPOCHS)."""
        stage = stage or trial.stage
        if trial.id in self._runs:
            raise ValueError(f"trial {trial.id} is already running")
        now = self.clock.now()
        trial_dir = fresh_trial_dir(self.study_dir, trial.id)
        restore_dir, scratch = restore_checkpoint(self.spec, self.contract, self.study_dir,
                                                  trial, trial_dir)
        if scratch is not None:
            self._queue.append(RestoreCorrected(trial.id, now, 0, scratch))
        device = self.devices.acquire() if self.devices else None
        ctx = TrialContext(self.spec, trial.id, dict(trial.params), trial_dir, self.study_dir,
                           trial.resource, device, stage, restore_dir=restore_dir)
        try:
            process = TrialProcess.start(self.contract, ctx, max_line=self.max_line)
        except Exception as exc:  # one trial that cannot start fails alone, not the study
            if device is not None and self.devices:
                self.devices.release(device)
            self._queue += [
                TrialStarted(trial.id, now),
                TrialFinished(trial.id, now, TrialStatus.FAILED, None, f"cannot start: {exc}"),
            ]
            return
        if process.pidfd is not None:
            self._selector.register(process.pidfd, selectors.EVENT_READ, trial.id)
        reports = ReportFilter([o.metric for o in self.spec.all_objectives],
                               self.spec.primary.metric)
        self._runs[trial.id] = _Run(trial, process, device, reports)
        self._lineage.trial_started(trial.id, process.pid, trial_dir)
        self._queue.append(TrialStarted(trial.id, now))

    def stop(self, trial_id: int, reason: str, status: TrialStatus = TrialStatus.STOPPED) -> None:
        """SIGTERM the trial's process group, SIGKILL after trial.kill_grace.

        A trial that already exited by itself keeps its own outcome.
        """
        run = self._runs.get(trial_id)
        if run is not None:
            run.process.request_stop(status, reason, self.spec.trial.kill_grace,
                                     self.clock.now())

    def poll(self, timeout: float) -> list[ExecutorEvent]:
        deadline = self.clock.now() + max(timeout, 0.0)
        while True:
            events = self._collect()
            if events or not (self._runs or self._draining):
                return events
            now = self.clock.now()
            if now >= deadline:
                return []
            if not self._backlogged():  # output waiting to be read: no sleep
                self._wait(min(self.poll_interval, deadline - now))

    def running(self) -> int:
        return len(self._runs) + len(self._draining)

    def close(self) -> None:
        """Stop every trial (SIGTERM, SIGKILL after the grace period); no event is returned."""
        if self._closed:
            return
        self._closed = True
        now = self.clock.now()
        for run in self._runs.values():
            run.process.request_stop(TrialStatus.CANCELLED, "the study ended",
                                     self.spec.trial.kill_grace, now)
        deadline = time.monotonic() + self.spec.trial.kill_grace
        while time.monotonic() < deadline and not all(
            r.process.exited() for r in self._runs.values()
        ):
            time.sleep(0.02)
        for run in list(self._runs.values()):
            self._release(run)
            run.process.kill()
        self._abandon_draining()
        self._lineage.end_all()  # what detached from its trial's process group
        procgroup.kill_strays(self.study_dir)
        self._selector.close()
        procgroup.release(self)

    def kill_all(self) -> None:
        """SIGKILL every trial at once (the orchestrator is exiting)."""
        for run in list(self._runs.values()):
            self._release(run)
            run.process.kill(close_tracking=False)
        self._abandon_draining()
        self._lineage.end_all()
        procgroup.kill_strays(self.study_dir)

    # -- internals ---------------------------------------------------------------------
    def _collect(self) -> list[ExecutorEvent]:
        events, self._queue = self._queue, []
        now = self.clock.now()
        self._lineage.scan()
        for trial_id in sorted(self._draining):  # exited before this scan
            events += self._drain(self._draining[trial_id], now)
        for trial_id in sorted(self._runs):
            run = self._runs[trial_id]
            events += self._metrics(run, run.process.read(), now)
            run.process.tick(now)
            if run.process.exited():
                self._release(run)
                run.code = run.process.reap()
                self._lineage.end_trial(trial_id)
                self._draining[trial_id] = run
                events += self._drain(run, now)
        events.sort(key=lambda e: (e.time, e.trial_id))  # stable: a trial's order is kept
        return events

    def _metrics(self, run: _Run, readings: list[Reading], now: float) -> list[ExecutorEvent]:
        """What the trial reported, through its filter; a trial over the filter's bound
        is ended."""
        events: list[ExecutorEvent] = [MetricReported(run.trial.id, now, r.name, r.value, r.raw)
                                       for r in run.reports.feed(readings)]
        if run.reports.ended is not None and run.code is None:
            self.stop(run.trial.id, run.reports.ended, TrialStatus.COMPLETED)
        return events

    def _drain(self, run: _Run, now: float) -> list[ExecutorEvent]:
        """One bounded read of an exited trial's output; its TrialFinished after the last."""
        assert run.code is not None
        events = self._metrics(run, run.process.read(final=True), now)
        if run.process.has_more():
            return events
        del self._draining[run.trial.id]
        events += [MetricReported(run.trial.id, now, r.name, r.value, r.raw)
                   for r in run.reports.flush()]
        status, reason = run.process.conclude(run.code, run.reports.ended)
        return [*events, TrialFinished(run.trial.id, now, status, run.code, reason)]

    def _backlogged(self) -> bool:
        """Some channel stopped its last read at its bound: more output is waiting."""
        return any(run.process.has_more()
                   for run in (*self._runs.values(), *self._draining.values()))

    def _abandon_draining(self) -> None:
        """The study is over: exited trials' unread output stays unread."""
        for run in self._draining.values():
            run.process.abandon()
        self._draining.clear()

    def _release(self, run: _Run) -> None:
        """Forget a trial that is ending: its pidfd, its device."""
        self._runs.pop(run.trial.id, None)
        if run.process.pidfd is not None and self._selector.get_map() is not None:
            self._selector.unregister(run.process.pidfd)
        if run.device is not None and self.devices:
            self.devices.release(run.device)
            run.device = None

    def _wait(self, seconds: float) -> None:
        if self._selector.get_map():
            self._selector.select(seconds)
        else:
            time.sleep(seconds)

