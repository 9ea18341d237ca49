"""The process executor: each trial a subprocess under its contract, metrics read as they arrive.

Every trial runs `argv` (never a shell) in its own session and folder,
`<study-dir>/trials/<id>/`, with stdout and stderr in `stdout.log` and
`stderr.log` there. `poll` reads each metric channel from where it stopped
and sleeps between scans on the trials' pidfds, so an exit wakes it at once.

Events:
- TrialStarted when `start` ran (a trial that cannot start gets TrialStarted
  then TrialFinished FAILED "cannot start: ...");
- MetricReported per value read, in order; a value that is not a finite
  number arrives as nan with its text in `raw`: the tuner fails the trial;
- TrialFinished after the last metric: COMPLETED on exit 0, FAILED with
  "exit code N: <the last non-empty line of its stderr>" (why it failed,
  e.g. Python's "can't open file", cut to 160 characters) or
  "killed by signal SIGKILL", or the status and reason given
  to `stop()` (unless the trial had already exited by itself then).
  `exit_code` is the process's return code (negative: the signal number).

Checkpoints: before a restored trial (`Trial.restore`) starts, the checkpoint folder
of its source - another trial's folder (population-based training), or the earlier
attempt's folder kept aside (an interrupted trial run again) - is copied where the
contract puts a checkpoint to resume from (contracts/base.py). A source that saved
nothing (no checkpoint folder, or an empty one) cannot be resumed: the trial starts
from scratch and a RestoreCorrected (start 0) saying why comes before its
TrialStarted; so does a re-run under a contract that resumes re-runs only when asked
(`trial.resume_from_checkpoint`, Azure). Sources are finished trials, so a copy
never races the source's writes.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge.contracts.base import Launch, TrialContext, TrialContract, check_script
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
from hpo_bridge.executors.devices import DevicePool
from hpo_bridge.executors.lineage import Lineage
from hpo_bridge.executors.wallclock import MonotonicClock
from hpo_bridge.metrics.base import MetricSource
from hpo_bridge.metrics.lines import MAX_LINE
from hpo_bridge.metrics.log_source import LogSource
from hpo_bridge.store.layout import STDERR, STDOUT, TRIALS_DIR

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

LAUNCH_FILE = "launch.json"
POLL_INTERVAL = 0.05  # seconds between metric scans while nothing exits
TAIL_BYTES = 4096  # of stderr read for a failed trial's reason (never the whole log)
TAIL_CHARS = 160  # of its last line kept in the reason


@dataclass
class _Run:
    trial: Trial
    proc: subprocess.Popen[bytes]
    trial_dir: Path
    sources: list[MetricSource]
    launch: Launch
    device: str | None
    pidfd: int | None
    requested: tuple[TrialStatus, str] | None = None
    kill_at: float | None = None


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
        """`contract` is the trial contract the spec names (`trial.contract`), built by the
        caller. Raises ContractError (one line per problem) when the spec cannot run locally."""
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
        trial_dir, earlier = self._fresh_dir(trial.id)
        restore_dir, scratch = self._restore(trial, trial_dir, earlier)
        if scratch is not None:
            self._queue.append(RestoreCorrected(trial.id, now, 0, scratch))
        device = self.devices.acquire() if self.devices else None
        ctx = TrialContext(self.spec, trial.id, dict(trial.params), trial_dir, self.study_dir,
                           trial.resource, device, stage, restore_dir=restore_dir)
        try:
            launch = self.contract.launch(ctx)
            env = self._environment(ctx, launch)
            _write_launch(trial_dir, launch)
            proc = procgroup.spawn(launch.argv, trial_dir, env, trial_dir / STDOUT,
                                   trial_dir / STDERR)
        except Exception as exc:  # one trial that cannot start fails alone, not the study
            if device is not None and self.devices:
                self.devices.release(device)
            self._queue += [
                TrialStarted(trial.id, now),
                TrialFinished(trial.id, now, TrialStatus.FAILED, None, f"cannot start: {exc}"),
            ]
            return
        procgroup.write_pid_file(trial_dir, proc.pid)
        parsers = launch.line_parsers
        sources: list[MetricSource] = [
            LogSource(trial_dir / STDOUT, parsers, self.max_line),
            LogSource(trial_dir / STDERR, parsers, self.max_line),
            *launch.sources,
        ]
        pidfd = procgroup.open_pidfd(proc.pid)
        if pidfd is not None:
            self._selector.register(pidfd, selectors.EVENT_READ, trial.id)
        self._runs[trial.id] = _Run(trial, proc, trial_dir, sources, launch, device, pidfd)
        self._lineage.trial_started(trial.id, proc.pid, trial_dir)
        self._queue.append(TrialStarted(trial.id, now))

    def stop(self, trial_id: int, reason: str, status: TrialStatus = TrialStatus.STOPPED) -> None:
        """SIGTERM the trial's process group, SIGKILL after trial.kill_grace.

        A trial that already exited by itself keeps its own outcome.
        """
        run = self._runs.get(trial_id)
        if run is None or run.requested is not None or procgroup.exited(run.proc.pid):
            return
        run.requested = (status, reason)
        procgroup.signal_group(run.proc.pid, signal.SIGTERM)
        run.kill_at = self.clock.now() + self.spec.trial.kill_grace

    def poll(self, timeout: float) -> list[ExecutorEvent]:
        deadline = self.clock.now() + max(timeout, 0.0)
        while True:
            events = self._collect()
            if events or not self._runs:
                return events
            now = self.clock.now()
            if now >= deadline:
                return []
            self._wait(min(self.poll_interval, deadline - now))

    def running(self) -> int:
        return len(self._runs)

    def close(self) -> None:
        """Stop every trial (SIGTERM, SIGKILL after the grace period); no event is returned."""
        if self._closed:
            return
        self._closed = True
        for run in self._runs.values():
            if run.requested is None:
                run.requested = (TrialStatus.CANCELLED, "the study ended")
                procgroup.signal_group(run.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.spec.trial.kill_grace
        while time.monotonic() < deadline and not all(
            procgroup.exited(r.proc.pid) for r in self._runs.values()
        ):
            time.sleep(0.02)
        for run in list(self._runs.values()):
            self._end(run)
            self._close_sources(run)
            if run.launch.on_finish is not None and run.requested is not None:
                with contextlib.suppress(Exception):
                    run.launch.on_finish(run.requested[0])
        self._lineage.end_all()  # what detached from its trial's process group
        procgroup.kill_strays(self.study_dir)
        self._selector.close()
        procgroup.release(self)

    def kill_all(self) -> None:
        """SIGKILL every trial at once (the orchestrator is exiting)."""
        for run in list(self._runs.values()):
            procgroup.signal_group(run.proc.pid, signal.SIGKILL)
            self._end(run)
            self._close_sources(run)
        self._lineage.end_all()
        procgroup.kill_strays(self.study_dir)

    # -- internals ---------------------------------------------------------------------
    def _collect(self) -> list[ExecutorEvent]:
        events, self._queue = self._queue, []
        now = self.clock.now()
        self._lineage.scan()
        for trial_id in sorted(self._runs):
            run = self._runs[trial_id]
            events += self._metrics(run, now, final=False)
            if run.kill_at is not None and now >= run.kill_at:
                procgroup.signal_group(run.proc.pid, signal.SIGKILL)
                run.kill_at = None
            if procgroup.exited(run.proc.pid):
                events += self._finish(run, now)
        events.sort(key=lambda e: (e.time, e.trial_id))  # stable: a trial's order is kept
        return events

    def _metrics(self, run: _Run, now: float, final: bool) -> list[ExecutorEvent]:
        events: list[ExecutorEvent] = []
        for source in run.sources:
            for r in source.read(final):
                events.append(MetricReported(run.trial.id, now, r.name, r.value, r.raw))
        return events

    def _finish(self, run: _Run, now: float) -> list[ExecutorEvent]:
        code = self._end(run)
        events = self._metrics(run, now, final=True)
        if run.requested is not None:
            status, reason = run.requested
        elif code == 0:
            status, reason = TrialStatus.COMPLETED, None
        elif code < 0:
            status, reason = TrialStatus.FAILED, f"killed by signal {_signal_name(-code)}"
        else:
            status, reason = TrialStatus.FAILED, f"exit code {code}"
            last = _last_line(run.trial_dir / STDERR)
            if last:
                reason += f": {last}"
        if run.launch.on_finish is not None:
            try:
                run.launch.on_finish(status)
            except Exception as exc:  # bookkeeping of a finished trial must not stop the study
                reason = f"{reason}; " if reason else ""
                reason += f"could not close its tracking run: {exc}"
        events.append(TrialFinished(run.trial.id, now, status, code, reason))
        return events

    def _end(self, run: _Run) -> int:
        """Kill what is left of the group and what the trial detached, reap the leader, free
        its device; the exit code."""
        procgroup.signal_group(run.proc.pid, signal.SIGKILL)  # before reaping: see procgroup
        self._lineage.end_trial(run.trial.id)
        code = run.proc.wait()
        if run.pidfd is not None:
            self._selector.unregister(run.pidfd)
            os.close(run.pidfd)
            run.pidfd = None
        if run.device is not None and self.devices:
            self.devices.release(run.device)
            run.device = None
        procgroup.remove_pid_file(run.trial_dir)
        self._runs.pop(run.trial.id, None)
        return code

    @staticmethod
    def _close_sources(run: _Run) -> None:
        """Release the descriptors of a trial whose last metrics will not be read."""
        for source in run.sources:
            closer = getattr(source, "close", None)
            if closer is not None:
                closer()

    def _wait(self, seconds: float) -> None:
        if self._selector.get_map():
            self._selector.select(seconds)
        else:
            time.sleep(seconds)

    def _fresh_dir(self, trial_id: int) -> tuple[Path, Path | None]:
        """The trial's folder, empty, and where an earlier attempt's folder (a resumed
        study) was kept aside, if there was one."""
        trials = self.study_dir / TRIALS_DIR
        path = trials / str(trial_id)
        earlier = None
        if path.exists():
            attempt = 1
            while (trials / f"{trial_id}.attempt-{attempt}").exists():
                attempt += 1
            earlier = trials / f"{trial_id}.attempt-{attempt}"
            path.rename(earlier)
        path.mkdir(parents=True)
        return path, earlier

    def _restore(self, trial: Trial, trial_dir: Path, earlier: Path | None
                 ) -> tuple[Path | None, str | None]:
        """Copy the checkpoint the trial resumes from: (where it is, None), or (None, why
        the trial starts from scratch). See the module notes."""
        restore = trial.restore
        if restore is None or restore.start == 0:
            return None, None
        folder = self.contract.checkpoint_folder
        if restore.source == trial.id:
            whose, source_dir = "its interrupted attempt", earlier
            if not self._resumes_reruns():
                return None, (f"contract {self.contract.name} resumes an interrupted trial"
                              " only with trial.resume_from_checkpoint: true (its script must"
                              " accept the checkpoint): started from scratch")
        else:
            whose, source_dir = f"trial {restore.source}", self.study_dir / TRIALS_DIR / str(
                restore.source)
        source = self.contract.checkpoint_dir(source_dir) if source_dir is not None else None
        if source is None or not source.is_dir() or not any(source.iterdir()):
            return None, (f"{whose} saved no checkpoint (its {folder}/ folder is empty):"
                          " started from scratch")
        target = self.contract.restore_target(trial_dir)
        try:
            shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
        except (OSError, shutil.Error) as exc:
            shutil.rmtree(target, ignore_errors=True)
            return None, f"cannot copy the checkpoint of {whose}: {exc}; started from scratch"
        return target, None

    def _resumes_reruns(self) -> bool:
        asked = getattr(self.spec.trial, "resume_from_checkpoint", None)
        if asked is not None:
            return bool(asked)
        return self.contract.resumes_reruns or self.spec.strategy.algorithm == "pbt"

    def _environment(self, ctx: TrialContext, launch: Launch) -> dict[str, str]:
        env = dict(os.environ)
        code = str(self.spec.code_dir)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (code, env.get("PYTHONPATH")) if p)
        env["PYTHONUNBUFFERED"] = "1"  # metrics must arrive as printed, not at exit
        env["HPO_BRIDGE_TRIAL_ID"] = str(ctx.trial_id)
        env[procgroup.TRIAL_DIR_VAR] = str(ctx.trial_dir)  # also how strays are found
        env.update(self.spec.trial.env)
        env.update(launch.env)  # the contract's channels must point where they are read
        if ctx.device is not None:
            env["CUDA_VISIBLE_DEVICES"] = ctx.device
        return env


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def _last_line(path: Path) -> str:
    """The last non-empty line of a log, read from its end: a failed trial's last words."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(size - TAIL_BYTES, 0))
            tail = fh.read(TAIL_BYTES)
    except OSError:
        return ""
    lines = [line.strip() for line in tail.decode("utf-8", "replace").splitlines()]
    last = next((line for line in reversed(lines) if line), "")
    return last if len(last) <= TAIL_CHARS else last[: TAIL_CHARS - 3] + "..."


def _write_launch(trial_dir: Path, launch: Launch) -> None:
    """What ran, for `logs` and for reproducing a trial by hand."""
    data: dict[str, Any] = {"argv": launch.argv, "env": launch.env}
    (trial_dir / LAUNCH_FILE).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
