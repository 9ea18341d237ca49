"""One trial's process group: launched under its contract, read, stopped, finished.

Shared by every executor that runs trial processes: the process executor on this
machine, and the Ray executor's runner on a cluster node. A `TrialProcess` is the
contract's `Launch` running in the trial's folder, in its own session (so one
`killpg` reaches its children), with stdout and stderr in `stdout.log` and
`stderr.log` there, and its metric channels read from where they stopped.

How a trial ends (`conclude`, once it is reaped and its output read):
- COMPLETED on exit 0;
- FAILED with "exit code N: <the last non-empty line of its stderr>" (why it failed,
  e.g. Python's "can't open file", cut to 160 characters) or "killed by signal SIGKILL";
- or the status and reason given to `request_stop()`, unless the trial had already
  exited by itself then.
`exit_code` is the process's return code (negative: the signal number).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge.contracts.base import Launch, TrialContext, TrialContract
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.executors import procgroup
from hpo_bridge.metrics.base import MetricSource, Reading, has_more
from hpo_bridge.metrics.lines import MAX_LINE
from hpo_bridge.metrics.log_source import LogSource
from hpo_bridge.store.layout import STDERR, STDOUT

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

LAUNCH_FILE = "launch.json"
TAIL_BYTES = 4096  # of stderr read for a failed trial's reason (never the whole log)
TAIL_CHARS = 160  # of its last line kept in the reason


def trial_environment(spec: TuningSpec, ctx: TrialContext, launch: Launch,
                      base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The trial's environment: `base` (this process's), the code folder on PYTHONPATH,
    unbuffered output, the trial's id and folder, trial.env, then the contract's variables
    (its channels must point where they are read), then the trial's device."""
    env = dict(os.environ if base is None else base)
    code = str(spec.code_dir)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (code, env.get("PYTHONPATH")) if p)
    env["PYTHONUNBUFFERED"] = "1"  # metrics must arrive as printed, not at exit
    env["HPO_BRIDGE_TRIAL_ID"] = str(ctx.trial_id)
    env[procgroup.TRIAL_DIR_VAR] = str(ctx.trial_dir)  # also how strays are found
    env.update(spec.trial.env)
    env.update(launch.env)
    if ctx.device is not None:
        env["CUDA_VISIBLE_DEVICES"] = ctx.device
    return env


