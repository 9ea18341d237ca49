"""Population-based training through the real console script, with scripts that save and
load checkpoints: every exploited trial resumes from its donor's checkpoint, every member
continues its own; scripts that ignore checkpoints still run (from scratch) and the report
says so; an interrupted trial resumes from its last checkpoint."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from e2e_helpers import copy_example, results, train, write_study

from hpo_bridge.store import Store

# Training is deterministic: each epoch w += lr * (1 - w). The checkpoint names the trial
# that wrote it and its epoch; a resumed trial prints what it loaded.
SCRIPT = """\
import argparse, json, os, pathlib, time
import hpo_bridge

p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--epochs", type=int)
a = p.parse_args()
me = os.environ["HPO_BRIDGE_TRIAL_ID"]
save = pathlib.Path(os.environ["HPO_BRIDGE_CHECKPOINT_DIR"]) / "model.json"
state = {"epoch": 0, "w": 0.0, "by": me}
restore = os.environ.get("HPO_BRIDGE_RESTORE_FROM")
if restore and LOADS:
    state = json.loads((pathlib.Path(restore) / "model.json").read_text())
    print(f"resumed from trial {state['by']} at epoch {state['epoch']}", flush=True)
while state["epoch"] < a.epochs:
    state["w"] += a.lr * (1 - state["w"])
    state["epoch"] += 1
    state["by"] = me
    if SAVES:
        save.with_suffix(".tmp").write_text(json.dumps(state))
        os.replace(save.with_suffix(".tmp"), save)
    hpo_bridge.report(acc=state["w"])
    if pathlib.Path(os.environ["HPO_BRIDGE_TRIAL_DIR"], "..", "..", "hold").exists():
        time.sleep(60)  # a long epoch: the test interrupts the study now
