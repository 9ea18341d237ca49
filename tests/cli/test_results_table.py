"""`hpo-bridge results DIR`: a table with one column per parameter, values kept short,
reasons truncated, rows by id; then the best trial."""

from __future__ import annotations

import json

import pytest
import yaml
from cli_support import cli_app
from typer.testing import CliRunner

from hpo_bridge.results.table import compact, seconds_text, shorten

SPEC = {
    "name": "table",
    "objective": {"metric": "accuracy", "goal": "maximize"},
    "search_space": {
        "opt": {"type": "categorical", "values": ["sgd", "a-very-long-optimizer-name"]},
        "lr": {"type": "categorical", "values": [0.000123456, 0.5]},
    },
    "strategy": {"algorithm": "grid"},
    "limits": {"max_trials": 4, "max_parallel": 1},
}
ROWS = [  # grid order: opt varies slowest
    ({"opt": "sgd", "lr": 0.000123456}, [0.5, 0.61]),
    ({"opt": "sgd", "lr": 0.5}, [0.7, 0.8123456789]),
    ({"opt": "a-very-long-optimizer-name", "lr": 0.000123456}, [0.4, None]),
    ({"opt": "a-very-long-optimizer-name", "lr": 0.5}, [0.3, 0.35]),
]


@pytest.fixture(scope="module")
def app():
    return cli_app()


def test_results_table(app, tmp_path):
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    table = {"metric": "accuracy", "rows": [
        {"params": p, "values": [float("nan") if v is None else v for v in values]}
        for p, values in ROWS]}
    (tmp_path / "table.json").write_text(json.dumps(table))
    runner = CliRunner()
    ran = runner.invoke(app, ["run", str(tmp_path / "spec.yaml"), "--simulate",
                              str(tmp_path / "table.json"), "--study-dir", str(tmp_path / "s")])
    assert ran.exit_code == 0, ran.output
    out = runner.invoke(app, ["results", str(tmp_path / "s")])
    assert out.exit_code == 0
    lines = [line.split() for line in out.stdout.splitlines() if line.strip()]
    # The reason, cut at 48 characters (the whole one is in --json).
    reason = "metric 'accuracy' reported nan, not a finite nu…"
    assert lines[0] == ["id", "opt", "lr", "status", "intervals", "time", "objective",
                        "reason"]
    assert set("".join(lines[1])) == {"─"}
    assert lines[2:6] == [  # time: 1 s per interval (trial 3 failed at its 2nd, nan)
        ["1", "sgd", "0.0001235", "completed", "2", "2.0s", "0.61"],
        ["2", "sgd", "0.5", "completed", "2", "2.0s", "0.812346"],
        ["3", "a-very-long-opt…", "0.0001235", "failed", "1", "2.0s", "0.4",
         *reason.split()],
        ["4", "a-very-long-opt…", "0.5", "completed", "2", "2.0s", "0.35"],
    ]
    assert out.stdout.splitlines()[-1] == (
        "best: trial 2 0.812346 opt=sgd lr=0.5")


def test_seconds_text():
    assert [seconds_text(s) for s in (None, 0.04, 9.94, 9.96, 59.4, 61, 3599, 3600, 90061)] == [
        "-", "0.0s", "9.9s", "10s", "59s", "1m01s", "59m59s", "1h00m", "1d01h"]


def test_compact_values():
    assert [compact(v) for v in (0.000123456, 1e-7, 123456.0, 3, True, None, "x" * 20)] == [
        "0.0001235", "1e-07", "1.235e+05", "3", "true", "-", "x" * 15 + "…"]
    assert compact(0.8123456789, 6) == "0.812346"
    assert shorten("two\nlines  here", 40) == "two lines here"
