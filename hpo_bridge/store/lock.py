"""One orchestrator per study: an exclusive lock held for the orchestrator's whole life.

`flock` on `<study>/orchestrator.lock`: the kernel releases it when its holder exits,
however it exits (SIGKILL included), so "the lock is free" proves no orchestrator runs —
only then may `resume` kill what a dead orchestrator's trials left behind. The lock's file
descriptor is close-on-exec: a trial never inherits it, so an orphaned trial cannot keep
a study locked. The holder writes its pid into the file, for the message a second
orchestrator gets.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from hpo_bridge.store.sqlite import StoreError

LOCK_FILE = "orchestrator.lock"


class StudyLocked(StoreError):
    """Another orchestrator holds the study."""

    def __init__(self, directory: Path, pid: int | None) -> None:
        who = f"orchestrator pid {pid}" if pid else "another orchestrator"
        super().__init__(f"{directory}: the study is running ({who}); wait for it to end or"
                         " stop it first")
        self.pid = pid


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        os.lseek(fd, 0, os.SEEK_SET)
        return int(os.read(fd, 32).decode().strip() or 0) or None
    return None


class StudyLock:
    """`with StudyLock(dir):` or `acquire()` / `release()`; StudyLocked when held."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.path = self.directory / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> StudyLock:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise StoreError(f"{self.directory}: cannot lock the study: {exc.strerror or exc}"
                             ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            for _ in range(50):  # the holder writes its pid right after taking the lock
                if pid:
                    break
                time.sleep(0.01)
                pid = _read_pid(fd)
            os.close(fd)
            raise StudyLocked(self.directory, pid) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # releases the lock; the file stays (no unlink race)
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> StudyLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def lock_holder(directory: str | Path) -> int | None:
    """The pid of the orchestrator holding the study's lock (0 if unknown), None if free."""
    path = Path(directory) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _read_pid(fd) or 0
    finally:
        os.close(fd)  # also releases the shared lock taken to test it
    return None
