"""Faults of the machine and of the journal file, as one line naming the file and the cause.

SQLite reports a full disk, a read-only file, an I/O error or a damaged file as
`sqlite3.Error`s with terse texts ("database or disk is full"). Every statement the store
runs goes through `GuardedConnection`, which turns them into `StoreError`s whose one line
names `study.db` and what the user can do:

- `StoreUnwritable` (a write failed: disk full, file size limit, read-only file or
  folder, I/O error). Nothing committed before is lost: SQLite's WAL never rewrites
  committed frames, and the failed transaction is rolled back;
- `StoreDamaged` (pages or header do not read as an SQLite database). `survey()` says
  what can still be read, table by table (`hpo-bridge status` shows it);
- any other SQLite error as a `StoreError` with its text.

The cause is said in the machine's terms where it can be found out: the free space on the
file's disk, the process's file size limit (`ulimit -f`), the file's permissions.
"""

from __future__ import annotations

import os
import resource
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_bridge.store.errors import StoreError

_READS = ("SELECT", "PRAGMA", "WITH", "EXPLAIN")
# The journal's tables, in the order a survey reports them.
TABLES = ("meta", "trials", "transitions", "metrics", "decisions", "sessions")


class StoreUnwritable(StoreError):
    """A write to the journal failed (disk full, read-only, I/O error)."""


class StoreDamaged(StoreError):
    """The journal file does not read as an SQLite database (damaged pages or header)."""

    def __init__(self, message: str, path: Path) -> None:
        super().__init__(message)
        self.path = path


# -- classifying ------------------------------------------------------------------------
def _mib(n: int) -> str:
    return f"{n / (1 << 20):,.1f} MiB"


def _room(path: Path) -> tuple[bool, str]:
    """(whether room ran out, the room left for writing `path`): the process's file size
    limit when it was reached, else the free space on the file's disk."""
    limit, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if limit != resource.RLIM_INFINITY:
        sizes = [p.stat().st_size for p in _journal_files(path) if p.exists()]
        if sizes and max(sizes) + (1 << 16) >= limit:
            return True, f"the file size limit (ulimit -f) of {_mib(limit)} was reached"
    try:
        st = os.statvfs(path.parent)
    except OSError:
        return False, "the free space on its disk is unknown"
    free = st.f_bavail * st.f_frsize
    if free < (1 << 20):
        return True, f"its disk is full ({_mib(free)} free)"
    return False, f"{_mib(free)} free on its disk"


def _journal_files(path: Path) -> list[Path]:
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _readonly_cause(path: Path) -> str:
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    for p in _journal_files(path)[1:]:
        if p.exists() and not os.access(p, os.W_OK):
            return f"{p.name} next to it is read-only"
    if not os.access(path.parent, os.W_OK):
        return "its folder is read-only"
    return "the file system is read-only"


def _is_write(sql: str) -> bool:
    return not sql.lstrip()[:8].upper().startswith(_READS)


