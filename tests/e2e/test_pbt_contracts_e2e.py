"""PBT under each cloud's trial contract, through the console script: each script finds the
checkpoint to resume from where its cloud puts it - SageMaker's /opt/ml/checkpoints
(SM_CHECKPOINT_DIR here), Vertex's AIP_CHECKPOINT_DIR, Azure's --resume-from (saving to
./outputs) - and every restored trial continues its source's training."""

from __future__ import annotations

from typing import Any

import pytest
from e2e_helpers import needs, results, train, write_study

# Per contract: how the script gets its arguments' names right, where it loads from and
# saves to, and how it reports. The training is deterministic: w += lr * (1 - w).
SCRIPTS = {
    "sagemaker": """\
import argparse, json, os, pathlib
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--epochs", type=int)
a = p.parse_args()
folder = pathlib.Path(os.environ.get("SM_CHECKPOINT_DIR", "/opt/ml/checkpoints"))
load = save = folder / "model.json"
me = os.environ["TRAINING_JOB_NAME"].rsplit("-", 1)[1].lstrip("0")
def report(epoch, w):
    print(f"epoch {epoch} acc={w!r}", flush=True)
""",
    "vertex": """\
import argparse, json, os, pathlib
import hypertune
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--epochs", type=int)
a = p.parse_args()
load = save = pathlib.Path(os.environ["AIP_CHECKPOINT_DIR"]) / "model.json"
me = os.environ["CLOUD_ML_TRIAL_ID"]
hpt = hypertune.HyperTune()
def report(epoch, w):
    hpt.report_hyperparameter_tuning_metric(
        hyperparameter_metric_tag="acc", metric_value=w, global_step=epoch)
""",
    "azure": """\
import argparse, json, os, pathlib
import mlflow
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float)
p.add_argument("--epochs", type=int)
p.add_argument("--resume-from")
a = p.parse_args()
save = pathlib.Path("outputs") / "model.json"
save.parent.mkdir(exist_ok=True)
load = pathlib.Path(a.resume_from) / "model.json" if a.resume_from else save
me = os.environ["HPO_BRIDGE_TRIAL_ID"]
def report(epoch, w):
    mlflow.log_metric("acc", w, step=epoch)
""",
}
TRAIN = """
state = {"epoch": 0, "w": 0.0, "by": me}
if load.exists():
    state = json.loads(load.read_text())
    print(f"resumed from trial {state['by']} at epoch {state['epoch']}", flush=True)
while state["epoch"] < a.epochs:
    state["w"] += a.lr * (1 - state["w"])
    state["epoch"] += 1
    state["by"] = me
    save.write_text(json.dumps(state))
    report(state["epoch"], state["w"])
"""
COMMANDS = {
    "sagemaker": ["python", "train.py"],
    "vertex": ["python", "train.py"],
    "azure": "python train.py --lr ${{search_space.lr}} --epochs ${{search_space.epochs}}",
}
NEEDS = {"vertex": "hypertune", "azure": "mlflow"}


@pytest.mark.parametrize("contract", ["sagemaker", "vertex", "azure"])
def test_pbt_resumes_from_the_checkpoint_where_each_cloud_puts_it(hpo, tmp_path, contract):
    if contract in NEEDS:
        needs(NEEDS[contract])
    spec: dict[str, Any] = {
        "name": f"pbt-{contract}",
        "objective": {"metric": "acc", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.01, "high": 0.5, "scale": "log"}},
        "strategy": {"algorithm": "pbt", "seed": 4, "population_size": 2,
                     "perturbation_interval": 2, "synch": True},
        "limits": {"max_parallel": 2},
        "trial": {"command": COMMANDS[contract], "contract": contract,
                  "resource": {"name": "epochs", "min": 1, "max": 4}},
    }
    if contract == "sagemaker":
        spec["metrics"] = [{"name": "acc", "regex": "acc=([0-9.]+)"}]
    path = write_study(tmp_path / "job", SCRIPTS[contract] + TRAIN, spec)
    study = tmp_path / "study"
    out = hpo("run", path, "--study-dir", study, timeout=300)
    assert out.returncode == 0, out.stderr
    trials = {t["id"]: t for t in results(hpo, study)}
    assert len(trials) == 4 and {t["status"] for t in trials.values()} == {"completed"}
    for t in trials.values():
        log = (study / "trials" / str(t["id"]) / "stdout.log").read_text()
        donor, start, lr = t["restored_from"], t["start"], t["params"]["lr"]
        if donor is None:
            assert "resumed" not in log
            assert t["metrics"]["acc"] == train(0.0, lr, 2)
            continue
        assert (start, t["resource"]) == (2, 4)
        assert log.splitlines()[0] == f"resumed from trial {donor} at epoch 2"
        assert t["metrics"]["acc"] == trials[donor]["metrics"]["acc"] + train(
            trials[donor]["metrics"]["acc"][-1], lr, 2)
    # Two members, one each side: the worse copies the better once.
    assert sum("copies trial" in (t["origin"] or "") for t in trials.values()) == 1
