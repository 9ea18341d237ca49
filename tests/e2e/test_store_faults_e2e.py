"""Faults of the machine and the journal (issue 10, item 8), through the real command.

- a disk that fills mid-study: the orchestrator runs under a file size limit
  (RLIMIT_FSIZE, SIGXFSZ ignored: writes past it fail with EFBIG as on a full disk, for
  any user and in CI, no root or mount needed);
- a read-only study.db: made read-only with chmod; as root (who writes anyway) the
  command runs without CAP_DAC_OVERRIDE, so it meets the permission as a user does;
- damaged data pages and a damaged header: bytes of a real study.db overwritten.

Each is one line naming the file and the cause, exit code 2 (1 when it stops a running
study), no traceback; nothing already recorded is lost; `resume` works once the cause
is fixed; `status` on a damaged journal says what is damaged and what can be read.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import resource
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from e2e_helpers import results, write_study

SCRIPT = """\
import os, sys, time
import hpo_bridge
for i in range(20):
    hpo_bridge.report(acc=i / 20, loss=1 - i / 20)
if os.environ.get("HOLD") and os.environ["HPO_BRIDGE_TRIAL_ID"] == "2":
    time.sleep(120)
"""
SPEC = {
    "name": "faults",
    "objective": {"metric": "acc", "goal": "maximize"},
    "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1}},
    "strategy": {"seed": 3},
    "limits": {"max_trials": 30, "max_parallel": 2},
    "trial": {"command": ["python", "train.py"], "kill_grace": "2s"},
}
FSIZE = 192 * 1024  # bytes: room for the study's start, not for 30 trials' metrics


def _cli(cli_exe, *args, preexec=None, env=None, timeout=300):
    return subprocess.run([str(cli_exe), *map(str, args)], capture_output=True, text=True,
                          preexec_fn=preexec, env={**os.environ, **(env or {})},
                          timeout=timeout)


def _file_size_limit() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FSIZE, FSIZE))


def _as_a_user() -> None:
    """Without the capabilities that let root write a read-only file (a no-op otherwise)."""
    if os.geteuid() == 0:
        libc = ctypes.CDLL(None, use_errno=True)
        for cap in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, from the bounding set
            if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
                raise OSError(ctypes.get_errno(), "PR_CAPBSET_DROP")


def _can_be_a_user() -> bool:
    if os.geteuid() != 0:
        return True
    return subprocess.run(["true"], preexec_fn=_as_a_user).returncode == 0


def _one_line(out, line: str, code: int = 2) -> None:
    assert "Traceback" not in out.stderr, out.stderr
    assert (out.returncode, out.stderr.splitlines()) == (code, [line]), out.stderr


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _finished_study(hpo, tmp_path) -> Path:
    spec = write_study(tmp_path / "job", SCRIPT, {**SPEC, "limits": {"max_trials": 4}})
    study = tmp_path / "study"
    assert hpo("run", spec, "--study-dir", study).returncode == 0
    return study


def test_a_disk_that_fills_mid_study_stops_it_in_one_line_and_resume_continues(
        hpo, cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", SCRIPT, SPEC)
    study = tmp_path / "study"
    out = _cli(cli_exe, "run", spec, "--study-dir", study, preexec=_file_size_limit)
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    *progress, last = out.stderr.splitlines()
    assert all(line.startswith("trial ") for line in progress)  # the live progress lines
    assert last == (f"{study / 'study.db'}: cannot write: the file size limit (ulimit -f) of"
                    f" 0.2 MiB was reached; the study stopped, its running trials were ended;"
                    f" once that is fixed: hpo-bridge resume {study}")
    before = [t for t in results(hpo, study) if t["status"] == "completed"]
    assert 0 < len(before) < 30  # the fault came mid-study
    # The cause fixed (no limit): the study goes on to its end, and loses nothing.
    out = hpo("resume", study)
    assert out.returncode == 0, out.stderr
    assert "study finished: max_trials (30) reached" in out.stdout
    after = {t["id"]: t for t in results(hpo, study)}
    assert [after[t["id"]] for t in before] == before
    assert sorted(after) == list(range(1, 31))
    assert all(t["status"] == "completed" and t["intervals"] == 20 for t in after.values())


def test_a_read_only_study_db_is_refused_in_one_line_then_resumes(hpo, cli_exe, tmp_path):
    if not _can_be_a_user():
        pytest.skip("running as root without the right to drop CAP_DAC_OVERRIDE")
    spec = write_study(tmp_path / "job", SCRIPT, {**SPEC, "limits": {"max_trials": 3,
                                                                     "max_parallel": 1}})
    study = tmp_path / "study"
    # An unfinished study: stopped (SIGTERM) while its second trial runs.
    proc = subprocess.Popen([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "HOLD": "1"})
    deadline = time.monotonic() + 60
    while not (study / "trials" / "2" / "stdout.log").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    db = study / "study.db"
    db.chmod(0o444)
    digest = _digest(db)
    out = _cli(cli_exe, "resume", study, preexec=_as_a_user)
    _one_line(out, f"{db}: cannot write: the file is read-only")
    assert _digest(db) == digest  # nothing changed
    status = _cli(cli_exe, "status", study, preexec=_as_a_user)  # reading needs no write
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[:2] == ["study faults (local): interrupted - stopped by"
                                              " SIGTERM", "trials: 2 of 3 (1 completed,"
                                              " 1 interrupted)"]
    db.chmod(0o644)
    out = hpo("resume", study)
    assert out.returncode == 0, out.stderr
    assert [t["status"] for t in results(hpo, study)] == ["completed"] * 3


def test_damaged_data_pages(hpo, tmp_path):
    study = _finished_study(hpo, tmp_path)
    db = study / "study.db"
    with sqlite3.connect(db) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='metrics'"
                            ).fetchone()[0]
    conn.close()
    with db.open("r+b") as fh:  # the metrics table's first page, overwritten
        fh.seek((root - 1) * page)
        fh.write(bytes(range(256)) * (page // 256))
    cause = f"{db}: damaged: database disk image is malformed"
    out = hpo("status", study)
    assert "Traceback" not in out.stderr
    assert (out.returncode, out.stderr.splitlines()) == (2, [
        cause,
        "readable: meta (study faults, finished); trials (4: 4 completed); transitions"
        " (12 rows); decisions (0 rows); sessions (2 rows)",
        "damaged: metrics (database disk image is malformed)",
        f"intact: 4 trial folder(s) in {study / 'trials'} (each trial's output and files)",
    ])
    hint = f" (`hpo-bridge status {study}` shows what can still be read)"
    for command in (("results", study), ("best", study), ("resume", study),
                    ("report", study)):
        _one_line(hpo(*command), cause + hint)


def test_a_damaged_header(hpo, tmp_path):
    study = _finished_study(hpo, tmp_path)
    db = study / "study.db"
    with db.open("r+b") as fh:
        fh.write(b"\0" * 100)
    cause = f"{db}: damaged: not an SQLite database (its header is damaged)"
    _one_line(hpo("logs", study, 3),
              f"{cause}; trial 3's output is in {study / 'trials' / '3'} (stdout.log,"
              " stderr.log)")
    out = hpo("status", study)
    assert (out.returncode, out.stderr.splitlines()) == (2, [
        cause, "readable: nothing (file is not a database)",
        f"intact: 4 trial folder(s) in {study / 'trials'} (each trial's output and files)"])
