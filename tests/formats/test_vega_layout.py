"""Vega's task layout, written from a study's journal: files, values, sentinels, summary."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from pathlib import Path

import pytest

from hpo_bridge import study
from hpo_bridge.backends.local import LocalBackend
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.formats.vega.layout import closing_summary, wall_clock
from hpo_bridge.formats.vega.records import performance
from hpo_bridge.loading import validate_spec

TABLE = {
    "metric": "accuracy", "seconds_per_interval": 1.0,
    "rows": [
        {"params": {"lr": 0.1}, "values": [0.5, 0.6, 0.7]},
        {"params": {"lr": 0.2}, "values": [0.6, 0.8, 0.9]},
        {"params": {"lr": 0.3}, "values": [0.1] * 10},  # runs past trial_timeout
        {"params": {"lr": 0.4}, "values": []},  # saves no value
    ],
}


def make_spec(contract: str = "vega", goal: str = "maximize"):
    return validate_spec({
        "name": "layout",
        "objective": {"metric": "accuracy", "goal": goal},
        "search_space": {"lr": {"type": "categorical", "values": [0.1, 0.2, 0.3, 0.4]}},
        "strategy": {"algorithm": "grid"},
        "limits": {"max_parallel": 2, "max_failed": 4, "trial_timeout": "5s"},
        "trial": {"contract": contract, "command": ["python", "train.py"],
                  "fullytrain": {"top_k": 1}},
    })


@pytest.fixture(scope="module")
def task(tmp_path_factory) -> Path:
    """A finished simulated study under the vega contract: its folder is the task folder."""
    folder = tmp_path_factory.mktemp("tasks") / "0820.152508.049"
    outcome = LocalBackend().start(make_spec(), folder, executor="simulator",
                                   executor_options={"source": TABLE})
    assert outcome.status == "finished"
    return folder


def read_json(path: Path):
    return json.loads(path.read_text())


def test_every_worker_has_its_hps_and_performance_with_sentinels(task):
    expected = {1: ({"lr": 0.1}, 0.7), 2: ({"lr": 0.2}, 0.9),
                3: ({"lr": 0.3}, -9e16), 4: ({"lr": 0.4}, -9e16)}
    for worker, (hps, value) in expected.items():
        folder = task / "workers" / "hpo" / str(worker)
        assert read_json(folder / f"hps_{worker}.json") == hps
        assert read_json(folder / f"performance_{worker}.json") == {"accuracy": value}
    # the sentinel is written the way Vega prints it
    assert (task / "workers/hpo/3/performance_3.json").read_text() == \
        '{"accuracy": -9e+16}\n'
    assert sorted(p.name for p in (task / "workers" / "fullytrain").iterdir()) == ["2"]
    assert read_json(task / "workers/fullytrain/2/performance_2.json") == {"accuracy": 0.9}


def test_output_holds_the_best_and_the_fully_trained(task):
    hpo, full = task / "output" / "hpo", task / "output" / "fullytrain"
    assert sorted(p.name for p in hpo.iterdir()) == ["hps_2.json", "output.csv",
                                                      "performance_2.json"]
    assert read_json(hpo / "hps_2.json") == {"lr": 0.2}
    assert (hpo / "output.csv").read_text() == (
        "worker_id,performance,desc\n"
        "2,\"{'hps': {'lr': 0.2}, 'accuracy': 0.9}\",{'lr': 0.2}\n")
    assert sorted(p.name for p in full.iterdir()) == ["output.csv", "performance_2.json"]
    rows = list(csv.DictReader((full / "output.csv").open()))
    assert rows == [{"worker_id": "2", "performance": "{'hps': {'lr': 0.2}, 'accuracy': 0.9}",
                     "desc": "{'lr': 0.2}"}]
    assert (task / "output" / "hpo.yml").read_text().startswith(
        "# hpo-bridge's spec of this study (it was not written in Vega's format)\nname: layout")


def test_reports_json_has_the_steps_and_every_record(task):
    reports = read_json(task / "output" / "reports.json")
    assert [s["step_name"] for s in reports["_steps_"]] == ["hpo", "fullytrain"]
    assert [s["num_models"] for s in reports["_steps_"]] == [4, 1]
    hpo = {r["worker_id"]: r for r in reports["hpo"]}
    assert {w: r["status"] for w, r in hpo.items()} == {
        1: "finished", 2: "finished", 3: "error", 4: "error"}
    assert hpo[3]["message"] == "trial_timeout 5s exceeded"
    assert hpo[4]["message"] == "no value of metric accuracy reported (it reported no metric)"
    assert hpo[3]["performance"] == {"accuracy": -9e16} and hpo[3]["rewards"] == -9e16
    assert hpo[2]["objectives"] == {"accuracy": "MAX"} and hpo[2]["uid"] == "hpo_2"
    assert hpo[1]["current_epoch"] == 3 and hpo[1]["runtime"] == 3.0
    (full,) = reports["fullytrain"]
    assert (full["worker_id"], full["trial"], full["hps"]) == (2, 5, {"lr": 0.2})


def test_worker_logs_and_pipeline_log(task):
    # simulated trials print nothing: no worker logs, but the pipeline log tells all
    assert sorted(p.name for p in (task / "logs").iterdir()) == ["pipeline.log"]
    lines = (task / "logs" / "pipeline.log").read_text().splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{1,3} INFO "
    assert all(re.match(stamp, line) for line in lines)
    text = [re.sub(stamp, "", line) for line in lines]
    assert text[:3] == ["-" * 48, "  Step: hpo", "-" * 48]
    assert "  hpo worker 3 timeout (trial_timeout 5s exceeded), performance: {'accuracy':" \
           " -9e+16}" in text
    assert text.index("  Step: fullytrain") > text.index("  hpo worker 4 failed (no value of"
                                                         " metric accuracy reported (it"
                                                         " reported no metric)),"
                                                         " performance: {'accuracy': -9e+16}")
    assert text[-2:] == ["    2:  {'hps': {'lr': 0.2}, 'accuracy': 0.9}", "-" * 48]


def test_the_closing_summary_reads_as_vegas():
    spans = [("hpo", datetime(2022, 8, 20, 15, 25, 47, 798652),
              datetime(2022, 8, 21, 6, 4, 17, 701847)),
             ("fullytrain", datetime(2022, 8, 21, 6, 4, 17, 713431),
              datetime(2022, 8, 21, 7, 8, 9, 83200))]
    result = "6:  {'hps': {'batch_size': 16, 'lr': 0.0058436978394671175}, 'accuracy': 0.835}"
    lines = closing_summary(Path("/example/tasks/0820.152508.049"), spans, [f"  {result}"])
    assert lines == [
        "-" * 48,
        "  Pipeline end.",
        "",
        "  task id: 0820.152508.049",
        "  output folder: /example/tasks/0820.152508.049/output",
        "",
        "  running time:",
        "               hpo:  14:38:29  [2022-08-20 15:25:47.798652 - 2022-08-21"
        " 06:04:17.701847]",
        "        fullytrain:  1:03:51  [2022-08-21 06:04:17.713431 - 2022-08-21"
        " 07:08:09.083200]",
        "",
        "  result:",
        "    " + result,
        "-" * 48,
    ]


def test_sentinels_are_the_worst_value_of_each_direction():
    spec = validate_spec({
        "name": "t", "search_space": {"x": {"type": "int", "low": 1, "high": 2}},
        "objectives": [{"metric": "accuracy", "goal": "maximize"},
                       {"metric": "latency", "goal": "minimize"}]})
    partial = Trial(1, {"x": 1}, TrialStatus.FAILED, metrics={"accuracy": [0.5]})
    assert performance(spec, partial) == {"accuracy": 0.5, "latency": 9e16}
    late = Trial(2, {"x": 1}, TrialStatus.TIMEOUT, metrics={"accuracy": [0.5], "latency": [3]})
    assert performance(spec, late) == {"accuracy": -9e16, "latency": 9e16}


def test_study_seconds_are_placed_by_the_anchor_of_their_session(tmp_path):
    wall = wall_clock([[0.0, 1_000_000.0], [50.0, 2_000_000.0]], tmp_path / "none", 60.0)
    assert wall(10.0) == datetime.fromtimestamp(1_000_010.0)
    assert wall(55.5) == datetime.fromtimestamp(2_000_005.5)


def test_export_writes_any_study_in_the_layout(tmp_path):
    folder = tmp_path / "study"
    LocalBackend().start(make_spec(contract="local"), folder, executor="simulator",
                         executor_options={"source": TABLE})
    assert not (folder / "output").exists()  # only the vega contract writes it by itself
    out = tmp_path / "tasks" / "exported"
    lines = study.export(folder, "vega", out)
    assert lines[3] == "  task id: exported"
    assert read_json(out / "output/hpo/hps_2.json") == {"lr": 0.2}
    assert read_json(out / "workers/hpo/3/performance_3.json") == {"accuracy": -9e16}
    with pytest.raises(study.StudyError, match="--format: unknown format 'nope'"):
        study.export(folder, "nope", out)
    with pytest.raises(study.StudyError, match="no study here"):
        study.export(tmp_path / "empty", "vega", out)
