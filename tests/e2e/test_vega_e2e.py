"""Vega's hpo.yml, as its documentation writes it, run unchanged by the real `hpo-bridge`
command with a script written the way Vega's hpo_sample.py is: Vega's task layout with the
right files and values, the sentinel of a timed-out task, multi-device search, import."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_helpers import EXAMPLES

SLOW_MODEL = '''\
import time


def accuracy(lr, momentum, epochs, pretrained):
    """A training that hangs for large learning rates (worker.timeout ends it)."""
    if lr > 0.008:
        time.sleep(60)
    return round(0.9 - lr * 10, 6)
'''


@pytest.fixture
def vega(cli_exe, tmp_path):
    """The examples/vega folder copied; `vega(*args, env=...)` runs hpo-bridge in it."""
    folder = tmp_path / "vega"
    shutil.copytree(EXAMPLES / "vega", folder, ignore=shutil.ignore_patterns("tasks"))

    def call(*args: Any, env: dict[str, str] | None = None,
             timeout: float = 180) -> subprocess.CompletedProcess[str]:
        environ = {k: v for k, v in os.environ.items()
                   if k not in ("NPU_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES", "DEVICE_ID")}
        environ.update({"PYTHONUNBUFFERED": "1", "COLUMNS": "200", **(env or {})})
        return subprocess.run([str(cli_exe), *map(str, args)], capture_output=True,
                              text=True, env=environ, cwd=folder, timeout=timeout)

    call.folder = folder  # type: ignore[attr-defined]
    return call


def edit(path: Path, **replacements: str) -> None:
    text = path.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    path.write_text(text)


def task_folder(folder: Path) -> Path:
    (task,) = (folder / "tasks").iterdir()
    assert re.fullmatch(r"\d{4}\.\d{6}\.\d{3}", task.name)  # Vega's task id
    return task


def read_json(path: Path) -> Any:
    return json.loads(path.read_text())


def toy_model(folder: Path):
    spec = importlib.util.spec_from_file_location("toy_model", folder / "pkg" / "toy_model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def trials_of(task: Path) -> dict[int, dict[str, Any]]:
    """The journal's trials, read from study.db itself."""
    with sqlite3.connect(task / "study.db") as db:
        rows = db.execute("SELECT id, params, status, stage, started_at, ended_at FROM trials")
        return {r[0]: {"params": json.loads(r[1]), "status": r[2], "stage": r[3],
                       "started": r[4], "ended": r[5]} for r in rows}


