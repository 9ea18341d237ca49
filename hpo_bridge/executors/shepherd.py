"""A trial's guard on a cluster node: the trial dies with the process that runs it.

On this machine the orchestrator itself makes sure no trial outlives it (procgroup's
guard, pid files). On a cluster node the trial is run by a Ray worker process, which
can die without a word (its node's raylet stopped, Ray killed it): its trial, in a
session of its own, would run on as an orphan. So the node side starts the trial's
argv under this shepherd, the leader of the trial's session:

    python -m hpo_bridge.executors.shepherd WATCHED_PID -- argv...

It runs argv as its child (same session, group, folder, environment and output) and
waits for whichever comes first:
- the child exits: the shepherd exits the same way (its exit code, or the same
  signal), so the runner reads the trial's own outcome;
- the watched process (the runner) dies: it SIGKILLs the trial's processes that left
  the group (they carry the trial's HPO_BRIDGE_TRIAL_DIR), then the whole group,
  itself included.
SIGTERM, SIGINT and SIGHUP sent to the group reach the child; the shepherd only
outlives them to report the child's end. Standard library only, so it starts fast.
"""

from __future__ import annotations

import contextlib
import os
import resource
import select
import signal
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

from hpo_bridge.executors import procgroup

FALLBACK_POLL = 0.2  # seconds between checks where pidfds are not available


def command(watched_pid: int, argv: list[str]) -> list[str]:
    """The argv that runs `argv` under a shepherd watching `watched_pid`."""
    return [sys.executable, "-m", "hpo_bridge.executors.shepherd", str(watched_pid), "--",
            *argv]


def main(args: list[str]) -> NoReturn:
    if len(args) < 3 or args[1] != "--" or not args[0].isdigit():
        sys.stderr.write("usage: python -m hpo_bridge.executors.shepherd PID -- ARGV...\n")
        os._exit(2)
    watched, argv = int(args[0]), args[2:]
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _ignore)  # a Python handler: the child's exec restores the default
    watched_fd = procgroup.open_pidfd(watched)
    if watched_fd is None and not _alive(watched):
        _end_trial()
    try:
        child = subprocess.Popen(argv)
    except OSError as exc:
        sys.stderr.write(f"cannot run {argv[0]}: {exc}\n")
        os._exit(127)
    child_fd = procgroup.open_pidfd(child.pid)
    while True:
        if child_fd is not None and watched_fd is not None:
            ready, _, _ = select.select([child_fd, watched_fd], [], [])
            if watched_fd in ready and child_fd not in ready:
                _end_trial()
        else:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(FALLBACK_POLL)
            if child.returncode is None and not _alive(watched):
                _end_trial()
        code = child.poll()
        if code is not None:
            _exit_like(code)


def _ignore(_signum: int, _frame: object) -> None:
    pass


def _alive(pid: int) -> bool:
    if os.getppid() != pid:  # reparented: the process that started us is gone
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _end_trial() -> NoReturn:
    trial_dir = os.environ.get(procgroup.TRIAL_DIR_VAR)
    if trial_dir:
        procgroup.kill_trial_strays(Path(trial_dir))
    os.killpg(os.getpgid(0), signal.SIGKILL)
    os._exit(137)  # not reached: the group's SIGKILL ends us too


def _exit_like(code: int) -> NoReturn:
    """Exit with the child's code, or die of the signal that killed it."""
    if code >= 0:
        os._exit(code)
    sig = -code
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # the child's crash, not ours
    with contextlib.suppress(ValueError, OSError):  # SIGKILL and SIGSTOP keep theirs
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)


if __name__ == "__main__":
    main(sys.argv[1:])