class TrialProcess:
    """A started trial: its process group, its metric sources, its stop request."""

    def __init__(self, ctx: TrialContext, launch: Launch, proc: subprocess.Popen[bytes],
                 max_line: int = MAX_LINE) -> None:
        self.ctx = ctx
        self.launch = launch
        self.proc = proc
        self.trial_dir = ctx.trial_dir
        parsers = launch.line_parsers
        self.sources: list[MetricSource] = [
            LogSource(self.trial_dir / STDOUT, parsers, max_line),
            LogSource(self.trial_dir / STDERR, parsers, max_line),
            *launch.sources,
        ]
        self.pidfd = procgroup.open_pidfd(proc.pid)
        self.requested: tuple[TrialStatus, str] | None = None
        self.kill_at: float | None = None
        self.ended = False

    @classmethod
    def start(cls, contract: TrialContract, ctx: TrialContext, *,
              base_env: Mapping[str, str] | None = None, wrapper: Sequence[str] = (),
              max_line: int = MAX_LINE) -> TrialProcess:
        """Build the launch (the contract writes the trial's files) and start it; `wrapper`
        is put before its argv (the node-side shepherd). Raises what stopped it starting."""
        launch = contract.launch(ctx)
        env = trial_environment(ctx.spec, ctx, launch, base_env)
        write_launch(ctx.trial_dir, launch)
        proc = procgroup.spawn([*wrapper, *launch.argv], ctx.trial_dir, env,
                               ctx.trial_dir / STDOUT, ctx.trial_dir / STDERR)
        procgroup.write_pid_file(ctx.trial_dir, proc.pid)
        return cls(ctx, launch, proc, max_line)

    @property
    def pid(self) -> int:
        """The leader's pid, which is also the group's and the session's id."""
        return self.proc.pid

    def read(self, final: bool = False) -> list[Reading]:
        """Metric readings that appeared since the last call, source by source."""
        readings: list[Reading] = []
        for source in self.sources:
            readings += source.read(final)
        return readings

    def exited(self) -> bool:
        return self.ended or procgroup.exited(self.proc.pid)

    def request_stop(self, status: TrialStatus, reason: str, grace: float, now: float) -> bool:
        """SIGTERM the group; `tick` sends SIGKILL once `grace` seconds have passed. False
        when a stop was requested already or the trial has exited (it keeps its outcome)."""
        if self.requested is not None or self.exited():
            return False
        self.requested = (status, reason)
        procgroup.signal_group(self.proc.pid, signal.SIGTERM)
        self.kill_at = now + grace
        return True

    def tick(self, now: float) -> None:
        """SIGKILL a group whose grace period is over."""
        if self.kill_at is not None and now >= self.kill_at:
            procgroup.signal_group(self.proc.pid, signal.SIGKILL)
            self.kill_at = None

    def has_more(self) -> bool:
        """Some channel stopped its last read at its bound: more output is waiting."""
        return any(has_more(source) for source in self.sources)

    def conclude(self, code: int, ended: str | None = None) -> tuple[TrialStatus, str | None]:
        """How the reaped trial ended (`ended`: why its reports were cut short, when it
        exited by itself with 0), after closing the contract's bookkeeping."""
        reason: str | None
        if self.requested is not None:
            status, reason = self.requested
        elif code == 0:
            status, reason = TrialStatus.COMPLETED, ended
        elif code < 0:
            status, reason = TrialStatus.FAILED, f"killed by signal {signal_name(-code)}"
        else:
            status, reason = TrialStatus.FAILED, f"exit code {code}"
            last = last_line(self.trial_dir / STDERR)
            if last:
                reason += f": {last}"
        if self.launch.on_finish is not None:
            try:
                self.launch.on_finish(status)
            except Exception as exc:  # bookkeeping of a finished trial must not stop the study
                reason = f"{reason}; " if reason else ""
                reason += f"could not close its tracking run: {exc}"
        return status, reason

    def abandon(self) -> None:
        """The study is over before this reaped trial's output was all read: it stays
        unread, and the contract's bookkeeping is closed as cancelled."""
        self.close_sources()
        if self.launch.on_finish is not None:
            with contextlib.suppress(Exception):
                self.launch.on_finish(TrialStatus.CANCELLED)

    def kill(self, *, close_tracking: bool = True) -> None:
        """SIGKILL the group now and reap it; its last metrics are not read. With
        `close_tracking`, the contract's bookkeeping (an MLflow run) is closed as cancelled,
        or with the status a stop asked for."""
        if self.requested is None:
            self.requested = (TrialStatus.CANCELLED, "the study ended")
        procgroup.signal_group(self.proc.pid, signal.SIGKILL)
        self.reap()
        self.close_sources()
        if close_tracking and self.launch.on_finish is not None:
            with contextlib.suppress(Exception):
                self.launch.on_finish(self.requested[0])

    def close_sources(self) -> None:
        """Release the descriptors of a trial whose last metrics will not be read."""
        for source in self.sources:
            closer = getattr(source, "close", None)
            if closer is not None:
                closer()

    def reap(self) -> int:
        """Kill what is left of the group, reap the leader; its exit code."""
        if self.ended:
            return self.proc.returncode
        procgroup.signal_group(self.proc.pid, signal.SIGKILL)  # before reaping: see procgroup
        code = self.proc.wait()
        if self.pidfd is not None:
            os.close(self.pidfd)
            self.pidfd = None
        procgroup.remove_pid_file(self.trial_dir)
        self.ended = True
        return code


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return str(number)


def last_line(path: Path) -> str:
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


def write_launch(trial_dir: Path, launch: Launch) -> None:
    """What ran, for `logs` and for reproducing a trial by hand."""
    data: dict[str, Any] = {"argv": launch.argv, "env": launch.env}
    (trial_dir / LAUNCH_FILE).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
