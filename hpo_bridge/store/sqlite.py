"""The study journal: one SQLite file (`study.db`, WAL mode) in the study directory.

It keeps the spec, every trial (params, status transitions with reasons, exit
codes), every metric event, every stopping decision, the searcher's state, the
study's status and free key/value meta (native backends keep their job handle
there). A trial that continues a checkpoint (population-based training, or an
interrupted attempt run again) has a row in `restores` per attempt: its source,
the intervals the checkpoint holds (`start`, as corrected by RestoreCorrected)
and the values it inherited, so `trials()` rebuilds its whole curve. Writes are
batched: `record` adds to the open transaction and `commit` ends it, once per
tuner step, so a SIGKILL loses at most the step in progress. With WAL and
synchronous=NORMAL a commit survives the process being killed (only a power cut
can lose the last commits), and readers (`status`, `results`) never block the
running study.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sqlite3
import time as wallclock
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpo_bridge.core.events import (
    MetricReported,
    RestoreCorrected,
    StoppingDecision,
    StudyEnded,
    StudyEvent,
    TrialCreated,
    TrialRetried,
    TrialStarted,
    TrialStatusChanged,
)
from hpo_bridge.core.trial import Restore, Trial, TrialStatus
from hpo_bridge.spec import TuningSpec
from hpo_bridge.store.errors import StoreError
from hpo_bridge.store.faults import connect
from hpo_bridge.store.stored_spec import stored_spec
from hpo_bridge.store.timing import SIMULATED, StudyClock

DB_NAME = "study.db"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS trials (
    id INTEGER PRIMARY KEY, params TEXT NOT NULL, status TEXT NOT NULL,
    resource INTEGER, bracket INTEGER, reason TEXT, exit_code INTEGER,
    created_at REAL, started_at REAL, ended_at REAL, stage TEXT NOT NULL DEFAULT 'hpo',
    attempt INTEGER NOT NULL DEFAULT 1, origin TEXT, restore_note TEXT);
CREATE TABLE IF NOT EXISTS transitions (
    seq INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL, time REAL, status TEXT NOT NULL,
    reason TEXT, exit_code INTEGER);
CREATE TABLE IF NOT EXISTS metrics (
    seq INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL, time REAL, name TEXT NOT NULL,
    value REAL, raw TEXT, attempt INTEGER NOT NULL DEFAULT 1);
CREATE TABLE IF NOT EXISTS decisions (
    seq INTEGER PRIMARY KEY, trial_id INTEGER NOT NULL, time REAL, interval INTEGER,
    rule TEXT, reason TEXT);
CREATE TABLE IF NOT EXISTS sessions (
    seq INTEGER PRIMARY KEY, time REAL, event TEXT NOT NULL, status TEXT, reason TEXT,
    wall REAL);
"""
_RESTORES = """
CREATE TABLE IF NOT EXISTS restores (
    trial_id INTEGER NOT NULL, attempt INTEGER NOT NULL, source INTEGER NOT NULL,
    start INTEGER NOT NULL, inherited TEXT NOT NULL, PRIMARY KEY (trial_id, attempt));
"""


@dataclass(frozen=True)
class StudyStatus:
    status: str  # created | running | finished | failed | cancelled | interrupted
    reason: str | None = None
    pid: int | None = None  # the orchestrator that runs (or ran) it


def _dumps(value: Any) -> str:
    # Key order kept (params and the spec's search space come in the user's order).
    return json.dumps(value, separators=(",", ":"))


