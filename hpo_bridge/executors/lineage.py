"""What a trial started, however it detached: found, remembered and ended with the trial.

A trial's process group reaches what stays in it; a process that calls setsid(), or a
daemon that double-forks with an empty environment, leaves the group and hides from
HPO_BRIDGE_TRIAL_DIR. Three things close that gap (Linux):

- the orchestrator is a *child subreaper* (`prctl(PR_SET_CHILD_SUBREAPER)`): what a trial
  orphans is re-parented to it, not to init, so it stays in reach and is reaped here;
- every trial leader is made a subreaper too (before its exec), so while it lives, even a
  double-forked daemon keeps it as an ancestor;
- `Lineage.scan()` walks /proc now and then and remembers, per trial, every process whose
  ancestry leads to the trial's leader, with its start time (so a reused pid is never
  mistaken for it). When the trial ends, `end_trial()` kills what is left of them and reaps
  those that became our children. A process orphaned in the instant between two scans is
  caught by where it runs: its working folder is still the trial's. (Time alone cannot
  tell it from a child another thread of this process started meanwhile.)

Elsewhere (no /proc, no prctl) this degrades to the process group and the environment
sweep of procgroup.py.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import threading
import time
from dataclasses import dataclass, field

PR_SET_CHILD_SUBREAPER = 36
PR_GET_CHILD_SUBREAPER = 37
SCAN_EVERY = 0.1  # seconds between /proc walks while trials run
REAP_WAIT = 1.0  # seconds to wait for a killed process to become reapable


def _libc_prctl() -> object | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _libc_prctl()  # resolved in the parent: the child's pre-exec hook only calls it


# How many Lineages of this process hold it a subreaper, and whether it was one before the
# first: the flag is returned to what it was once the last ends (a process that hosts
# studies, an emulator or a test session, must not keep adopting unrelated orphans it
# will never reap).
_holders = 0
_was_subreaper = False
_holders_lock = threading.Lock()


def become_subreaper() -> bool:
    """Make this process a child subreaper; False where the system has no such thing.
    Each True is paired with one `leave_subreaper()`."""
    global _holders, _was_subreaper
    if _PRCTL is None or not os.path.isdir("/proc"):
        return False
    with _holders_lock:
        if _holders == 0:
            flag = ctypes.c_int(0)
            _PRCTL(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0)  # type: ignore[operator]
            _was_subreaper = bool(flag.value)
            if _PRCTL(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:  # type: ignore[operator]
                return False
        _holders += 1
    return True


def leave_subreaper() -> None:
    """One holder is done; the last one restores the flag as it was before the first."""
    global _holders
    with _holders_lock:
        _holders = max(_holders - 1, 0)
        if _holders == 0 and not _was_subreaper and _PRCTL is not None:
            _PRCTL(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0)  # type: ignore[operator]


def subreaper_preexec() -> None:
    """Run in a trial's leader between fork and exec (preserved across exec)."""
    if _PRCTL is not None:
        _PRCTL(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # type: ignore[operator]


@dataclass(frozen=True)
class ProcInfo:
    pid: int
    ppid: int
    state: str
    start: int  # clock ticks since boot: (pid, start) names one process for good


def read_processes() -> dict[int, ProcInfo]:
    """Every process of the machine (that we can see), from /proc/<pid>/stat."""
    table: dict[int, ProcInfo] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:
        return table
    for name in entries:
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                raw = fh.read().decode(errors="replace")
        except OSError:
            continue  # gone meanwhile
        fields = raw.rsplit(")", 1)[-1].split()
        if len(fields) < 20:
            continue
        table[int(name)] = ProcInfo(int(name), int(fields[1]), fields[0], int(fields[19]))
    return table


@dataclass
class _TrialLine:
    leader: int
    folder: str  # the trial's working folder (resolved)
    members: dict[int, int] = field(default_factory=dict)  # pid -> start ticks


class Lineage:
    """Per trial, the processes it started (see the module docstring)."""

    def __init__(self) -> None:
        self.me = os.getpid()
        self.enabled = become_subreaper()
        self._lines: dict[int, _TrialLine] = {}
        self._own: set[tuple[int, int]] = set()  # (pid, start) seen as our child from birth
        self._last_scan = 0.0
        if self.enabled:
            self._own = {(p.pid, p.start) for p in read_processes().values()
                         if p.ppid == self.me}

    def trial_started(self, trial_id: int, leader: int, folder: str | os.PathLike[str]) -> None:
        if not self.enabled:
            return
        self._lines[trial_id] = _TrialLine(leader, os.path.realpath(folder))

    def scan(self, force: bool = False) -> dict[int, ProcInfo]:
        """Remember the current descendants of every running trial (throttled)."""
        if not self.enabled or not self._lines:
            return {}
        now = time.monotonic()
        if not force and now - self._last_scan < SCAN_EVERY:
            return {}
        self._last_scan = now
        table = read_processes()
        children: dict[int, list[int]] = {}
        for info in table.values():
            children.setdefault(info.ppid, []).append(info.pid)
        leaders = {line.leader for line in self._lines.values()}
        for line in self._lines.values():
            stack = list(children.get(line.leader, []))
            while stack:
                pid = stack.pop()
                if pid in leaders or pid not in table:
                    continue
                line.members.setdefault(pid, table[pid].start)
                stack.extend(children.get(pid, []))
        for info in table.values():
            key = (info.pid, info.start)
            if info.ppid == self.me and info.pid not in leaders and key not in self._own \
                    and not self._claimed(info):
                self._orphan_seen(info)
        return table

    def _claimed(self, info: ProcInfo) -> bool:
        return any(line.members.get(info.pid) == info.start for line in self._lines.values())

    def _orphan_seen(self, info: ProcInfo) -> None:
        """A process of ours we did not see born, maybe a trial's orphan (re-parented to
        us): it belongs to the trial whose folder it works in."""
        try:
            cwd = os.readlink(f"/proc/{info.pid}/cwd")
        except OSError:
            return
        for line in self._lines.values():
            if cwd == line.folder or cwd.startswith(line.folder + os.sep):
                line.members[info.pid] = info.start
                return

    def end_trial(self, trial_id: int) -> list[int]:
        """Kill what the trial left running and reap those re-parented to us; their pids."""
        if not self.enabled:
            return []
        self.scan(force=True)
        line = self._lines.pop(trial_id, None)
        if line is None:
            return []
        return self._end(line.members)

    def end_all(self) -> list[int]:
        """Every trial's processes (the study ends); then this process stops adopting
        orphans for this Lineage (see `leave_subreaper`)."""
        if not self.enabled:
            return []
        self.scan(force=True)
        members: dict[int, int] = {}
        for line in self._lines.values():
            members.update(line.members)
        self._lines.clear()
        ended = self._end(members)
        self.enabled = False
        leave_subreaper()
        return ended

    def _end(self, members: dict[int, int]) -> list[int]:
        table = read_processes()
        victims = [pid for pid, start in members.items()
                   if pid in table and table[pid].start == start and pid != self.me]
        for pid in victims:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        self._reap(victims)
        return victims

    def _reap(self, pids: list[int]) -> None:
        """Collect the exit status of killed processes that became our children (never a
        trial leader's: the executor reaps those through their Popen)."""
        pending = set(pids)
        deadline = time.monotonic() + REAP_WAIT
        while pending and time.monotonic() < deadline:
            for pid in list(pending):
                try:
                    done, _ = os.waitpid(pid, os.WNOHANG)
                except ChildProcessError:  # not our child: init (or its parent) reaps it
                    pending.discard(pid)
                    continue
                if done:
                    pending.discard(pid)
            if pending:
                time.sleep(0.01)
