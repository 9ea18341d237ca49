"""Issue 13 item 6: every trial's start, end and duration, and the study's wall time and
compute used, in the store, `results --json/--csv`, `status` and the report, through the
console script. The wall clock is anchored per session: a study killed and resumed later
keeps its trials' times right, and the time it lay dead is not study time."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

from e2e_helpers import write_study

from hpo_bridge.store import Store

SCRIPT = """\
import time, sys
import hpo_bridge
for epoch in range(1, 4):
    time.sleep(0.1)
    hpo_bridge.report(loss=float(sys.argv[1].split("=", 1)[1]) + 1 / epoch)
"""

SPEC = {
    "name": "timed",
    "objective": {"metric": "loss", "goal": "minimize"},
    "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
    "strategy": {"algorithm": "random", "seed": 1},
    "limits": {"max_trials": 4, "max_parallel": 1},
    "trial": {"command": ["python", "train.py"]},
}


def wall(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_trial_and_study_times(hpo, tmp_path):
    spec = write_study(tmp_path / "job", SCRIPT, SPEC)
    study = tmp_path / "study"
    before = time.time()
    assert hpo("run", spec, "--study-dir", study).returncode == 0
    after = time.time()
    out = json.loads(hpo("results", study, "--json").stdout)
    trials = out["trials"]
    assert [t["status"] for t in trials] == ["completed"] * 4
    for t in trials:
        start, end = wall(t["started"]), wall(t["ended"])
        assert before <= start < end <= after
        assert abs((end - start) - t["duration"]) < 0.002  # one clock, ms-rounded
    # One at a time: each starts after the one before ended.
    for a, b in zip(trials, trials[1:], strict=False):
        assert wall(b["started"]) >= wall(a["ended"])
    timing = out["study"]
    assert timing["clock"] == "wall"
    assert before <= wall(timing["started"]) <= wall(trials[0]["started"])
    # The sum of the unrounded durations, rounded once (each shown duration is rounded too).
    assert abs(timing["compute"] - sum(t["duration"] for t in trials)) <= 0.0005 * len(trials)
    assert timing["compute"] <= timing["wall_time"] <= after - before  # one at a time

    # CSV: the same times.
    rows = list(csv.DictReader(io.StringIO(hpo("results", study, "--csv").stdout)))
    assert [(r["started"], r["ended"], float(r["duration"])) for r in rows] == [
        (t["started"], t["ended"], t["duration"]) for t in trials]

    status = hpo("status", study).stdout.splitlines()
    assert status[-1].startswith(f"time: started {timing['started'][:19].replace('T', ' ')}"
                                 " UTC, ran ")
    assert "compute" in status[-1]
    assert json.loads(hpo("status", study, "--json").stdout)["timing"] == timing

    report = tmp_path / "report.html"
    assert hpo("report", study, "-o", report).returncode == 0
    page = report.read_text()
    assert "<dt>compute used</dt>" in page and "<dt>started</dt>" in page
    for t in trials:  # each row has its start (to the second) in the table
        assert f"<td>{t['started'][:19].replace('T', ' ')}</td>" in page


def test_a_resumed_study_keeps_wall_times_right(hpo, cli_exe, tmp_path):
    """SIGKILL the orchestrator during trial 2, wait, resume: the trials of the second
    session started after the resume (wall clock), and study time leaves the dead gap
    out."""
    spec = write_study(tmp_path / "job", SCRIPT, {**SPEC, "name": "resumed"})
    study = tmp_path / "study"
    proc = subprocess.Popen([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if Store.exists(study):
                with Store.open(study) as store:
                    if any(t.id == 2 and t.values for t in store.trials()):
                        break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    time.sleep(1.5)  # the study lies dead
    resumed_at = time.time()
    assert hpo("resume", study).returncode == 0
    out = json.loads(hpo("results", study, "--json").stdout)
    trials = {t["id"]: t for t in out["trials"]}
    assert all(t["status"] == "completed" for t in trials.values())
    assert trials[2]["attempt"] == 2  # interrupted, run again
    for tid in (2, 3, 4):  # the second session's trials
        assert wall(trials[tid]["started"]) >= resumed_at
    assert wall(trials[1]["ended"]) < resumed_at
    span = wall(trials[4]["ended"]) - wall(trials[1]["started"])
    assert out["study"]["wall_time"] < span - 1.0  # the dead 1.5 s are not study time
    # compute counts the interrupted attempt of trial 2 too
    assert out["study"]["compute"] > round(sum(t["duration"] for t in trials.values()), 3)


def test_simulated_study_has_no_wall_clock(hpo, tmp_path):
    spec = Path(__file__).resolve().parents[2] / "examples" / "simulate" / "curves-median.yaml"
    study = tmp_path / "study"
    assert hpo("run", spec, "--simulate", "curves", "--study-dir", study).returncode == 0
    out = json.loads(hpo("results", study, "--json").stdout)
    assert out["study"]["clock"] == "simulated" and out["study"]["started"] is None
    assert all(t["started"] is None and t["ended"] is None for t in out["trials"])
    # durations are simulated seconds: the curves benchmark's 30 s per interval
    assert [t["duration"] for t in out["trials"]] == [30.0 * t["intervals"]
                                                       for t in out["trials"]]
    assert "simulated" in hpo("status", study).stdout.splitlines()[-1]
