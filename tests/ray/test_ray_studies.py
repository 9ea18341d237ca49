"""Seeded studies on the real two-node Ray cluster against the same studies run locally.

With one trial at a time, a seeded study on deterministic scripts is fully determined:
the Ray executor must give the very trials, metrics, statuses, reasons and stop
decisions of the process executor, while Ray's SPREAD placement puts the trials on both
nodes. The script paces its reports (PACE seconds apart) so a stop decision always lands
while the trial still runs, on either executor."""

from __future__ import annotations

from pathlib import Path

import pytest
from ray_helpers import (
    comparable,
    decisions,
    hpo,
    node_of,
    results,
    start,
    trial_processes,
    write_job,
)

PACE = 0.3  # seconds between reports
EPOCHS = 9
SCRIPT = f"""\
import sys, time
import hpo_bridge

args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
x, epochs = float(args["x"]), int(args["epochs"])
print("starting x=%s" % x, flush=True)
for epoch in range(1, epochs + 1):
    time.sleep({PACE})
    hpo_bridge.report(loss=round((x - 0.3) ** 2 + 1 / epoch, 6))
time.sleep(0.5)  # the last report is read while the trial still runs
print("done", flush=True)
"""

STUDIES = {
    "median": {
        "strategy": {"algorithm": "random", "seed": 11},
        "early_stopping": {"policy": "median", "evaluation_interval": 1,
                           "delay_evaluation": 2},
    },
    "hyperband": {
        "strategy": {"algorithm": "hyperband", "seed": 5, "reduction_factor": 3},
        "trial_resource": {"name": "epochs", "min": 1, "max": EPOCHS},
    },
}


def _spec(kind: str, node_dir: Path) -> dict:
    study = dict(STUDIES[kind])
    trial = {"command": ["python", "train.py"], "args": {"epochs": EPOCHS}}
    if "trial_resource" in study:
        trial["resource"] = study.pop("trial_resource")
    return {
        "name": f"ray-{kind}",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        **study,
        "limits": {"max_trials": 6, "max_parallel": 1},
        "trial": trial,
        "backends": {"ray": {"scheduling": "spread", "node_dir": str(node_dir)}},
    }


@pytest.mark.parametrize("kind", sorted(STUDIES))
def test_a_seeded_study_on_ray_equals_the_local_run(ray_cluster, tmp_path, kind):
    nodes = tmp_path / "nodes"
    spec = write_job(tmp_path / "job", SCRIPT, _spec(kind, nodes))
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    runs = [start("run", spec, "--study-dir", local),  # side by side: the trials mostly sleep
            start("run", spec, "--study-dir", on_ray, "--executor", "ray",
                  "--ray-address", ray_cluster.address)]
    for run in runs:
        _, err = run.communicate(timeout=240)
        assert run.returncode == 0, err

    expected, got = results(local), results(on_ray)
    assert comparable(got) == comparable(expected)
    assert decisions(on_ray) == decisions(local)
    statuses = {t["status"] for t in got}
    assert statuses == {"completed", "stopped"}, statuses  # both kinds of ending happen

    # Where each trial ran: its node (both nodes of the cluster), its folder there.
    placed = {t["id"]: node_of(on_ray, t["id"]) for t in got}
    assert {n["node_id"] for n in placed.values()} == {ray_cluster.head_id,
                                                       ray_cluster.worker_id}
    for trial_id, node in placed.items():
        assert Path(node["trial_dir"]).parent == nodes / node_dir_key(on_ray) / "trials"
        assert Path(node["trial_dir"]).name == str(trial_id)

    # The output streamed back is the trial's; a stopped trial was ended early.
    for trial in got:
        printed = (on_ray / "trials" / str(trial["id"]) / "stdout.log").read_text()
        reports = printed.count("@@hpo-bridge:report@@")
        assert printed.startswith(f"starting x={trial['params']['x']}\n")
        if trial["status"] == "completed":
            assert (reports, printed.endswith("done\n")) == (EPOCHS, True)
        else:
            assert reports < EPOCHS and "done" not in printed
        logs = hpo("logs", on_ray, trial["id"], "--stream", "stdout")
        assert (logs.returncode, logs.stdout) == (0, printed)
    assert trial_processes(nodes) == []


def node_dir_key(study: Path) -> str:
    import json

    return json.loads((study / "ray.json").read_text())["study_key"]