def test_the_documents_hpo_yml_runs_unchanged_and_leaves_vegas_task_layout(vega):
    folder = vega.folder
    out = vega("run", "hpo.yml")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.splitlines()[:2] == [
        "warning: hpo.yml: line 13: general.logger.level: not mapped: hpo-bridge's own output"
        " is fixed; each trial's output goes to its log",
        "warning: hpo.yml: line 36: hpo.trainer.objectives.avg_time: not among"
        " search_algorithm.objective_keys (accuracy): Vega does not optimise it either",
    ]
    task = task_folder(folder)
    trials = trials_of(task)
    search = {i: t for i, t in trials.items() if t["stage"] == "hpo"}
    assert sorted(search) == list(range(1, 11))  # num_sample: 10
    assert all(t["status"] == "completed" for t in trials.values())
    model = toy_model(folder)
    expected = {i: model.accuracy(t["params"]["lr"], 0.9, 3, True) for i, t in search.items()}
    best = max(expected, key=lambda i: (expected[i], -i))
    (full_id,) = [i for i, t in trials.items() if t["stage"] == "fullytrain"]

    for worker, trial in search.items():  # workers/hpo/<id>/ and the worker logs
        files = task / "workers" / "hpo" / str(worker)
        assert read_json(files / f"hps_{worker}.json") == trial["params"]
        assert read_json(files / f"performance_{worker}.json") == {"accuracy": expected[worker]}
        written = read_json(task / "trials" / str(worker) / "accuracy.json")
        assert written == {"accuracy": expected[worker]}  # what the script wrote, ./accuracy.json
        log = (task / "logs" / f"hpo_worker_{worker}.log").read_text()
        assert log == (task / "trials" / str(worker) / "stdout.log").read_text()
        assert log.startswith(f"hpo: 3 epochs on npu:0, lr {trial['params']['lr']}\n")
        launch = read_json(task / "trials" / str(worker) / "launch.json")
        assert launch["argv"][2:] == [f"--lr={trial['params']['lr']!r}", "--momentum=0.9",
                                      "--pretrained", f"--config_file={folder / 'config.yml'}"]
        assert launch["env"] == {  # RandomSearch: no EPOCHS
            "PIPESTEP": "hpo",
            "HPO_BRIDGE_CHECKPOINT_DIR": str(task / "trials" / str(worker) / "checkpoints")}
    result = {"hps": search[best]["params"], "accuracy": expected[best]}
    assert read_json(task / "output/hpo" / f"hps_{best}.json") == search[best]["params"]
    assert read_json(task / "output/hpo" / f"performance_{best}.json") == {
        "accuracy": expected[best]}
    assert (task / "output/hpo/output.csv").read_text() == (
        f"worker_id,performance,desc\n{best},\"{result!r}\",{search[best]['params']!r}\n")
    assert sorted(p.name for p in (task / "output" / "fullytrain").iterdir()) == [
        "output.csv", f"performance_{best}.json"]
    assert read_json(task / "workers/fullytrain" / str(best) / f"performance_{best}.json") == {
        "accuracy": expected[best]}
    full_log = (task / "logs" / f"fullytrain_worker_{best}.log").read_text()
    assert full_log.startswith("fullytrain: 3 epochs on npu:0")
    assert read_json(task / "trials" / str(full_id) / "launch.json")["env"] == {
        "PIPESTEP": "fullytrain",
        "HPO_BRIDGE_CHECKPOINT_DIR": str(task / "trials" / str(full_id) / "checkpoints")}
    assert (task / "output" / "hpo.yml").read_text() == (folder / "hpo.yml").read_text()
    reports = read_json(task / "output" / "reports.json")
    assert [s["step_name"] for s in reports["_steps_"]] == ["hpo", "fullytrain"]
    assert len(reports["hpo"]) == 10 and reports["fullytrain"][0]["worker_id"] == best

    summary = out.stdout[:out.stdout.index("study finished")].splitlines()
    assert summary[:5] == ["-" * 48, "  Pipeline end.", "", f"  task id: {task.name}",
                           f"  output folder: {task.resolve() / 'output'}"]
    assert re.fullmatch(r"               hpo:  0:00:\d\d  \[\S+ \S+ - \S+ \S+\]", summary[7])
    assert re.fullmatch(r"        fullytrain:  0:00:\d\d  \[\S+ \S+ - \S+ \S+\]", summary[8])
    assert summary[-3:] == ["  result:", f"  {best:>3d}:  {result!r}", "-" * 48]
    log = (task / "logs" / "pipeline.log").read_text().splitlines()
    assert [line.split(" INFO ", 1)[1] for line in log[-len(summary):]] == summary
    status = vega("status", task)
    assert status.returncode == 0 and "trials: 10 of 10 + 1 fullytrain" in status.stdout


