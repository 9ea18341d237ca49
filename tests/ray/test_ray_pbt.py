"""PBT with its trials on the Ray cluster: checkpoints stay on the node that wrote them, so
a trial meant to continue one starts from scratch, and the results say so."""

from __future__ import annotations

from ray_helpers import results, start, write_job

SCRIPT = """\
import os, sys
import hpo_bridge

args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
lr, epochs = float(args["lr"]), int(args["epochs"])
assert "HPO_BRIDGE_RESTORE_FROM" not in os.environ
w = 0.0
for epoch in range(epochs):
    w += lr * (1 - w)
    hpo_bridge.report(acc=w)
"""


def test_pbt_on_ray_restarts_restored_trials_from_scratch(ray_cluster, tmp_path):
    spec = write_job(tmp_path / "job", SCRIPT, {
        "name": "ray-pbt",
        "objective": {"metric": "acc", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.01, "high": 0.5, "scale": "log"}},
        "strategy": {"algorithm": "pbt", "seed": 4, "population_size": 2,
                     "perturbation_interval": 2, "synch": True},
        "limits": {"max_parallel": 2},
        "trial": {"command": ["python", "train.py"],
                  "resource": {"name": "epochs", "min": 1, "max": 4}},
        "backends": {"ray": {"node_dir": str(tmp_path / "nodes")}},
    })
    run = start("run", spec, "--study-dir", tmp_path / "study", "--executor", "ray",
                "--ray-address", ray_cluster.address)
    _, err = run.communicate(timeout=240)
    assert run.returncode == 0, err
    trials = results(tmp_path / "study")
    assert [t["restored_from"] is not None for t in trials] == [False, False, True, True]
    for t in trials[2:]:
        assert t["start"] == 0 and len(t["metrics"]["acc"]) == 4  # trained from epoch 1
        assert t["checkpoint"] == ("the ray executor moves no checkpoint between the"
                                   " cluster's nodes: started from scratch")
