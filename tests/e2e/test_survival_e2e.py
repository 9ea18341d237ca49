"""A study survives anything (issue 10, items 1-7): two orchestrators at once, a kill
between a trial's start and its journal entry, the budget of multi-fidelity search, graceful
Ctrl-C and SIGTERM, the best trial across a resume, one status vocabulary, and processes
that detach from their trial. All through the real console script."""

from __future__ import annotations

import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from e2e_helpers import alive, results, wait_dead, write_study

from hpo_bridge.store import Store


def _wait(check, seconds: float = 60.0, what: str = "the study to get there"):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        got = check()
        if got:
            return got
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def _trials(study: Path) -> list:
    if not Store.exists(study):
        return []
    with Store.open(study) as store:
        return store.trials()


# -- 1. one orchestrator per study -------------------------------------------------------
HOLD = """\
import os, sys, time
import hpo_bridge
hold = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hold")
hpo_bridge.report(loss=float(sys.argv[1].split("=", 1)[1]))
while os.path.exists(hold):
    time.sleep(0.02)
hpo_bridge.report(loss=0.25)
"""


def _held_study(folder: Path, name: str, trials: int = 2, parallel: int = 2) -> Path:
    spec = write_study(folder, HOLD, {
        "name": name,
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 1},
        "limits": {"max_trials": trials, "max_parallel": parallel},
        "trial": {"command": ["python", "train.py"]},
    })
    (folder / "hold").touch()
    return spec


def _two_at_once(argv: list[str]) -> list[subprocess.CompletedProcess[str]]:
    """Start two copies of `argv` at the same instant; both finished processes."""
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        outs.append(subprocess.CompletedProcess(argv, proc.returncode, out, err))
    return outs


def test_two_runs_of_one_study_dir_at_once_build_one_study(cli_exe, tmp_path):
    spec = _held_study(tmp_path / "job", "race-run", trials=1, parallel=1)
    (tmp_path / "job" / "hold").unlink()
    deadline, rounds = time.monotonic() + 25, 0
    while time.monotonic() < deadline and rounds < 12:
        rounds += 1
        study = tmp_path / f"study-{rounds}"
        outs = _two_at_once([str(cli_exe), "run", str(spec), "--study-dir", str(study)])
        codes = sorted(o.returncode for o in outs)
        assert codes == [0, 2], [(o.returncode, o.stderr) for o in outs]
        loser = next(o for o in outs if o.returncode == 2)
        line = loser.stderr.strip()
        assert "\n" not in line and "Traceback" not in loser.stderr
        assert line.startswith(f"{study}: the study is running (orchestrator pid ") or \
            line.startswith(f"--study-dir {study}: already holds a study"), line
        with Store.open(study) as store:  # one whole study, tables and all
            assert [t.status.value for t in store.trials()] == ["completed"]
            assert store.study_status().status == "finished"
    assert rounds >= 3