def test_a_timed_out_task_shows_the_sentinel_in_a_multi_device_search(vega):
    folder = vega.folder
    edit(folder / "hpo.yml", **{"timeout: 150": "timeout: 2", "num_sample: 10": "num_sample: 6",
                                "parallel_search: False": "parallel_search: True"})
    (folder / "pkg" / "toy_model.py").write_text(SLOW_MODEL)
    out = vega("run", "hpo.yml", env={"NPU_VISIBLE_DEVICES": "3,4"})
    assert out.returncode == 0, out.stderr
    task = task_folder(folder)
    trials = trials_of(task)
    search = {i: t for i, t in trials.items() if t["stage"] == "hpo"}
    slow = {i for i, t in search.items() if t["params"]["lr"] > 0.008}
    assert slow and slow != set(search)
    reports = {r["worker_id"]: r for r in read_json(task / "output/reports.json")["hpo"]}
    for worker, trial in search.items():
        performance = (task / "workers/hpo" / str(worker) / f"performance_{worker}.json")
        if worker in slow:
            assert trial["status"] == "timeout"
            assert performance.read_text() == '{"accuracy": -9e+16}\n'
            assert reports[worker]["status"] == "error"
            assert reports[worker]["message"] == "trial_timeout 2s exceeded"
        else:
            assert trial["status"] == "completed"
            assert read_json(performance) == {"accuracy": round(0.9 - trial["params"]["lr"] * 10,
                                                                6)}
    # each trial got one of the listed devices as DEVICE_ID, never one another trial held
    devices = {i: read_json(task / "trials" / str(i) / "launch.json")["env"]["DEVICE_ID"]
               for i in trials}
    assert set(devices.values()) == {"3", "4"}
    for i in trials:
        for j in trials:
            overlap = i < j and trials[i]["started"] < trials[j]["ended"] \
                and trials[j]["started"] < trials[i]["ended"]
            assert not (overlap and devices[i] == devices[j]), (i, j)
    assert any(trials[i]["started"] < trials[j]["ended"] and trials[j]["started"]
               < trials[i]["ended"] for i in trials for j in trials if i < j)  # in parallel
    printed = (task / "trials" / "1" / "stdout.log").read_text()
    assert printed.startswith(f"hpo: 3 epochs on npu:{devices[1]}")
    assert "timeout (trial_timeout 2s exceeded), performance: {'accuracy': -9e+16}" in (
        task / "logs" / "pipeline.log").read_text()


def test_import_and_validate_take_the_vega_file(vega, tmp_path):
    folder = vega.folder
    out = vega("import", "hpo.yml", "--from", "vega", "-o", "spec.yaml")
    assert out.returncode == 0, out.stderr
    assert out.stderr.splitlines() == [
        "warning: hpo.yml: line 13: general.logger.level: not mapped: hpo-bridge's own output"
        " is fixed; each trial's output goes to its log",
        "warning: hpo.yml: line 36: hpo.trainer.objectives.avg_time: not among"
        " search_algorithm.objective_keys (accuracy): Vega does not optimise it either",
        "wrote spec.yaml",
    ]
    spec = yaml.safe_load((folder / "spec.yaml").read_text())
    assert spec["trial"]["command"] == ["python", "../hpo_sample.py"]
    assert spec["strategy"] == {"algorithm": "random"} and spec["limits"]["max_trials"] == 10
    assert vega("validate", "spec.yaml").returncode == 0
    checked = vega("validate", "hpo.yml")
    assert checked.returncode == 0
    assert checked.stdout == "hpo.yml: ok (1 parameters, strategy random, 10 trials)\n"
    edit(folder / "hpo.yml", **{"type: RandomSearch": "type: PBTHpo"})
    pbt = vega("validate", "hpo.yml")
    assert pbt.returncode == 0, pbt.stderr
    assert pbt.stdout == "hpo.yml: ok (1 parameters, strategy pbt, 3200 trials)\n"


def test_enable_arg_check_passes_only_what_the_script_accepts(vega):
    folder = vega.folder
    edit(folder / "hpo.yml", **{"num_sample: 10": "num_sample: 1",
                                "pretrained: ~": "pretrained: ~\n      weight_decay: 0.1",
                                "pipeline: [hpo, fullytrain]": "pipeline: [hpo]"})
    out = vega("run", "hpo.yml")
    assert out.returncode == 0, out.stderr
    task = task_folder(folder)
    argv = read_json(task / "trials" / "1" / "launch.json")["argv"]
    assert not any(a.startswith("--weight_decay") for a in argv) and "--pretrained" in argv
    # without the check, the script refuses the argument it does not know
    shutil.rmtree(folder / "tasks")
    edit(folder / "hpo.yml", **{"enable_arg_check: True": "enable_arg_check: False"})
    out = vega("run", "hpo.yml")
    assert out.returncode == 1
    assert "unrecognized arguments: --weight_decay=0.1" in out.stdout + out.stderr