def translate(exc: sqlite3.Error, path: Path, sql: str = "") -> StoreError:
    """`exc` (raised running `sql` on the journal at `path`) as a one-line StoreError."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    writing = _is_write(sql)
    verb = "cannot write" if writing else "cannot read"
    if writing and (name.startswith("SQLITE_FULL") or name.startswith("SQLITE_IOERR")):
        full, room = _room(path)
        if full:
            return StoreUnwritable(f"{path}: cannot write: {room}")
        what = "no room" if name.startswith("SQLITE_FULL") else f"input/output error ({name})"
        return StoreUnwritable(f"{path}: cannot write: {what}; {room}")
    if name.startswith("SQLITE_READONLY"):
        return StoreUnwritable(f"{path}: cannot write: {_readonly_cause(path)}")
    if name.startswith("SQLITE_IOERR") or name.startswith("SQLITE_FULL"):
        return StoreError(f"{path}: cannot read: input/output error ({name})")
    if name.startswith("SQLITE_CORRUPT"):
        return StoreDamaged(f"{path}: damaged: {exc}", path)
    if name.startswith("SQLITE_NOTADB"):
        return StoreDamaged(f"{path}: damaged: not an SQLite database (its header is"
                            " damaged)", path)
    if name.startswith("SQLITE_CANTOPEN"):
        return StoreError(f"{path}: cannot open: {_readonly_cause(path)} or missing")
    return StoreError(f"{path}: {verb}: {exc}")


# -- the guarded connection ------------------------------------------------------------------
class GuardedCursor(sqlite3.Cursor):
    """A cursor whose SQLite errors are StoreErrors (fetching rows included)."""

    def _fail(self, exc: sqlite3.Error, sql: str = "SELECT") -> StoreError:
        conn = self.connection
        return conn.fault(exc, sql) if isinstance(conn, GuardedConnection) else \
            StoreError(str(exc))

    def execute(self, sql: str, parameters: Any = ()) -> GuardedCursor:
        try:
            super().execute(sql, parameters)
        except sqlite3.Error as exc:
            raise self._fail(exc, sql) from None
        return self

    def executemany(self, sql: str, seq: Iterable[Any]) -> GuardedCursor:
        try:
            super().executemany(sql, seq)
        except sqlite3.Error as exc:
            raise self._fail(exc, sql) from None
        return self

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        try:
            return super().fetchmany(size)
        except sqlite3.Error as exc:
            raise self._fail(exc) from None

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.Error as exc:
            raise self._fail(exc) from None


class GuardedConnection(sqlite3.Connection):
    """The journal's connection: every SQLite error comes out as a one-line StoreError
    naming the file; `failed_write` keeps the first write that failed, whatever the cause
    (the store then rolls back instead of committing on close)."""

    path: Path = Path("study.db")
    failed_write: StoreError | None = None

    def fault(self, exc: sqlite3.Error, sql: str) -> StoreError:
        error = translate(exc, self.path, sql)
        if self.failed_write is None and _is_write(sql):
            self.failed_write = error
        return error

    def execute(self, sql: str, parameters: Any = ()) -> GuardedCursor:  # type: ignore[override]
        return self.cursor(GuardedCursor).execute(sql, parameters)

    def executemany(self, sql: str, seq: Iterable[Any]) -> GuardedCursor:  # type: ignore[override]
        return self.cursor(GuardedCursor).executemany(sql, seq)

    def executescript(self, script: str) -> sqlite3.Cursor:
        try:
            return super().executescript(script)
        except sqlite3.Error as exc:
            raise self.fault(exc, script) from None


def connect(path: Path, **options: Any) -> GuardedConnection:
    """A guarded connection to the journal at `path`."""
    try:
        conn = sqlite3.connect(path, factory=GuardedConnection, **options)
    except sqlite3.Error as exc:
        raise translate(exc, path) from None
    assert isinstance(conn, GuardedConnection)
    conn.path = path
    return conn


# -- what can still be read ------------------------------------------------------------------
@dataclass
class Survey:
    """What of a damaged journal reads: rows per readable table, the error per other."""

    path: Path
    readable: dict[str, int] = field(default_factory=dict)
    damaged: dict[str, str] = field(default_factory=dict)
    study: dict[str, Any] = field(default_factory=dict)  # name, status of a readable meta
    trial_counts: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        if not self.readable:
            return [f"readable: nothing ({next(iter(self.damaged.values()), 'unreadable')})"]
        parts = []
        for table, rows in self.readable.items():
            text = f"{table} ({rows:,} rows)"
            if table == "meta" and self.study:
                text = f"meta (study {self.study.get('name')}, {self.study.get('status')})"
            if table == "trials" and self.trial_counts:
                counts = ", ".join(f"{n} {s}" for s, n in sorted(self.trial_counts.items()))
                text = f"trials ({rows:,}: {counts})"
            parts.append(text)
        out = ["readable: " + "; ".join(parts)]
        if self.damaged:
            out.append("damaged: " + "; ".join(f"{t} ({why})" for t, why in
                                                self.damaged.items()))
        return out


def survey(path: Path) -> Survey:
    """Read each table of the journal at `path` on its own, as far as it reads (read-only:
    a damaged file is never written)."""
    import json

    found = Survey(path)
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        found.damaged["study.db"] = str(exc)
        return found
    try:
        for table in TABLES:
            rows = 0
            try:
                for _ in conn.execute(f"SELECT * FROM {table}"):  # noqa: S608 - fixed names
                    rows += 1
            except sqlite3.Error as exc:
                found.damaged[table] = f"{exc}" + (f" after {rows:,} rows" if rows else "")
                continue
            found.readable[table] = rows
        if "meta" in found.readable:
            meta = dict(conn.execute("SELECT key, value FROM meta WHERE key IN"
                                     " ('name', 'status')").fetchall())
            found.study = {k: json.loads(v) for k, v in meta.items()}
        if "trials" in found.readable:
            found.trial_counts = dict(conn.execute(
                "SELECT status, COUNT(*) FROM trials GROUP BY status").fetchall())
    except sqlite3.Error:
        pass  # what was found so far stands
    finally:
        conn.close()
    return found