"""


def script(saves: bool = True, loads: bool = True) -> str:
    return f"SAVES, LOADS = {saves}, {loads}\n" + SCRIPT


def pbt_spec(**strategy: Any) -> dict[str, Any]:
    return {
        "name": "pbt-e2e",
        "objective": {"metric": "acc", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.01, "high": 0.5, "scale": "log"}},
        "strategy": {"algorithm": "pbt", "seed": 4, "population_size": 4,
                     "perturbation_interval": 2, **strategy},
        "limits": {"max_parallel": 4},
        "trial": {"command": ["python", "train.py"],
                  "resource": {"name": "epochs", "min": 1, "max": 6}},
    }


def run_study(hpo, tmp_path: Path, source: str, spec: dict[str, Any]) -> tuple[Path, list]:
    path = write_study(tmp_path / "job", source, spec)
    study = tmp_path / "study"
    out = hpo("run", path, "--study-dir", study)
    assert out.returncode == 0, out.stderr
    return study, {t["id"]: t for t in results(hpo, study)}


def stdout(study: Path, trial: int) -> str:
    return (study / "trials" / str(trial) / "stdout.log").read_text()


def test_each_exploited_trial_resumes_from_its_donors_checkpoint(hpo, tmp_path):
    study, trials = run_study(hpo, tmp_path, script(), pbt_spec(synch=True))
    assert len(trials) == 12 and {t["status"] for t in trials.values()} == {"completed"}
    exploited = continued = 0
    for t in trials.values():
        lr, start, donor = t["params"]["lr"], t["start"], t["restored_from"]
        own = t["metrics"]["acc"][start:]
        if donor is None:  # a member's first segment: from scratch, epochs 1-2
            assert (start, t["resource"]) == (0, 2)
            assert "resumed" not in stdout(study, t["id"])
            assert own == train(0.0, lr, 2)
            continue
        source = trials[donor]
        # It loaded the donor's checkpoint: written by the donor, at the donor's last epoch.
        assert stdout(study, t["id"]).splitlines()[0] == \
            f"resumed from trial {donor} at epoch {start}"
        assert start == source["resource"] and t["resource"] == start + 2
        # Its curve is the donor's up to there, then its own training of that model.
        assert t["metrics"]["acc"][:start] == source["metrics"]["acc"]
        assert own == train(source["metrics"]["acc"][-1], lr, 2)
        assert t["checkpoint"] == f"continued trial {donor} after epoch {start}"
        if "copies trial" in t["origin"]:
            exploited += 1
            assert f"copies trial {donor} " in t["origin"]
            assert source["params"] != t["params"] or "no change" in t["origin"]
        else:
            continued += 1
            assert f"continues trial {donor} ({source['objective']:.6g} at epoch {start}," \
                in t["origin"]
            assert source["params"] == t["params"]
    # Synchronous rounds of 4 with one member in the bottom quantile: one copy per round.
    assert (exploited, continued) == (2, 6)
    # The copies are journaled decisions, and the same run gives the same lineage.
    again, _ = run_study(hpo, tmp_path / "again", script(), pbt_spec(synch=True))
    assert [(t["restored_from"], t["params"]) for t in results(hpo, again)] == \
        [(t["restored_from"], t["params"]) for t in trials.values()]


def test_asynchronous_pbt_resumes_every_restored_trial_from_its_source(hpo, tmp_path):
    study, trials = run_study(hpo, tmp_path, script(), pbt_spec())
    restored = [t for t in trials.values() if t["restored_from"] is not None]
    assert len(restored) == 8
    for t in restored:
        donor, start = t["restored_from"], t["start"]
        assert stdout(study, t["id"]).startswith(f"resumed from trial {donor} at epoch {start}")
        assert t["metrics"]["acc"][start:] == train(
            trials[donor]["metrics"]["acc"][-1], t["params"]["lr"], t["resource"] - start)


def test_a_script_that_keeps_no_checkpoints_runs_from_scratch_and_the_report_says_so(
        hpo, tmp_path):
    study, trials = run_study(hpo, tmp_path, script(saves=False, loads=False),
                              pbt_spec(synch=True))
    restored = [t for t in trials.values() if t["restored_from"] is not None]
    assert len(restored) == 8
    for t in restored:
        assert t["start"] == 0
        assert t["checkpoint"] == (f"trial {t['restored_from']} saved no checkpoint (its"
                                   " checkpoints/ folder is empty): started from scratch")
        # It trained its whole budget from epoch 1.
        assert t["metrics"]["acc"] == train(0.0, t["params"]["lr"], t["resource"])
    table = hpo("results", study)
    assert f"{restored[0]['restored_from']}@0" in table.stdout
    assert hpo("report", study, "-o", tmp_path / "report.html").returncode == 0
    html = (tmp_path / "report.html").read_text()
    assert "8 trial(s) meant to continue a checkpoint started from scratch" in html
    assert "saved no checkpoint" in html


def test_a_script_that_saves_but_never_loads_is_found_out_by_its_reports(hpo, tmp_path):
    study, trials = run_study(hpo, tmp_path, script(loads=False), pbt_spec(synch=True))
    for t in trials.values():
        if t["restored_from"] is None:
            continue
        # It reported its whole budget, more than its checkpoint left: from scratch.
        assert t["start"] == 0 and t["status"] == "completed"
        assert t["checkpoint"] == (
            f"restarted from scratch: it reported more intervals than the checkpoint of"
            f" trial {t['restored_from']} left (its script ignores checkpoints)")
        assert t["metrics"]["acc"] == train(0.0, t["params"]["lr"], t["resource"])


def _wait_for(study: Path, enough, seconds: float = 60.0) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(0.05)
        if Store.exists(study):
            with Store.open(study) as store:
                if enough(store.trials()):
                    return
    raise AssertionError("the study did not get there")


def test_resume_continues_an_interrupted_trial_from_its_last_checkpoint(hpo, cli_exe,
                                                                        tmp_path):
    spec = {**pbt_spec(), "strategy": {"algorithm": "random", "seed": 1},
            "limits": {"max_trials": 1}}
    path = write_study(tmp_path / "job", script(), spec)
    study = tmp_path / "study"
    study.mkdir()
    (study / "hold").touch()  # every epoch now takes a minute
    proc = subprocess.Popen([str(cli_exe), "run", str(path), "--study-dir", str(study)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(study, lambda trials: bool(trials) and len(trials[0].values) == 1)
        (study / "hold").unlink()
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=60) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    out = hpo("resume", study)
    assert out.returncode == 0, out.stderr
    (trial,) = results(hpo, study)
    assert (trial["status"], trial["attempt"], trial["restored_from"], trial["start"]) == (
        "completed", 2, 1, 1)
    assert stdout(study, 1).splitlines()[0] == "resumed from trial 1 at epoch 1"
    assert trial["metrics"]["acc"] == train(0.0, trial["params"]["lr"], 6)
    assert trial["checkpoint"] == "resumed its interrupted attempt after epoch 1"
    first = json.loads((study / "trials" / "1.attempt-1" / "checkpoints" / "model.json")
                       .read_text())
    assert first["epoch"] == 1


def test_the_pbt_example_tunes_sgd_from_pickled_checkpoints(hpo, tmp_path):
    spec = copy_example("pbt", tmp_path, trial={"resource": {"name": "epochs", "min": 1,
                                                             "max": 6}})
    out = hpo("run", spec, "--study-dir", tmp_path / "study", timeout=300)
    assert out.returncode == 0, out.stderr
    trials = results(hpo, tmp_path / "study")
    assert len(trials) == 8 and {t["status"] for t in trials} == {"completed"}
    for t in trials[4:]:  # every second segment resumed its source's pickled model
        log = (tmp_path / "study" / "trials" / str(t["id"]) / "stdout.log").read_text()
        assert log.startswith("resumed at epoch 3")
        assert t["restored_from"] in (1, 2, 3, 4) and len(t["metrics"]["error"]) == 6
