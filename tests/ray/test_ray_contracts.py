"""Each cloud contract's example on the Ray cluster, against the same study run locally: the
trial gets the same argv, environment and files on its node (paths aside) and its metrics
come back through the contract's own channels (a log regex, cloudml-hypertune's file,
Vega's JSON file, an MLflow run in the node's store)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from ray_helpers import node_of, results, start, trial_processes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REFILLED = ("MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_ID")  # made anew by each MLflow store


def _example(name: str, dest: Path, node_dir: Path) -> Path:
    folder = dest / name
    shutil.copytree(EXAMPLES / name, folder)
    path = folder / "spec.yaml"
    spec = yaml.safe_load(path.read_text())
    spec["limits"] = {"max_trials": 2, "max_parallel": 1}
    spec.setdefault("backends", {})["ray"] = {"node_dir": str(node_dir)}
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _launch(study: Path, trial: int, node: dict | None) -> dict:
    """launch.json with the paths that differ between here and a node named, not spelt."""
    folder = study / "trials" / str(trial)
    launch = json.loads((folder / "launch.json").read_text())
    trial_dir = Path(node["trial_dir"]) if node else folder.resolve()
    code = Path(launch["argv"][1]).parent  # [python, <code>/train.py, ...]
    swaps = [(str(trial_dir), "<trial>"), (str(trial_dir.parent.parent), "<study>"),
             (str(code), "<code>")]

    def named(text: str) -> str:
        for path, name in swaps:
            text = text.replace(path, name)
        return text

    env = {k: "<new>" if k in REFILLED else named(v) for k, v in launch["env"].items()}
    python = str(Path(launch["argv"][0]).resolve())  # python or python3.11 of one venv
    return {"argv": [python, *map(named, launch["argv"][1:])], "env": env}


@pytest.mark.parametrize("contract", ["sagemaker", "vertex", "vega", "azure"])
def test_a_contracts_example_runs_on_a_node_as_it_does_here(ray_cluster, tmp_path, contract):
    nodes = tmp_path / "nodes"
    spec = _example(contract, tmp_path, nodes)
    local, on_ray = tmp_path / "local", tmp_path / "ray"
    runs = [start("run", spec, "--study-dir", local),
            start("run", spec, "--study-dir", on_ray, "--executor", "ray",
                  "--ray-address", ray_cluster.address)]
    for run in runs:
        _, err = run.communicate(timeout=240)
        assert run.returncode == 0, err
    expected, got = results(local), results(on_ray)
    assert len(got) == len(expected) >= 2
    for mine, theirs in zip(got, expected, strict=True):
        same = ("id", "params", "status", "objective", "reason")
        assert {k: mine[k] for k in same} == {k: theirs[k] for k in same}
        if contract != "vega":  # a rewritten file is read when it is read: not every value
            assert mine["metrics"] == theirs["metrics"]
        node = node_of(on_ray, mine["id"])
        assert _launch(on_ray, mine["id"], node) == _launch(local, mine["id"], None)
    assert trial_processes(nodes) == []