class Store:
    """A study's durable journal. Use `Store.create(dir, spec)` or `Store.open(dir)`."""

    def __init__(self, directory: Path, conn: sqlite3.Connection, spec: TuningSpec) -> None:
        self.directory = directory
        self.conn = conn
        self.spec = spec
        self._in_tx = False
        # One journal order across transitions, metrics and decisions (their `seq`): a saved
        # searcher state records its position, so `resume` replays what the searcher has not
        # seen (`searcher_backlog`).
        self._seq = max(
            conn.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {table}").fetchone()[0]  # noqa: S608
            for table in ("transitions", "metrics", "decisions")
        )
        # Each trial's current attempt: its metric events are recorded under it.
        self._attempts: dict[int, int] = dict(
            conn.execute("SELECT id, attempt FROM trials WHERE attempt > 1").fetchall())

    # -- opening ---------------------------------------------------------------------
    @staticmethod
    def _connect(path: Path) -> sqlite3.Connection:
        # Every SQLite error of this connection is a one-line StoreError naming the file
        # and the cause (disk full, read-only, damaged): see store/faults.py.
        conn = connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA busy_timeout=5000")
        return conn

    @classmethod
    def exists(cls, directory: str | Path) -> bool:
        return (Path(directory) / DB_NAME).is_file()

    @classmethod
    def create(cls, directory: str | Path, spec: TuningSpec) -> Store:
        d = Path(directory)
        if cls.exists(d):
            raise StoreError(
                f"{d}: already holds a study; continue it with `hpo-bridge resume {d}`"
            )
        # Built under a temporary name and renamed (atomic), so a reader never finds a
        # study.db without its tables and spec.
        partial = d / f".{DB_NAME}.creating"
        try:
            d.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)
            conn = cls._connect(partial)
            conn.executescript(_SCHEMA + _RESTORES)
            store = cls(d, conn, spec)
            store._begin()
            store.set_meta("schema_version", SCHEMA_VERSION)
            store.set_meta("name", spec.name)
            store.set_meta("spec", spec.to_dict())
            store.set_meta("spec_dir", str(spec.base_dir))
            store.set_meta("status", "created")
            store.commit()
            conn.close()  # checkpoints the WAL into the file before the rename
            partial.rename(d / DB_NAME)
            return cls(d, cls._connect(d / DB_NAME), spec)
        except (OSError, sqlite3.Error, StoreError) as exc:
            for suffix in ("", "-wal", "-shm"):  # no half-made journal stays behind
                with contextlib.suppress(OSError):
                    partial.with_name(partial.name + suffix).unlink(missing_ok=True)
            raise StoreError(f"{d}: cannot create the study: {exc}") from None

    @classmethod
    def open(cls, directory: str | Path) -> Store:
        d = Path(directory)
        if not cls.exists(d):
            raise StoreError(f"{d}: no study here (no {DB_NAME})")
        try:
            conn = cls._connect(d / DB_NAME)
            rows = dict(conn.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.Error as exc:
            raise StoreError(f"{d}: cannot read {DB_NAME}: {exc}") from None
        if "spec" not in rows:
            raise StoreError(f"{d}: {DB_NAME} holds no spec (not an hpo-bridge study)")
        cls._upgrade(conn)
        spec_dir = json.loads(rows.get("spec_dir", "null"))
        # Validated once per process (see store/stored_spec.py), without a catalogue.
        spec = stored_spec(rows["spec"], spec_dir, source=str(d / DB_NAME))
        return cls(d, conn, spec)

    @staticmethod
    def _upgrade(conn: sqlite3.Connection) -> None:
        """Add the columns a study made by an earlier version lacks."""
        columns = {row[1] for row in conn.execute("PRAGMA table_info(trials)")}
        if "stage" not in columns:
            conn.execute("ALTER TABLE trials ADD COLUMN stage TEXT NOT NULL DEFAULT 'hpo'")
        if "attempt" not in columns:
            conn.execute("ALTER TABLE trials ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1")
        if "attempt" not in {row[1] for row in conn.execute("PRAGMA table_info(metrics)")}:
            conn.execute("ALTER TABLE metrics ADD COLUMN attempt INTEGER NOT NULL DEFAULT 1")
        if "wall" not in {row[1] for row in conn.execute("PRAGMA table_info(sessions)")}:
            conn.execute("ALTER TABLE sessions ADD COLUMN wall REAL")
        for column in ("origin", "restore_note"):
            if column not in columns:
                conn.execute(f"ALTER TABLE trials ADD COLUMN {column} TEXT")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if "restores" not in tables:
            conn.execute(_RESTORES)

    def close(self) -> None:
        """Commit the open batch and close; after a failed write, roll back instead (the
        write's error is the one the caller is handling)."""
        try:
            if self._in_tx and self.conn.in_transaction:
                if getattr(self.conn, "failed_write", None) is None:
                    self.commit()
                else:
                    with contextlib.suppress(StoreError):
                        self.conn.execute("ROLLBACK")
        finally:
            self._in_tx = False
            self.conn.close()

    def discard(self) -> None:
        """Delete the (closed) study journal: a study whose setup failed before it ran."""
        for suffix in ("", "-wal", "-shm"):
            (self.directory / f"{DB_NAME}{suffix}").unlink(missing_ok=True)

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- transactions ----------------------------------------------------------------
    def _begin(self) -> None:
        if not self._in_tx:
            self.conn.execute("BEGIN")
            self._in_tx = True

    def commit(self, searcher_state: dict[str, Any] | None = None) -> None:
        """End the current batch (one tuner step), with the searcher's state if it changed."""
        if searcher_state is not None:
            self.save_searcher_state(searcher_state)
        if self._in_tx:
            self.conn.execute("COMMIT")
            self._in_tx = False

    def rollback(self) -> None:
        if self._in_tx:
            self.conn.execute("ROLLBACK")
            self._in_tx = False

    # -- meta ------------------------------------------------------------------------
    def set_meta(self, key: str, value: Any) -> None:
        """Store a JSON-serialisable value (committed with the current batch)."""
        self._begin()
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES(?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, _dumps(value)),
        )

    def replace_spec(self, spec: TuningSpec) -> None:
        """The study goes on under `spec` (a continuing run changed its limits, or the spec's
        folder moved: a new clone); committed with the current batch."""
        self.set_meta("spec", spec.to_dict())
        self.set_meta("spec_dir", str(spec.base_dir))
        self.spec = spec

    def get_meta(self, key: str, default: Any = None) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return default if row is None else json.loads(row[0])

    def save_searcher_state(self, state: dict[str, Any]) -> None:
        """Keep the searcher's state, marked with the journal position it reflects."""
        self.set_meta("searcher_state", state)
        self.set_meta("searcher_state_mark", self._seq)

    def searcher_state(self) -> dict[str, Any] | None:
        return self.get_meta("searcher_state")

    # -- the study's status ----------------------------------------------------------------
    def set_status(self, status: str, reason: str | None = None, time: float | None = None,
                   event: str | None = None) -> None:
        """The study's status at study time `time`; the wall clock is read too, so a
        "running" row (a session starting) anchors study time to the wall clock."""
        self.set_meta("status", status)
        self.set_meta("status_reason", reason)
        if status == "running":
            self.set_meta("pid", os.getpid())
        self.conn.execute(
            "INSERT INTO sessions(time, event, status, reason, wall) VALUES(?, ?, ?, ?, ?)",
            (time, event or status, status, reason, wallclock.time()),
        )

    def study_status(self) -> StudyStatus:
        return StudyStatus(
            self.get_meta("status", "created"), self.get_meta("status_reason"),
            self.get_meta("pid"),
        )

    def elapsed(self) -> float:
        """Study seconds used so far: the time of the last recorded event (a cloud's
        trials bring only their start and end)."""
        latest = 0.0
        for table, column in (("transitions", "time"), ("metrics", "time"),
                              ("decisions", "time"), ("sessions", "time"),
                              ("trials", "ended_at")):
            row = self.conn.execute(f"SELECT MAX({column}) FROM {table}").fetchone()  # noqa: S608
            if row and row[0] is not None:
                latest = max(latest, float(row[0]))
        return latest

    def clock(self) -> StudyClock:
        """Study seconds on the wall clock: each session's start is an anchor."""
        anchors = self.conn.execute(
            "SELECT time, wall FROM sessions WHERE status='running' AND time IS NOT NULL"
            " AND wall IS NOT NULL ORDER BY seq").fetchall()
        ordered: list[tuple[float, float]] = []
        for at, wall in anchors:  # a later session never starts before an earlier one
            if not ordered or at >= ordered[-1][0]:
                ordered.append((float(at), float(wall)))
        return StudyClock(tuple(ordered), simulated=self.get_meta("clock") == SIMULATED)

    # -- events ----------------------------------------------------------------------
    def record(self, event: StudyEvent) -> None:
        """Journal one event of the tuner (a sink); committed by the next `commit`."""
        self._begin()
        ex = self.conn.execute
        if isinstance(event, MetricReported):
            finite = isinstance(event.value, int | float) and math.isfinite(event.value)
            raw = event.raw if event.raw is not None or finite else repr(event.value)
            ex("INSERT INTO metrics(seq, trial_id, time, name, value, raw, attempt)"
               " VALUES(?, ?, ?, ?, ?, ?, ?)",
               (self._next(), event.trial_id, event.time, event.name,
                event.value if finite else None, raw, self._attempts.get(event.trial_id, 1)))
        elif isinstance(event, TrialStatusChanged):
            ended = event.time if event.status.terminal else None
            ex("UPDATE trials SET status=?, reason=?, exit_code=COALESCE(?, exit_code),"
               " ended_at=COALESCE(?, ended_at) WHERE id=?",
               (event.status.value, event.reason, event.exit_code, ended, event.trial_id))
            ex("INSERT INTO transitions(seq, trial_id, time, status, reason, exit_code)"
               " VALUES(?, ?, ?, ?, ?, ?)",
               (self._next(), event.trial_id, event.time, event.status.value, event.reason,
                event.exit_code))
        elif isinstance(event, TrialCreated):
            ex("INSERT INTO trials(id, params, status, resource, bracket, created_at, stage,"
               " origin) VALUES(?, ?, ?, ?, ?, ?, ?, ?)",
               (event.trial_id, _dumps(event.params), TrialStatus.PENDING.value,
                event.resource, event.bracket, event.time, event.stage, event.origin))
            ex("INSERT INTO transitions(seq, trial_id, time, status) VALUES(?, ?, ?, ?)",
               (self._next(), event.trial_id, event.time, TrialStatus.PENDING.value))
            self._record_restore(event.trial_id, 1, event.restore)
        elif isinstance(event, TrialRetried):
            self._attempts[event.trial_id] = event.attempt
            ex("UPDATE trials SET status=?, reason=NULL, exit_code=NULL, started_at=NULL,"
               " ended_at=NULL, attempt=?, restore_note=NULL WHERE id=?",
               (TrialStatus.PENDING.value, event.attempt, event.trial_id))
            ex("INSERT INTO transitions(seq, trial_id, time, status, reason) VALUES(?, ?, ?, ?, ?)",
               (self._next(), event.trial_id, event.time, TrialStatus.PENDING.value,
                event.reason))
            self._record_restore(event.trial_id, event.attempt, event.restore)
        elif isinstance(event, RestoreCorrected):
            attempt = self._attempts.get(event.trial_id, 1)
            row = ex("SELECT inherited FROM restores WHERE trial_id=? AND attempt=?",
                     (event.trial_id, attempt)).fetchone()
            if row is not None:
                kept = json.loads(row[0])[: event.start]
                ex("UPDATE restores SET start=?, inherited=? WHERE trial_id=? AND attempt=?",
                   (event.start, _dumps(kept), event.trial_id, attempt))
            ex("UPDATE trials SET restore_note=? WHERE id=?", (event.reason, event.trial_id))
        elif isinstance(event, TrialStarted):
            ex("UPDATE trials SET started_at=? WHERE id=?", (event.time, event.trial_id))
        elif isinstance(event, StoppingDecision):
            ex("INSERT INTO decisions(seq, trial_id, time, interval, rule, reason)"
               " VALUES(?, ?, ?, ?, ?, ?)",
               (self._next(), event.trial_id, event.time, event.interval, event.rule,
                event.reason))
        elif isinstance(event, StudyEnded):
            self.set_status(event.status, event.reason, event.time, event="ended")

    __call__ = record

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _record_restore(self, trial_id: int, attempt: int, restore: Restore | None) -> None:
        if restore is not None:
            self.conn.execute(
                "INSERT OR REPLACE INTO restores(trial_id, attempt, source, start, inherited)"
                " VALUES(?, ?, ?, ?, ?)",
                (trial_id, attempt, restore.source, restore.start, _dumps(list(restore.values))))

    def _restores(self) -> dict[int, Restore]:
        """The restore of each trial's current attempt."""
        attempts = dict(self.conn.execute("SELECT id, attempt FROM trials").fetchall())
        out: dict[int, Restore] = {}
        for trial_id, attempt, source, start, inherited in self.conn.execute(
            "SELECT trial_id, attempt, source, start, inherited FROM restores"
        ):
            if attempts.get(trial_id) == attempt:
                out[trial_id] = Restore(source, start, tuple(json.loads(inherited)))
        return out

    def upsert_trial(self, trial: Trial) -> None:
        """Insert or replace a whole trial (native backends bring trials in from a cloud)."""
        self._begin()
        ex = self.conn.execute
        ex("INSERT INTO trials(id, params, status, resource, bracket, reason, exit_code,"
           " created_at, started_at, ended_at) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
           " ON CONFLICT(id) DO UPDATE SET params=excluded.params, status=excluded.status,"
           " resource=excluded.resource, bracket=excluded.bracket, reason=excluded.reason,"
           " exit_code=excluded.exit_code, started_at=excluded.started_at,"
           " ended_at=excluded.ended_at",
           (trial.id, _dumps(trial.params), trial.status.value, trial.resource, trial.bracket,
            trial.reason, trial.exit_code, trial.started_at, trial.started_at, trial.ended_at))
        # (A cloud's trial is created when it starts: created_at is its start.)
        ex("DELETE FROM metrics WHERE trial_id=?", (trial.id,))
        metrics = dict(trial.metrics)
        primary = self.spec.primary.metric
        if trial.values and primary not in metrics:
            metrics[primary] = list(trial.values)
        self.conn.executemany(
            "INSERT INTO metrics(seq, trial_id, time, name, value) VALUES(?, ?, NULL, ?, ?)",
            [(self._next(), trial.id, name, v) for name, series in metrics.items()
             for v in series],
        )

    # -- reading ---------------------------------------------------------------------
    def trials(self) -> list[Trial]:
        """Every trial, rebuilt from the journal, by id."""
        out: dict[int, Trial] = {}
        restores = self._restores()
        primary = self.spec.primary.metric
        for row in self.conn.execute(
            "SELECT id, params, status, resource, bracket, reason, exit_code, started_at,"
            " ended_at, stage, attempt, origin, restore_note FROM trials ORDER BY id"
        ):
            stored = out[row[0]] = Trial(
                id=row[0], params=json.loads(row[1]), status=TrialStatus(row[2]),
                resource=row[3], bracket=row[4], reason=row[5], exit_code=row[6],
                started_at=row[7], ended_at=row[8], stage=row[9], attempt=row[10],
                origin=row[11], restore_note=row[12], restore=restores.get(row[0]),
            )
            if stored.restore is not None and stored.restore.values:  # the curve it continues
                stored.values = list(stored.restore.values)
                stored.metrics[primary] = list(stored.restore.values)
        for trial_id, name, value, attempt in self.conn.execute(
            "SELECT trial_id, name, value, attempt FROM metrics WHERE value IS NOT NULL"
            " ORDER BY seq"
        ):
            trial = out.get(trial_id)
            if trial is None or attempt != trial.attempt:  # an earlier, interrupted attempt
                continue
            trial.metrics.setdefault(name, []).append(value)
            if name == primary:
                trial.values.append(value)
        return list(out.values())

    def trial_status(self, trial_id: int) -> TrialStatus | None:
        """One trial's stored status (None: no such trial yet)."""
        row = self.conn.execute("SELECT status FROM trials WHERE id=?", (trial_id,)).fetchone()
        return None if row is None else TrialStatus(row[0])

    def searcher_backlog(self) -> list[tuple[str, int, int | None, float | None]]:
        """What happened after the saved searcher state, in journal order, for the tuner
        to replay: ("ask", trial) when a trial was created, ("report", trial, interval,
        value) for its current attempt's objective reports, ("tell", trial) when it ended
        for good (an interrupted attempt is not an end: the trial runs again)."""
        mark = self.get_meta("searcher_state_mark") or 0
        attempts = dict(self.conn.execute("SELECT id, attempt FROM trials").fetchall())
        starts = {t: r.start for t, r in self._restores().items()}
        items: list[tuple[int, tuple]] = []
        asked: set[int] = set()
        for seq, trial_id, status in self.conn.execute(
            "SELECT seq, trial_id, status FROM transitions ORDER BY seq"
        ):
            if status == TrialStatus.PENDING.value:
                if trial_id not in asked and seq > mark:  # a re-run is not a new ask
                    items.append((seq, ("ask", trial_id, None, None)))
                asked.add(trial_id)
            elif seq > mark and TrialStatus(status).final:
                items.append((seq, ("tell", trial_id, None, None)))
        counts: dict[int, int] = {}
        for seq, trial_id, value, attempt in self.conn.execute(
            "SELECT seq, trial_id, value, attempt FROM metrics WHERE name=? AND value IS NOT"
            " NULL ORDER BY seq", (self.spec.primary.metric,),
        ):
            if attempt != attempts.get(trial_id, 1):
                continue
            counts[trial_id] = counts.get(trial_id, starts.get(trial_id, 0)) + 1
            if seq > mark:
                items.append((seq, ("report", trial_id, counts[trial_id], value)))
        items.sort(key=lambda item: item[0])
        return [item[1] for item in items]

    def decisions(self) -> list[StoppingDecision]:
        return [
            StoppingDecision(r[0], r[1], r[2], r[3], r[4])
            for r in self.conn.execute(
                "SELECT trial_id, time, interval, rule, reason FROM decisions ORDER BY seq"
            )
        ]

    def transitions(self, trial_id: int | None = None) -> list[TrialStatusChanged]:
        query = "SELECT trial_id, time, status, reason, exit_code FROM transitions"
        args: tuple = ()
        if trial_id is not None:
            query += " WHERE trial_id=?"
            args = (trial_id,)
        return [
            TrialStatusChanged(r[0], r[1], TrialStatus(r[2]), r[3], r[4])
            for r in self.conn.execute(query + " ORDER BY seq", args)
        ]
