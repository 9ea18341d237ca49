"""SIGKILL or Ctrl-C of the orchestrator in the middle of a study of real trial processes,
then `hpo-bridge resume DIR`: results kept, interrupted trials run again with the same id
and configuration, the budget holds, and nothing of the killed run outlives the resume."""

from __future__ import annotations

import os
import signal
import subprocess
import time

from e2e_helpers import alive, pids_in, results, wait_dead, write_study

from hpo_bridge.store import Store

# Each trial forks a child that lives as long as the trial (a data loader, say): the
# child of an interrupted trial is an orphan the resume has to find. The child writes the
# time now and then, the trial the time it started: `resume` must kill the orphans before
# it starts new trials.
SCRIPT = """\
import os, sys, time
import hpo_bridge

def write(name, text):
    with open(name + ".tmp", "w") as fh:
        fh.write(text)
    os.replace(name + ".tmp", name)

write("started", repr(time.time()))
x = float(sys.argv[1].split("=", 1)[1])
if os.fork() == 0:
    write("child.pid", str(os.getpid()))
    while True:
        write("beat", repr(time.time()))
        time.sleep(0.02)
for epoch in range(1, 5):
    time.sleep(0.25)
    hpo_bridge.report(loss=(x - 0.3) ** 2 + 1 / epoch)
"""

MAX_TRIALS = 8


def _wait_for(study, enough, seconds: float = 60.0) -> list:
    """Poll the store until `enough(trials)`; the trials then."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
        if Store.exists(study):
            with Store.open(study) as store:
                trials = store.trials()
            if enough(trials):
                return trials
    raise AssertionError("the study did not get there")


def test_sigkilled_orchestrator_then_resume(hpo, cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", SCRIPT, {
        "name": "killed",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 3},
        "limits": {"max_trials": MAX_TRIALS, "max_parallel": 2},
        "trial": {"command": ["python", "train.py"]},
    })
    study = tmp_path / "study"
    proc = subprocess.Popen([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Kill it when two trials are done and two run, each with a metric reported.
        def mid_study(trials):
            running = [t for t in trials if t.status.value == "running" and t.values]
            return sum(t.status.terminal for t in trials) >= 2 and len(running) == 2

        _wait_for(study, mid_study)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with Store.open(study) as store:
        at_kill = {t.id: t for t in store.trials()}
    running = [tid for tid, t in at_kill.items() if not t.status.terminal]
    assert running
    orphans = [p for p in pids_in(study, "child.pid") if alive(p)]
    assert orphans, "the killed run's trials should still be running"

    shown = hpo("status", study)
    assert "interrupted" in shown.stdout.splitlines()[0]
    # Its "running" trials are dead: shown as interrupted (the store keeps what it knew).
    assert f"{len(running)} interrupted" in shown.stdout.splitlines()[1]
    assert "running" not in shown.stdout
    # --json says the same (one vocabulary of statuses everywhere).
    shown_json = {t["id"]: t["status"] for t in results(hpo, study)}
    assert [shown_json[tid] for tid in running] == ["interrupted"] * len(running)
    resumed = hpo("resume", study)
    assert resumed.returncode == 0, resumed.stderr
    assert f"study finished: max_trials ({MAX_TRIALS}) reached" in resumed.stdout

    trials = {t["id"]: t for t in results(hpo, study)}
    assert sorted(trials) == list(range(1, MAX_TRIALS + 1))  # the budget holds, ids once
    for tid, before in at_kill.items():
        after = trials[tid]
        if before.status.terminal:  # kept as it was
            assert (after["status"], after["metrics"]["loss"]) == (before.status.value,
                                                                   before.values)
        else:  # ran again: same configuration, its second attempt, all of its reports
            assert (after["params"], after["attempt"]) == (before.params, 2)
            assert after["intervals"] == 4
    assert all(t["status"] == "completed" for t in trials.values())
    # The interrupted attempts' processes were gone before their re-runs started (the
    # earlier attempt's folder is kept beside), and the resumed run left nothing either.
    assert wait_dead(orphans, 0.0) == []
    last_beat = max(float(b.read_text()) for b in
                    (study / "trials" / f"{tid}.attempt-1" / "beat" for tid in running)
                    if b.exists())
    first_rerun = min(float((study / "trials" / str(tid) / "started").read_text())
                      for tid in running)
    assert last_beat < first_rerun
    assert wait_dead(pids_in(study, "child.pid")) == []
    again = hpo("resume", study)
    assert again.returncode == 0 and "study already finished" in again.stdout


# Trials wait while the file `hold` is next to the script: running when Ctrl-C comes.
HELD = """\
import os, sys, time
import hpo_bridge

hold = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hold")
hpo_bridge.report(loss=float(sys.argv[1].split("=", 1)[1]))
while os.path.exists(hold):
    time.sleep(0.02)
hpo_bridge.report(loss=0.5)
"""


def test_ctrl_c_records_running_trials_as_interrupted_then_resume(hpo, cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", HELD, {
        "name": "ctrl-c",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 5},
        "limits": {"max_trials": 4, "max_parallel": 2},
        "trial": {"command": ["python", "train.py"]},
    })
    hold = tmp_path / "job" / "hold"
    hold.touch()
    study = tmp_path / "study"
    proc = subprocess.Popen([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(study, lambda trials: sum(
            t.status.value == "running" and bool(t.values) for t in trials) == 2)
        os.kill(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert err.splitlines()[-1] == (
        f"stopped by Ctrl-C; resume with: hpo-bridge resume {study}")
    assert "Traceback" not in err
    with Store.open(study) as store:
        assert store.study_status().status == "interrupted"
        at_stop = {t.id: (t.status.value, t.reason, len(t.values)) for t in store.trials()}
        params = {t.id: t.params for t in store.trials()}
    # What each reported before the stop is kept (one report each).
    assert at_stop == {1: ("interrupted", "interrupted (Ctrl-C)", 1),
                       2: ("interrupted", "interrupted (Ctrl-C)", 1)}
    shown = hpo("status", study).stdout.splitlines()
    assert shown[:2] == ["study ctrl-c (local): interrupted - stopped by Ctrl-C",
                         "trials: 2 of 4 (2 interrupted)"]
    # One vocabulary: --json and the table say interrupted too.
    assert [t["status"] for t in results(hpo, study)] == ["interrupted", "interrupted"]
    rows = [line.split() for line in hpo("results", study).stdout.splitlines()
            if line.split()[:1] in (["1"], ["2"])]
    assert [row[2] for row in rows] == ["interrupted", "interrupted"]  # id, x, status

    hold.unlink()
    resumed = hpo("resume", study)
    assert resumed.returncode == 0, resumed.stderr
    assert "study finished: max_trials (4) reached" in resumed.stdout
    trials = {t["id"]: t for t in results(hpo, study)}
    # 1 and 2 ran again first (same configuration), then 3 and 4: four trials in all.
    assert sorted(trials) == [1, 2, 3, 4]
    assert [trials[i]["params"] for i in (1, 2)] == [params[1], params[2]]
    assert [trials[i]["attempt"] for i in range(1, 5)] == [2, 2, 1, 1]
    assert [trials[i]["status"] for i in range(1, 5)] == ["completed"] * 4
    assert all(trials[i]["metrics"]["loss"][-1] == 0.5 for i in range(1, 5))
    assert hpo("status", study).stdout.splitlines()[1] == "trials: 4 of 4 (4 completed)"
