"""Every way a trial can go wrong, each its own trial of ONE study run by `hpo-bridge run`:
each ends with its own status and reason, the study goes on to its end, and no process
of any trial is left behind."""

from __future__ import annotations

import json
import signal

from e2e_helpers import pids_in, results, wait_dead, write_study

# Each trial writes the pid of every process it makes to <name>.pid in its folder.
SCRIPT = """\
import os, signal, sys, time
import hpo_bridge

mode = sys.argv[1].split("=", 1)[1]
def note(name):
    with open(name + ".pid", "w") as fh:
        fh.write(str(os.getpid()))

note("leader")
if mode == "ok":
    hpo_bridge.report(accuracy=0.9)
elif mode == "crash":
    hpo_bridge.report(accuracy=0.1)
    print("Traceback (most recent call last): boom", file=sys.stderr)
    sys.exit(3)
elif mode == "hang":
    hpo_bridge.report(accuracy=0.2)
    time.sleep(600)
elif mode == "sigkill":
    hpo_bridge.report(accuracy=0.3)
    os.kill(os.getpid(), signal.SIGKILL)
elif mode == "silent":  # reports, but not the objective: the reason lists what came
    print("trained, but reported no accuracy")
    hpo_bridge.report(val_loss=0.5, epoch_seconds=2)
elif mode == "nan":
    hpo_bridge.report(accuracy=0.4)
    hpo_bridge.report(accuracy=float("nan"))
    time.sleep(600)  # the tuner stops it at once
elif mode == "long-line":
    sys.stdout.write("x" * (8 * 1024 * 1024) + "\\n")
    sys.stdout.flush()
    hpo_bridge.report(accuracy=0.7)
elif mode in ("fork", "daemon"):
    if os.fork() == 0:  # a child that would outlive the trial
        if mode == "daemon":
            os.setsid()  # it even leaves the trial's process group
        note("child")
        time.sleep(600)
        os._exit(0)
    while not os.path.exists("child.pid"):
        time.sleep(0.01)
    hpo_bridge.report(accuracy=0.6)
"""

MODES = ["ok", "crash", "hang", "sigkill", "silent", "nan", "long-line", "fork", "daemon"]

EXPECTED = {  # mode: (status, reason, exit code)
    "ok": ("completed", None, 0),
    "crash": ("failed", "exit code 3: Traceback (most recent call last): boom", 3),
    "hang": ("timeout", "trial_timeout 2s exceeded", -signal.SIGTERM),
    "sigkill": ("failed", "killed by signal SIGKILL", -signal.SIGKILL),
    "silent": ("failed", "no value of metric accuracy reported"
                         " (it reported: epoch_seconds, val_loss)", 0),
    "nan": ("failed", "metric 'accuracy' reported nan, not a finite number", -signal.SIGTERM),
    "long-line": ("completed", None, 0),
    "fork": ("completed", None, 0),
    "daemon": ("completed", None, 0),
}


def test_each_failure_is_its_own_trial_and_the_study_goes_on(hpo, tmp_path):
    spec = write_study(tmp_path / "job", SCRIPT, {
        "name": "failures",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"mode": {"type": "categorical", "values": MODES}},
        "strategy": {"algorithm": "grid"},
        "limits": {"max_trials": 10, "max_parallel": 3, "max_failed": 10,
                   "trial_timeout": "2s"},
        "trial": {"command": ["python", "train.py"], "kill_grace": "1s"},
    })
    study = tmp_path / "study"
    out = hpo("run", spec, "--study-dir", study)
    assert out.returncode == 0, out.stderr
    assert "study finished: the searcher has no more configurations (9 trials)" in out.stdout
    trials = {t["params"]["mode"]: t for t in results(hpo, study)}
    assert sorted(t["id"] for t in trials.values()) == list(range(1, 10))
    got = {mode: (t["status"], t["reason"], t["exit_code"]) for mode, t in trials.items()}
    assert got == EXPECTED
    assert trials["crash"]["metrics"] == {"accuracy": [0.1]}
    assert trials["nan"]["metrics"] == {"accuracy": [0.4]}  # the invalid value is not kept
    # The 8 MB line went to the log whole, and the report after it arrived.
    folder = study / "trials" / str(trials["long-line"]["id"])
    assert (folder / "stdout.log").stat().st_size > 8 * 1024 * 1024
    assert trials["long-line"]["metrics"] == {"accuracy": [0.7]}
    best = json.loads(hpo("best", study, "--json").stdout)["best"]
    assert best["params"] == {"mode": "ok"}
    # Nothing of any trial is left: leaders, the forked child, the child that left the group.
    pids = pids_in(study)
    assert len(pids) == len(MODES) + 2
    assert wait_dead(pids) == []
