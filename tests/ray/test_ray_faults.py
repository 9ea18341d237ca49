"""Faults of a study on a Ray cluster: a node lost mid-trial, the orchestrator SIGKILLed
(then `resume`, or nobody), the cluster itself going away (then `resume` once it is back).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path

from cluster_helpers import OBJECT_STORE, SYSTEM_CONFIG, start_cluster
from ray_helpers import (
    hpo,
    node_of,
    results,
    start,
    stored_trials,
    trial_processes,
    wait_until,
    write_job,
)

# Each trial forks a child that lives as long as it does (a data loader, say) and writes
# the time now and then; the trial writes when it started.
SCRIPT = """\
import os, sys, time
import hpo_bridge

def write(name, text):
    with open(name + ".tmp", "w") as fh:
        fh.write(text)
    os.replace(name + ".tmp", name)

args = dict(a[2:].split("=", 1) for a in sys.argv[1:])
x, epochs = float(args["x"]), int(args["epochs"])
write("started", repr(time.time()))
if os.fork() == 0:
    write("child.pid", str(os.getpid()))
    while True:
        write("beat", repr(time.time()))
        time.sleep(0.05)
for epoch in range(1, epochs + 1):
    time.sleep(0.25)
    hpo_bridge.report(loss=(x - 0.3) ** 2 + 1 / epoch)
