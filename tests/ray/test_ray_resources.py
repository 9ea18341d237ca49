"""What a trial asks of the cluster and gets: GPUs from Ray's scheduler (whole or shared),
custom resources, the runtime environment, the code folder as the packager ships it,
trial_timeout; and a request no node can meet, refused before the study starts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ray_helpers import hpo, node_of, results, trial_processes, write_job

SCRIPT = """\
import os, sys, time
import hpo_bridge

here = os.path.dirname(os.path.abspath(__file__))
print(json.dumps({
    "cuda": os.environ.get("CUDA_VISIBLE_DEVICES"),
    "greeting": os.environ.get("GREETING"),
    "shipped": sorted(os.listdir(here)),
}), flush=True) if (json := __import__("json")) else None
open("trial.pid", "w").write(str(os.getpid()))
time.sleep(float(sys.argv[-1].split("=", 1)[1]))
hpo_bridge.report(loss=0.5)
"""


def _spec(node_dir: Path, seconds: float, trials: int = 2, **ray) -> dict:
    return {
        "name": "resources",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "limits": {"max_trials": trials, "max_parallel": trials},
        "trial": {"command": ["python", "train.py"], "args": {"seconds": seconds}},
        "backends": {"ray": {"node_dir": str(node_dir), **ray}},
    }


def _printed(study: Path, trial: int) -> dict:
    first = (study / "trials" / str(trial) / "stdout.log").read_text().splitlines()[0]
    return json.loads(first)


@pytest.mark.parametrize(("gpus", "shared"), [(1, False), (0.5, True)])
def test_gpus_are_rays_to_hand_out(ray_cluster, tmp_path, gpus, shared):
    spec = write_job(tmp_path / "job", SCRIPT,
                     _spec(tmp_path / "nodes", seconds=2.0, num_gpus=gpus, num_cpus=0.5))
    study = tmp_path / "study"
    done = hpo("run", spec, "--study-dir", study, "--executor", "ray",
               "--ray-address", ray_cluster.address)
    assert done.returncode == 0, done.stderr
    seen = []
    for trial in results(study):
        node = node_of(study, trial["id"])
        assert node["node_id"] == ray_cluster.worker_id  # the only node with GPUs
        assert _printed(study, trial["id"])["cuda"] == node["cuda_visible_devices"]
        seen.append(node["cuda_visible_devices"])
    assert all(ids in ("0", "1") for ids in seen)
    # Side by side: two whole GPUs are two devices; two halves share one.
    assert (len(set(seen)) == 1) is shared


def test_custom_resources_runtime_env_code_and_trial_timeout(ray_cluster, tmp_path):
    job = tmp_path / "job"
    for name in (".venv/bin/python", "__pycache__/train.cpython-311.pyc", "data/rows.csv"):
        (job / name).parent.mkdir(parents=True, exist_ok=True)
        (job / name).write_text("x")
    spec_data = _spec(tmp_path / "nodes", seconds=600, trials=1, resources={"big_disk": 1},
                      runtime_env={"env_vars": {"GREETING": "hello from the runtime_env"}})
    spec_data["limits"]["trial_timeout"] = "8s"  # counted from the hand-over to Ray
    spec_data["trial"]["kill_grace"] = "1s"
    spec = write_job(job, SCRIPT, spec_data)
    study = tmp_path / "study"
    done = hpo("run", spec, "--study-dir", study, "--executor", "ray",
               "--ray-address", ray_cluster.address)
    (trial,) = results(study)
    assert (trial["status"], trial["reason"]) == ("timeout", "trial_timeout 8s exceeded")
    assert done.returncode == 1  # the first trial failed: AI Platform's rule ends the study
    assert node_of(study, 1)["node_id"] == ray_cluster.worker_id  # where big_disk is
    printed = _printed(study, 1)
    assert printed["greeting"] == "hello from the runtime_env"
    assert printed["cuda"] == ""  # asked for no GPU: sees none
    assert printed["shipped"] == ["data", "spec.yaml", "train.py"]  # the packager's rules
    assert trial_processes(tmp_path / "nodes") == []


def test_a_request_no_node_can_meet_is_one_line_before_anything_runs(ray_cluster, tmp_path):
    spec = write_job(tmp_path / "job", SCRIPT, _spec(tmp_path / "nodes", 1, num_gpus=3))
    study = tmp_path / "study"
    done = hpo("run", spec, "--study-dir", study, "--executor", "ray",
               "--ray-address", ray_cluster.address)
    assert (done.returncode, done.stderr.strip()) == (
        2, "backends.ray: no node of the cluster can run a trial that asks for CPU 1, GPU 3"
           " (2 node(s); set backends.ray.autoscaling if nodes are added on demand)")
    assert not study.exists()
