"""Trial processes as process groups: start, signal, detect exit, and leave nothing behind.

Each trial starts in a new session (`start_new_session`), so its process group
id is its pid and one `killpg` reaches its children and grandchildren. When
the leader exits, the executor kills what is left of the group *before*
reaping the leader: an unreaped leader keeps its pid (and so the group id)
from being reused, so the signal cannot hit a stranger. A process that calls
setsid() itself leaves the group, out of reach of the group's signals; it
still carries its trial's HPO_BRIDGE_TRIAL_DIR, so `kill_strays(study_dir)`
finds it when the study ends (or resumes).

`guard()` makes sure nothing outlives the orchestrator on a normal exit,
Ctrl-C, SIGTERM or SIGHUP; after a SIGKILL of the orchestrator, the `pid`
files left in trial folders let `kill_leftovers(study_dir)` finish the job.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import subprocess
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

PID_FILE = "pid"
TRIAL_DIR_VAR = "HPO_BRIDGE_TRIAL_DIR"  # set by the executor in every trial's environment


def spawn(
    argv: Sequence[str], cwd: Path, env: Mapping[str, str], stdout: Path, stderr: Path
) -> subprocess.Popen[bytes]:
    """Start `argv` (no shell) in its own session, output appended to two files; the
    leader is a child subreaper (see lineage.py), so nothing it starts leaves its tree."""
    from hpo_bridge.executors.lineage import subreaper_preexec

    with open(stdout, "ab") as out, open(stderr, "ab") as err:
        return subprocess.Popen(
            list(argv), cwd=cwd, env=dict(env), stdin=subprocess.DEVNULL, stdout=out,
            stderr=err, start_new_session=True, close_fds=True,
            preexec_fn=subreaper_preexec,  # noqa: PLW1509 - one C call, no Python locks
        )


def exited(pid: int) -> bool:
    """Whether our child `pid` has exited, without reaping it (it stays a zombie)."""
    try:
        return os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True  # already reaped


def signal_group(pgid: int, sig: int) -> bool:
    """Send `sig` to every process of the group; False when none is left."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def open_pidfd(pid: int) -> int | None:
    """A descriptor that becomes readable when `pid` exits (Linux 5.3+), to wake a poll."""
    opener = getattr(os, "pidfd_open", None)
    if opener is None:
        return None
    try:
        return opener(pid)
    except OSError:
        return None


# -- pid files: finishing the job after the orchestrator was SIGKILLed ----------------------
def _proc_stat(pid: int) -> tuple[int, int] | None:
    """(session id, start time in clock ticks since boot) of `pid`, from /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # fields[0] is stat's field 3
    return int(fields[3]), int(fields[19])  # fields 6 (session) and 22 (starttime)


def write_pid_file(trial_dir: Path, pid: int) -> None:
    info = _proc_stat(pid)
    data = {"pid": pid, "start_ticks": info[1] if info else None}
    (trial_dir / PID_FILE).write_text(json.dumps(data), encoding="utf-8")


def remove_pid_file(trial_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (trial_dir / PID_FILE).unlink()


def kill_leftovers(study_dir: Path) -> list[int]:
    """SIGKILL the processes of trials a killed orchestrator left running; their pids.

    A trial's processes are those of its session (the leader's pid) that
    started no earlier than the leader, so a pid reused since is left alone.
    """
    killed: list[int] = []
    for pid_file in sorted(Path(study_dir).glob(f"trials/*/{PID_FILE}")):
        try:
            data = json.loads(pid_file.read_text(encoding="utf-8"))
            session, started = int(data["pid"]), data.get("start_ticks")
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for pid in _session_members(session, started):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
        pid_file.unlink(missing_ok=True)
    return killed + [pid for pid in kill_strays(study_dir) if pid not in killed]


def kill_strays(study_dir: Path) -> list[int]:
    """SIGKILL our processes whose environment places them in a trial of `study_dir`
    (what left its trial's session); their pids. Call it when no trial should run."""
    prefix = f"{TRIAL_DIR_VAR}={Path(study_dir).resolve() / 'trials'}/".encode()
    return _kill_matching(lambda var: var.startswith(prefix))


def kill_trial_strays(trial_dir: Path) -> list[int]:
    """SIGKILL our processes whose environment places them in the trial `trial_dir`
    (the node side ends one trial's strays, not its neighbours'); their pids."""
    exact = f"{TRIAL_DIR_VAR}={Path(trial_dir).resolve()}".encode()
    return _kill_matching(lambda var: var == exact)


def _kill_matching(match: Callable[[bytes], bool]) -> list[int]:
    killed: list[int] = []
    if not os.path.isdir("/proc"):  # not Linux: only process groups reach trials there
        return killed
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as fh:
                environ = fh.read()
        except OSError:  # gone, or not ours
            continue
        if any(match(var) for var in environ.split(b"\0")):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
    return killed


def _session_members(session: int, started: int | None) -> list[int]:
    if started is None:
        return []
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        info = _proc_stat(int(entry.name))
        if info is not None and info[0] == session and info[1] >= started:
            members.append(int(entry.name))
    return members


# -- nothing outlives the orchestrator ---------------------------------------------------
class Killable(Protocol):
    def kill_all(self) -> None: ...


_live: weakref.WeakSet[Killable] = weakref.WeakSet()
_installed = False


def guard(owner: Killable) -> None:
    """Kill `owner`'s processes when the orchestrator exits, is interrupted or terminated."""
    global _installed
    _live.add(owner)
    if _installed:
        return
    _installed = True
    atexit.register(_kill_everything)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            # Only where nobody chose a handler: the default would skip atexit.
            if signal.getsignal(sig) is signal.SIG_DFL:
                signal.signal(sig, _exit_on_signal)


def release(owner: Killable) -> None:
    _live.discard(owner)


def _kill_everything() -> None:
    for owner in list(_live):
        with contextlib.suppress(Exception):
            owner.kill_all()


def _exit_on_signal(signum: int, _frame: object) -> None:
    # SystemExit unwinds `finally` blocks and runs atexit handlers, which kill the trials.
    raise SystemExit(128 + signum)
