"""run / resume / status / results / best through the CLI, on the simulator."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from cli_support import cli_app, invoke

from hpo_bridge.store import Store

RESULT_KEYS = {"id", "params", "status", "intervals", "objective", "metrics", "reason",
               "resource", "exit_code", "stage", "attempt", "started", "ended", "duration",
               "restored_from", "start", "origin", "checkpoint"}

ASHA = {
    "name": "asha-curves",
    "objective": {"metric": "accuracy", "goal": "maximize"},
    "search_space": {"config": {"type": "int", "low": 0, "high": 99}},
    "strategy": {"algorithm": "hyperband", "seed": 3, "min_resource": 1, "max_resource": 27,
                 "reduction_factor": 3},
    "limits": {"max_trials": 30, "max_parallel": 3},
}


@pytest.fixture(scope="module")
def app():
    return cli_app()



def write_spec(tmp_path: Path, data: dict, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_run_then_results_json_shape_and_determinism(app, tmp_path):
    spec = write_spec(tmp_path, ASHA)
    outputs = []
    for d in ("a", "b"):
        res = invoke(app, "run", spec, "--simulate", "curves", "--study-dir", tmp_path / d)
        assert res.exit_code == 0, res.output
        assert "study finished: max_trials (30) reached" in res.output
        outputs.append(invoke(app, "results", tmp_path / d, "--json").stdout)
    assert outputs[0] == outputs[1]  # same spec + seed: byte for byte
    trials = json.loads(outputs[0])["trials"]
    assert [t["id"] for t in trials] == list(range(1, 31))
    assert all(set(t) == RESULT_KEYS for t in trials)
    first = trials[0]
    assert first["intervals"] == len(first["metrics"]["accuracy"])
    assert first["objective"] == first["metrics"]["accuracy"][-1]
    stopped = [t for t in trials if t["status"] == "stopped"]
    assert stopped and all(t["reason"].startswith("hyperband") for t in stopped)
    assert {t["status"] for t in trials} <= {"completed", "stopped"}

    other = invoke(app, "run", spec, "--simulate", "curves", "--study-dir", tmp_path / "c",
                   "--seed", "4")
    assert other.exit_code == 0
    assert invoke(app, "results", tmp_path / "c", "--json").stdout != outputs[0]

    best = json.loads(invoke(app, "best", tmp_path / "a", "--json").stdout)["best"]
    results = [t for t in trials if t["status"] in ("completed", "stopped")]
    assert best["objective"] == max(t["objective"] for t in results)

    csv_lines = invoke(app, "results", tmp_path / "a", "--csv").stdout.splitlines()
    assert csv_lines[0] == ("id,status,intervals,objective,config,metric:accuracy,reason,"
                            "started,ended,duration")
    assert len(csv_lines) == 31

    status = invoke(app, "status", tmp_path / "a")
    assert status.exit_code == 0
    assert status.stdout.splitlines()[0] == (
        "study asha-curves (local): finished - max_trials (30) reached")


def test_failure_rule_exits_1(app, tmp_path):
    table = tmp_path / "t.json"
    table.write_text('{"metric": "accuracy", "rows": [{"params": {"config": 1},'
                     ' "values": [NaN]}]}')
    spec = write_spec(tmp_path, ASHA)
    res = invoke(app, "run", spec, "--simulate", table, "--study-dir", tmp_path / "s")
    assert res.exit_code == 1
    assert "study failed: the first trial failed (trial 1 failed:" in res.output
    status = json.loads(invoke(app, "status", tmp_path / "s", "--json").stdout)
    # The three parallel trials fail at the same simulated time: all three are recorded.
    assert (status["status"], status["counts"]) == ("failed", {"failed": 3})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--simulate", "nope"], "--simulate nope: neither a built-in benchmark"),
        (["--simulate", "branin"], "--simulate branin: the search space needs parameter(s)"),
        (["--backend", "nope"], "--backend: unknown backend 'nope'"),
        (["--sim-speed", "2"], "--sim-speed: not taken by executor process"),
        (["--ray-address", "h:1"], "--ray-address: not taken by executor process"),
        (["--executor", "nope"], "--executor: unknown executor 'nope' (installed: process,"),
        (["--executor", "simulator"], "--simulate: the simulator executor needs a benchmark"),
        (["--executor", "ray", "--simulate", "branin"],
         "--simulate: not taken by executor ray"),
    ],
)
def test_user_errors_exit_2_with_one_line(app, tmp_path, args, message):
    spec = write_spec(tmp_path, ASHA)
    res = invoke(app, "run", spec, "--study-dir", tmp_path / "s", *args)
    assert res.exit_code == 2
    assert res.output.startswith(message)
    assert len(res.output.strip().splitlines()) == 1
    assert not Store.exists(tmp_path / "s")


def test_directory_errors_exit_2(app, tmp_path):
    for command in ("status", "results", "best", "resume"):
        res = invoke(app, command, tmp_path / "none")
        assert res.exit_code == 2
        assert res.output.strip() == f"{tmp_path / 'none'}: no study here (no study.db)"
    spec = write_spec(tmp_path, ASHA)
    assert invoke(app, "run", spec, "--simulate", "curves", "--study-dir", tmp_path).exit_code == 0
    again = invoke(app, "run", spec, "--simulate", "curves", "--study-dir", tmp_path)
    assert again.exit_code == 2
    assert "already holds a study; continue it with `hpo-bridge resume" in again.output
    done = invoke(app, "resume", tmp_path)
    assert (done.exit_code, done.stdout.splitlines()[0]) == (
        0, "study already finished: max_trials (30) reached")
    assert done.stdout.splitlines()[1].startswith("best: trial ")


def test_bad_spec_exits_2(app, tmp_path):
    spec = write_spec(tmp_path, {**ASHA, "limits": {"max_trials": 0}})
    res = invoke(app, "run", spec, "--simulate", "curves")
    assert res.exit_code == 2
    assert "limits.max_trials" in res.output
    assert "Traceback" not in res.output


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from hpo_bridge.cli import main; main()", *args]


def test_sigkill_mid_study_then_resume(tmp_path):
    data = {
        "name": "killed",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x1": {"type": "float", "low": -5, "high": 10},
                         "x2": {"type": "float", "low": 0, "high": 15}},
        "strategy": {"algorithm": "hyperband", "seed": 1, "reduction_factor": 3},
        "trial": {"resource": {"name": "epochs", "min": 1, "max": 9}},
        "limits": {"max_trials": 24, "max_parallel": 2},
    }
    spec = write_spec(tmp_path, data)
    study = tmp_path / "study"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        _cli("run", str(spec), "--simulate", "branin-mf", "--sim-speed", "20",
             "--study-dir", str(study)),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env,
    )
    try:
        before: list = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until a few trials have ended
            time.sleep(0.1)
            if Store.exists(study):
                with Store.open(study) as store:
                    before = [t for t in store.trials() if t.status.terminal]
                if len(before) >= 5:
                    break
        assert len(before) >= 5, "the study did not progress"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    with Store.open(study) as store:
        at_kill = {t.id: t for t in store.trials()}
        assert store.study_status().status == "running"
    assert any(not t.status.terminal for t in at_kill.values())
    shown = subprocess.run(_cli("status", str(study)), capture_output=True, text=True, env=env)
    assert "interrupted" in shown.stdout.splitlines()[0]

    resumed = subprocess.run(_cli("resume", str(study)), capture_output=True, text=True,
                             env=env, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "study finished: max_trials (24) reached" in resumed.stdout
    with Store.open(study) as store:
        trials = {t.id: t for t in store.trials()}
    # Exactly max_trials ids, contiguous; trials that ended before the kill are unchanged;
    # those the kill cut short ran again (same id and configuration, their 2nd attempt).
    assert sorted(trials) == list(range(1, 25))
    for tid, trial in at_kill.items():
        if trial.status.terminal:
            assert (trials[tid].status, trials[tid].values) == (trial.status, trial.values)
        else:
            assert trials[tid].attempt == 2 and trials[tid].params == trial.params
    assert all(t.status.final for t in trials.values())


@pytest.mark.timeout(60)
def test_live_progress_in_a_terminal_renders_and_ends(tmp_path):
    import io

    from rich.console import Console

    from hpo_bridge.backends.local import LocalBackend
    from hpo_bridge.results.progress import ProgressView
    from hpo_bridge.spec import load_spec

    spec = load_spec(write_spec(tmp_path, ASHA))
    out = io.StringIO()
    view = ProgressView(console=Console(file=out, force_terminal=True, width=100))
    assert view.live_mode
    try:
        ended = LocalBackend().start(spec, tmp_path / "s", executor="simulator",
                                     executor_options={"source": "curves"}, view=view)
    finally:
        view.stop()
    assert ended.status == "finished"
    text = out.getvalue()
    assert "30/30" in text and "best so far: trial" in text


def test_results_and_best_shapes_for_several_objectives():
    from hpo_bridge.core.trial import Trial, TrialStatus
    from hpo_bridge.results.results import best_dict, results_csv, results_dict
    from hpo_bridge.spec import validate_spec

    spec = validate_spec({
        "name": "mo", "objectives": [{"metric": "acc", "goal": "maximize"},
                                     {"metric": "latency", "goal": "minimize"}],
        "search_space": {"x": {"type": "float", "low": 0, "high": 1}},
    })
    trials = [
        Trial(1, {"x": 0.1}, TrialStatus.COMPLETED, values=[0.9],
              metrics={"acc": [0.9], "latency": [30.0]}, exit_code=0),
        Trial(2, {"x": 0.2}, TrialStatus.COMPLETED, values=[0.8],
              metrics={"acc": [0.8], "latency": [40.0]}, exit_code=0),
        Trial(3, {"x": 0.3}, TrialStatus.FAILED, reason="no value of metric latency reported",
              values=[0.99], metrics={"acc": [0.99]}, exit_code=0),
    ]
    out = results_dict(spec, trials)["trials"]
    assert out[0]["objective"] == {"acc": 0.9, "latency": 30.0}
    assert out[2]["objective"] == {"acc": 0.99, "latency": None}
    assert [t["id"] for t in best_dict(spec, trials)["pareto"]] == [1]
    assert results_csv(spec, trials).splitlines()[:2] == [
        "id,status,intervals,objective:acc,objective:latency,x,metric:acc,metric:latency,reason,"
        "started,ended,duration",
        "1,completed,1,0.9,30.0,0.1,0.9,30.0,,,,",
    ]


def test_grid_multi_objective_study_ends_exhausted_with_its_pareto_set(app, tmp_path):
    table = {"metric": "acc", "rows": [
        {"params": {"a": a, "b": b}, "values": [0.5 + 0.1 * a - 0.001 * b],
         "metrics": {"lat": [float(b * a)]}}
        for a in (1, 2, 3) for b in (16, 32)]}
    (tmp_path / "t.json").write_text(json.dumps(table))
    spec = write_spec(tmp_path, {
        "name": "grid-mo",
        "objectives": [{"metric": "acc", "goal": "maximize"},
                       {"metric": "lat", "goal": "minimize"}],
        "search_space": {"a": {"type": "categorical", "values": [1, 2, 3]},
                         "b": {"type": "categorical", "values": [16, 32]}},
        "strategy": {"algorithm": "grid"},
        "limits": {"max_trials": 50, "max_parallel": 2},
    })
    res = invoke(app, "run", spec, "--simulate", tmp_path / "t.json",
                 "--study-dir", tmp_path / "s")
    assert res.exit_code == 0, res.output
    assert "study finished: the searcher has no more configurations (6 trials)" in res.output
    trials = json.loads(invoke(app, "results", tmp_path / "s", "--json").stdout)["trials"]
    assert sorted((t["params"]["a"], t["params"]["b"]) for t in trials) == [
        (1, 16), (1, 32), (2, 16), (2, 32), (3, 16), (3, 32)]
    pareto = json.loads(invoke(app, "best", tmp_path / "s", "--json").stdout)["pareto"]
    # b=16 is both more accurate and faster than b=32 for the same a.
    assert sorted(t["params"]["a"] for t in pareto) == [1, 2, 3]
    assert {t["params"]["b"] for t in pareto} == {16}