"""


def _spec(node_dir: Path, epochs: int, trials: int, parallel: int, **ray) -> dict:
    return {
        "name": "faults",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 3},
        "limits": {"max_trials": trials, "max_parallel": parallel},
        "trial": {"command": ["python", "train.py"], "args": {"epochs": epochs},
                  "kill_grace": "2s"},
        "backends": {"ray": {"node_dir": str(node_dir), **ray}},
    }


def _running_with_metrics(study: Path, count: int) -> list:
    def enough() -> list:
        running = [t for t in stored_trials(study) if t.status.value == "running" and t.values]
        return running if len(running) >= count else []
    return wait_until(enough, what=f"{count} trial(s) running with a metric")


def test_a_node_lost_mid_trial_cancels_its_trial_and_the_study_goes_on(ray_cluster, tmp_path):
    doomed = ray_cluster.add_node(num_cpus=1)
    nodes = tmp_path / "nodes"
    spec = write_job(tmp_path / "job", SCRIPT,
                     _spec(nodes, epochs=16, trials=4, parallel=3, scheduling="spread"))
    study = tmp_path / "study"
    run = start("run", spec, "--study-dir", study, "--executor", "ray",
                "--ray-address", ray_cluster.address)
    removed = False
    try:
        # Three trials, three nodes of one CPU each: one trial runs on the doomed node.
        running = _running_with_metrics(study, 3)
        on_doomed = [t.id for t in running if node_of(study, t.id)["node_id"] == doomed.node_id]
        assert len(on_doomed) == 1
        lost_pids = trial_processes(Path(node_of(study, on_doomed[0])["trial_dir"]))
        assert lost_pids
        ray_cluster.remove_node(doomed)
        removed = True
        _, err = run.communicate(timeout=180)
    finally:
        run.kill()
        if not removed:  # the shared cluster must not keep a third node for later tests
            ray_cluster.remove_node(doomed)
    assert run.returncode == 0, err
    trials = {t["id"]: t for t in results(study)}
    lost = trials.pop(on_doomed[0])
    assert lost["status"] == "cancelled"
    assert lost["reason"].startswith(f"node lost: node {doomed.node_id[:8]} (")
    assert lost["intervals"] >= 1
    assert [t["status"] for t in trials.values()] == ["completed"] * 3
    assert all(node_of(study, i)["node_id"] != doomed.node_id for i in trials
               if i > max(trials))  # the study went on elsewhere
    assert trial_processes(nodes) == []  # the lost trial died with its runner


def test_sigkilled_orchestrator_then_resume_ends_what_it_left_on_the_cluster(
        ray_cluster, tmp_path):
    nodes = tmp_path / "nodes"
    spec = write_job(tmp_path / "job", SCRIPT,
                     _spec(nodes, epochs=8, trials=4, parallel=2, orphan_timeout="10m"))
    study = tmp_path / "study"
    run = start("run", spec, "--study-dir", study, "--executor", "ray",
                "--ray-address", ray_cluster.address)
    try:
        killed = _running_with_metrics(study, 2)
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.wait(timeout=30)
    left = {t.id: Path(node_of(study, t.id)["trial_dir"]) for t in killed}
    time.sleep(1.0)  # the orchestrator is gone; its trials run on, on the cluster
    left_pids = trial_processes(nodes)
    assert len(left_pids) >= 4  # two trials: each a shepherd, the script and its child
    assert all((folder / "beat").exists() for folder in left.values())

    done = hpo("resume", study)
    assert done.returncode == 0, done.stderr
    assert trial_processes(nodes) == []  # nothing of the killed run, nor of the resume
    trials = {t["id"]: t for t in results(study)}
    assert [trials[i]["status"] for i in trials] == ["completed"] * len(trials)
    for trial_id, folder in left.items():
        # Cut short by the kill, it ran again (same id, its second attempt) once what the
        # killed run left on the cluster was ended. On the same node, its first attempt's
        # folder was put aside.
        assert trials[trial_id]["attempt"] == 2
        first = folder.with_name(f"{trial_id}.attempt-1")
        last_beat = float(((first if first.exists() else folder) / "beat").read_text())
        again = Path(node_of(study, trial_id)["trial_dir"])
        assert float((again / "started").read_text()) > last_beat


def test_runners_whose_orchestrator_is_gone_end_their_trials_after_the_lease(
        ray_cluster, tmp_path):
    nodes = tmp_path / "nodes"
    spec = write_job(tmp_path / "job", SCRIPT,
                     _spec(nodes, epochs=400, trials=1, parallel=1, orphan_timeout="3s"))
    study = tmp_path / "study"
    run = start("run", spec, "--study-dir", study, "--executor", "ray",
                "--ray-address", ray_cluster.address)
    try:
        _running_with_metrics(study, 1)
        os.kill(run.pid, signal.SIGKILL)
    finally:
        run.wait(timeout=30)
    assert trial_processes(nodes)
    wait_until(lambda: not trial_processes(nodes), seconds=60,
               what="the orphaned trial's end")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_cluster_stops_the_study_with_one_line_then_resume_continues(tmp_path):
    port = _free_port()
    cluster = start_cluster(gcs_server_port=port)
    try:
        address = cluster.address
        nodes = tmp_path / "nodes"
        spec = write_job(tmp_path / "job", SCRIPT,
                         _spec(nodes, epochs=12, trials=2, parallel=1,
                               unreachable_after="3s"))
        study = tmp_path / "study"
        run = start("run", spec, "--study-dir", study, "--executor", "ray",
                    "--ray-address", address)
        try:
            _running_with_metrics(study, 1)
            cluster.remove_node(cluster.head_node, allow_graceful=False)
            _, err = run.communicate(timeout=120)
        finally:
            run.kill()
        assert run.returncode == 130
        assert err.strip().splitlines() == [
            f"the Ray cluster at {address} stopped answering (its head node is"
            f" down or out of reach; details in {study.resolve() / 'ray-link.log'});"
            f" resume with: hpo-bridge resume {study}"]
        status = json.loads(hpo("status", study, "--json").stdout)
        assert status["status"] == "interrupted"
        assert trial_processes(nodes) == []  # the trial died with its node

        # The cluster is back, at the same address.
        cluster.add_node(gcs_server_port=port, num_cpus=1, include_dashboard=False,
                         object_store_memory=OBJECT_STORE, _system_config=SYSTEM_CONFIG)
        done = hpo("resume", study)
        assert done.returncode == 0, done.stderr
        trials = results(study)
        # The trial the outage cut short ran again (its second attempt), then the rest.
        assert trials[0]["attempt"] == 2
        assert [t["status"] for t in trials] == ["completed"] * 2  # max_trials, ids once
        assert trial_processes(nodes) == []
    finally:
        cluster.shutdown()