def test_two_resumes_at_once_one_refused_nothing_killed(cli_exe, tmp_path):
    spec = _held_study(tmp_path / "job", "race-resume")
    hold = tmp_path / "job" / "hold"
    deadline, rounds = time.monotonic() + 40, 0
    while time.monotonic() < deadline and rounds < 6:
        rounds += 1
        hold.touch()
        study = tmp_path / f"study-{rounds}"
        first = subprocess.Popen([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait(lambda s=study: sum(bool(t.values) for t in _trials(s)) == 2)
        first.kill()  # SIGKILL: its two trials run on as orphans
        first.wait()
        procs = [subprocess.Popen([str(cli_exe), "resume", str(study)],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        # One resumes (and waits on the hold); the other is refused at once.
        refused = _wait(lambda procs=procs: next((p for p in procs if p.poll() is not None),
                                                 None))
        err = refused.stderr.read()
        assert refused.returncode == 2, err
        holder = next(p for p in procs if p is not refused)
        assert err.strip() == (f"{study}: the study is running (orchestrator pid"
                               f" {holder.pid}); wait for it to end or stop it first")
        hold.unlink()
        assert holder.wait(timeout=120) == 0
        trials = {t.id: t for t in _trials(study)}
        assert sorted(trials) == [1, 2]
        assert all(t.status.value == "completed" and t.attempt == 2 for t in trials.values())
        assert all("SIGKILL" not in (t.reason or "") for t in trials.values())
        holder.stdout.close()
        holder.stderr.close()
        refused.stdout.close()
        refused.stderr.close()
    assert rounds >= 2


# -- 2. a trial is journaled before its process starts -----------------------------------
ARGV_SCRIPT = """\
import os, sys, time
import hpo_bridge
with open("argv.json.tmp", "w") as fh:
    fh.write(repr(sys.argv[1:]))
os.replace("argv.json.tmp", "argv.json")
time.sleep(0.05)
hpo_bridge.report(loss=float(sys.argv[1].split("=", 1)[1]))
"""


def test_no_trial_process_runs_that_the_journal_does_not_know(cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", ARGV_SCRIPT, {
        "name": "journal-first",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 2},
        "limits": {"max_trials": 40, "max_parallel": 2},
        "trial": {"command": ["python", "train.py"]},
    })
    study = tmp_path / "study"
    argv = [str(cli_exe), "run", str(spec), "--study-dir", str(study)]
    for _kill in range(6):
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        known = set(os.listdir(study / "trials")) if (study / "trials").is_dir() else set()
        # SIGKILL the moment a new trial folder appears: its process is starting.
        _wait(lambda known=known: (study / "trials").is_dir()
              and set(os.listdir(study / "trials")) - known)
        proc.kill()
        proc.wait()
        with Store.open(study) as store:
            journaled = {t.id: t for t in store.trials()}
        for folder in (study / "trials").iterdir():
            if folder.name.isdigit():
                assert int(folder.name) in journaled, f"trial {folder.name} ran unjournaled"
        argv = [str(cli_exe), "resume", str(study)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    trials = results_of(study)
    assert sorted(trials) == list(range(1, 41))
    # What each trial's process was given is what the journal says it was given.
    for tid, trial in trials.items():
        seen = eval((study / "trials" / str(tid) / "argv.json").read_text())  # noqa: S307
        assert seen == [f"--x={trial['params']['x']!r}"]


def results_of(study: Path) -> dict[int, dict]:
    with Store.open(study) as store:
        return {t.id: {"params": t.params, "status": t.status.value, "values": t.values,
                       "attempt": t.attempt} for t in store.trials()}


# -- 3. the budget reaches the script under every contract --------------------------------
BUDGET_SCRIPT = """\
import json, os, sys
args = sys.argv[1:]
env = {k: v for k, v in os.environ.items() if k.startswith(("SM_HP", "AZUREML_SWEEP"))}
with open("seen.json", "w") as fh:
    json.dump({"argv": args, "env": env}, fh)
for epoch in range(1, 21):  # ignores its budget: 20 intervals
    print(f"loss={1.0 / epoch}", flush=True)
"""
AZURE_BUDGET_SCRIPT = """\
import json, os, sys
import mlflow
with open("seen.json", "w") as fh:
    json.dump({"argv": sys.argv[1:], "env": {k: v for k, v in os.environ.items()
                                             if k.startswith("AZUREML_SWEEP")}}, fh)
with mlflow.start_run():
    for epoch in range(1, 21):
        mlflow.log_metric("loss", 1.0 / epoch, step=epoch)
"""


@pytest.mark.parametrize("contract", ["local", "sagemaker", "vertex", "azure"])
def test_the_budget_reaches_the_script_and_is_enforced(hpo, tmp_path, contract):
    command = ["python", "train.py"]
    script = BUDGET_SCRIPT
    if contract == "vertex":  # the hypertune file: the script writes it per report
        script = "import hypertune\nhpt = hypertune.HyperTune()\n" + BUDGET_SCRIPT.replace(
            'print(f"loss={1.0 / epoch}", flush=True)',
            'hpt.report_hyperparameter_tuning_metric('
            'hyperparameter_metric_tag="loss", metric_value=1.0 / epoch, global_step=epoch)')
    if contract == "azure":
        script = AZURE_BUDGET_SCRIPT
        command = ["python", "train.py", "--epochs", "${{search_space.epochs}}",
                   "--x", "${{search_space.x}}"]
    spec = write_study(tmp_path / "job", script, {
        "name": f"budget-{contract}",
        "objective": {"metric": "loss", "goal": "minimize"},
        "metrics": [{"name": "loss", "regex": "loss=([0-9.]+)"}],
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "hyperband", "seed": 1},
        "limits": {"max_trials": 1, "max_parallel": 1},
        "trial": {"command": command, "contract": contract,
                  "resource": {"name": "epochs", "min": 1, "max": 9}},
    })
    run = hpo("run", spec, "--study-dir", tmp_path / "study")
    assert run.returncode == 0, run.stderr
    (trial,) = results(hpo, tmp_path / "study")
    assert trial["status"] == "completed"
    assert trial["reason"] == "reported past its budget of 9 epochs"
    assert trial["intervals"] == 9 and trial["resource"] == 9
    seen = json.loads((tmp_path / "study" / "trials" / "1" / "seen.json").read_text())
    expected_argv = {
        "local": "--epochs=9",
        "vertex": "--epochs=9",
        "sagemaker": "--epochs",
        "azure": "--epochs",
    }[contract]
    assert expected_argv in seen["argv"]
    if contract in ("sagemaker", "azure"):
        assert seen["argv"][seen["argv"].index("--epochs") + 1] == "9"
    if contract == "sagemaker":
        assert seen["env"]["SM_HP_EPOCHS"] == "9"
    if contract == "azure":
        assert seen["env"]["AZUREML_SWEEP_epochs"] == "9"


def test_the_resource_name_cannot_also_be_a_parameter(hpo, tmp_path):
    spec = write_study(tmp_path / "job", "print('loss=1')\n", {
        "name": "clash",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"epochs": {"type": "int", "low": 1, "high": 9}},
        "trial": {"command": ["python", "train.py"], "resource": {"name": "epochs", "max": 9}},
    })
    out = hpo("validate", spec)
    assert out.returncode == 2
    assert out.stderr.strip() == (f"{spec}: trial.resource.name: 'epochs' is also a parameter"
                                  " of search_space (the budget is passed to the trial under"
                                  " this name)")


# -- 4, 5, 6. graceful SIGTERM, the best across a resume, counts that add up ---------------
GRACEFUL = """\
import os, sys, time
import hpo_bridge
here = os.path.dirname(os.path.abspath(__file__))
x = float(sys.argv[1].split("=", 1)[1])
fast = x < 0.5
for epoch in (1, 2):
    if epoch == 2 and not fast:
        while os.path.exists(os.path.join(here, "hold")):
            time.sleep(0.02)
    hpo_bridge.report(loss=x + 1.0 / epoch)
if fast:  # after its final interval: a checkpoint written, say
    with open(os.path.join(here, "final-reported"), "a") as fh:
        fh.write(sys.argv[1] + "\\n")
    time.sleep(1.5)
"""


def test_sigterm_lets_finished_trials_finish_and_resume_reruns_the_rest(cli_exe, hpo,
                                                                       tmp_path):
    # x for seed 7: trial 1 is fast (x < 0.5), trial 2 holds at its 2nd interval.
    spec = write_study(tmp_path / "job", GRACEFUL, {
        "name": "graceful",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "categorical", "values": [0.25, 0.75]}},
        "strategy": {"algorithm": "grid"},
        "limits": {"max_trials": 2, "max_parallel": 2},
        "trial": {"command": ["python", "train.py"], "resource": {"max": 2}},
    })
    hold = tmp_path / "job" / "hold"
    hold.touch()
    study = tmp_path / "study"
    proc = subprocess.Popen([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait(lambda: (tmp_path / "job" / "final-reported").exists()
          and any(len(t.values) == 1 and t.params["x"] == 0.75 for t in _trials(study)))
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert err.splitlines()[-1] == f"stopped by SIGTERM; resume with: hpo-bridge resume {study}"
    assert "Traceback" not in err
    at_stop = {t["id"]: t for t in results(hpo, study)}
    # The trial that had reported its final interval finished (it was not cut short)...
    assert at_stop[1]["status"] == "completed" and at_stop[1]["metrics"]["loss"] == [1.25, 0.75]
    # ...the other kept what it reported and waits for `resume`.
    assert at_stop[2]["status"] == "interrupted" and at_stop[2]["metrics"]["loss"] == [1.75]
    assert hpo("status", study).stdout.splitlines()[1] == \
        "trials: 2 of 2 (1 completed, 1 interrupted)"
    hold.unlink()
    resumed = hpo("resume", study)
    assert resumed.returncode == 0, resumed.stderr
    # The live view's best so far comes from the whole journal: trial 1, from before.
    assert "| best 0.75 (trial 1)" in resumed.stderr.splitlines()[-1]
    after = {t["id"]: t for t in results(hpo, study)}
    assert after[2]["attempt"] == 2 and after[2]["params"] == {"x": 0.75}
    assert after[2]["metrics"]["loss"] == [1.75, 1.25]
    assert hpo("status", study).stdout.splitlines()[1] == "trials: 2 of 2 (2 completed)"
    csv_rows = hpo("results", study, "--csv").stdout.splitlines()[1:]
    assert [row.split(",")[1] for row in csv_rows] == ["completed", "completed"]


def test_a_second_ctrl_c_ends_the_rest_at_once(cli_exe, hpo, tmp_path):
    spec = _held_study(tmp_path / "job", "twice")
    study = tmp_path / "study"
    proc = subprocess.Popen([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait(lambda: sum(bool(t.values) for t in _trials(study)) == 2)
    # A trial that ignores SIGTERM would hold the graceful stop for its grace period.
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    statuses = [t["status"] for t in results(hpo, study)]
    assert statuses == ["interrupted", "interrupted"]


# -- 7. nothing a trial started outlives it -------------------------------------------------
DETACHING = """\
import os, subprocess, sys, time
import hpo_bridge
x = float(sys.argv[1].split("=", 1)[1])
if x < 0.5:
    # A daemon: double fork, setsid, an empty environment; its parent exits at once.
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            with open("daemon.pid", "w") as fh:
                fh.write(str(os.getpid()))
            os.execve("/bin/sleep", ["sleep", "600"], {})
        os._exit(0)
    # And a child that leaves the trial's session but keeps running.
    child = subprocess.Popen(["sleep", "600"], start_new_session=True, env={})
    with open("setsid.pid", "w") as fh:
        fh.write(str(child.pid))
    time.sleep(0.3)
    hpo_bridge.report(loss=x)
else:
    hpo_bridge.report(loss=x)
    time.sleep(6)
"""


def test_processes_a_trial_detached_die_with_the_trial(cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", DETACHING, {
        "name": "detach",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "categorical", "values": [0.25, 0.75]}},
        "strategy": {"algorithm": "grid"},
        "limits": {"max_trials": 2, "max_parallel": 2},
        "trial": {"command": ["python", "train.py"]},
    })
    study = tmp_path / "study"
    proc = subprocess.Popen([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        folder = study / "trials" / "1"
        _wait(lambda: (folder / "daemon.pid").exists() and (folder / "setsid.pid").exists())
        pids = [int((folder / name).read_text()) for name in ("daemon.pid", "setsid.pid")]
        assert all(alive(p) for p in pids)
        _wait(lambda: any(t.id == 1 and t.status.final for t in _trials(study)))
        # Trial 2 still runs (the study has not ended): trial 1's processes are gone.
        assert wait_dead(pids, 3.0) == []
        assert any(t.id == 2 and not t.status.terminal for t in _trials(study))
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == 0


# -- the kill loop ----------------------------------------------------------------------------
KILL_LOOP_SCRIPT = """\
import sys, time
x = float(sys.argv[1].split("=", 1)[1])
for epoch in range(1, 6):
    time.sleep(0.2)
    print(f"loss={(x - 0.4) ** 2 + 1.0 / epoch:.6f}", flush=True)
"""
LOSS = re.compile(r"^loss=([0-9.]+)$", re.M)


def _pids_under(study: Path) -> list[int]:
    """Processes whose environment places them in a trial of `study`."""
    marker = f"HPO_BRIDGE_TRIAL_DIR={study.resolve() / 'trials'}/".encode()
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                env = Path(f"/proc/{entry}/environ").read_bytes()
            except OSError:
                continue
            if marker in env and alive(int(entry)):
                found.append(int(entry))
    return found


def test_kill_loop_loses_nothing_and_leaves_nothing(cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", KILL_LOOP_SCRIPT, {
        "name": "kill-loop",
        "objective": {"metric": "loss", "goal": "minimize"},
        "metrics": [{"name": "loss", "regex": "^loss=([0-9.]+)$"}],
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 11},
        "early_stopping": {"policy": "median", "evaluation_interval": 1,
                           "delay_evaluation": 2},
        "limits": {"max_trials": 30, "max_parallel": 2},
        "trial": {"command": ["python", "train.py"]},
    })
    study = tmp_path / "study"
    rng = random.Random(5)
    argv = [str(cli_exe), "run", str(spec), "--study-dir", str(study)]
    kills = 0
    while True:  # SIGKILL at random moments 18 times, then let it finish
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            proc.wait(timeout=rng.uniform(0.5, 2.0) if kills < 18 else 300)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            kills += 1
            if Store.exists(study):  # a kill before the study existed: `run` it again
                argv = [str(cli_exe), "resume", str(study)]
            continue
        assert proc.returncode == 0
        break
    assert kills >= 15
    trials = {t.id: t for t in _trials(study)}
    assert sorted(trials) == list(range(1, 31))  # exactly max_trials, no id twice
    assert all(t.status.final for t in trials.values())
    for trial in trials.values():
        if trial.status.value == "completed":
            printed = [float(v) for v in LOSS.findall(
                (study / "trials" / str(trial.id) / "stdout.log").read_text())]
            assert trial.metrics["loss"] == printed == trial.values
    with sqlite3.connect(study / "study.db") as db:  # every id created once
        created = [row[0] for row in db.execute("SELECT id FROM trials")]
    assert sorted(created) == sorted(set(created))
    assert wait_dead(_pids_under(study), 3.0) == []
