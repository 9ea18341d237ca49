"""`hpo-bridge validate`, `schema` and `plugins`; the global flags."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from cli_support import cli_app
from typer.testing import CliRunner

from hpo_bridge._version import __version__

BAD = textwrap.dedent("""\
    name: bad/name
    objective: {metric: acc, goal: maximise}
    metrics:
      - {name: acc, regex: "acc=[0-9.]+"}
    search_space:
      lr: {type: float, low: 0.1, high: 0.01}
      k: {distribution: normal, mu: 0}
    strategy: {algorithm: rndom}
    limits: {max_trials: 2, max_parallel: 4}
""")
BAD_LINES = [
    "name: must use letters, digits, '-', '_' and '.', starting with a letter or digit"
    " (got 'bad/name')",
    "objective.goal: Input should be 'maximize' or 'minimize' (got 'maximise') (did you mean"
    " 'maximize'?)",
    "metrics.0.regex: must have exactly one capture group (the value); it has 0",
    "search_space.lr: low (0.1) must be less than high (0.01)",
    "search_space.k.sigma: required for distribution normal",
    "strategy.algorithm: unknown algorithm 'rndom' (did you mean 'random'?) (available: random,"
    " grid, sobol, bayesian,"
    " hyperband, bohb, pbt)",
    "limits.max_parallel: 4 exceeds max_trials (2)",
]
GOOD = textwrap.dedent("""\
    name: good
    objective: {metric: acc, goal: maximize}
    search_space:
      layers: {type: categorical, values: [1, 2, 3]}
      batch: {type: categorical, values: [16, 32]}
    strategy: {algorithm: grid}
""")


@pytest.fixture(scope="module")
def app():
    return cli_app()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_console_script_reports_every_problem_and_exits_2(cli_exe, tmp_path):
    bad = _write(tmp_path, BAD, "bad.yaml")
    out = subprocess.run([str(cli_exe), "validate", str(bad)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.splitlines() == [f"{bad}: {line}" for line in BAD_LINES]
    assert "Traceback" not in out.stderr


def test_validate_ok(app, runner, tmp_path):
    path = _write(tmp_path, GOOD)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: ok (2 parameters, strategy grid, 6 trials)\n"


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (GOOD + "name: again\n", "YAML error at line 7, column 1: duplicate key 'name'"),
        (GOOD + "trial: {command: [python\n", "YAML error at line 8, column 1:"),
        ("- a list\n", "a spec is a mapping of keys (name, objective, ...)"),
        (GOOD + "description: !!python/object/apply:os.getcwd []\n", "YAML error at line 7"),
    ],
)
def test_validate_yaml_problems(app, runner, tmp_path, text, line):
    path = _write(tmp_path, text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"{path}: {line}")
    assert len(result.stderr.splitlines()) == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_validate_missing_file(app, runner, tmp_path):
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    missing = tmp_path / "nope.yaml"
    assert result.stderr == f"{missing}: cannot read spec: No such file or directory\n"


def test_validate_needs_an_argument(app, runner):
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 2
    assert "Missing argument 'SPEC'" in result.output


def test_schema_prints_json_schema(app, runner):
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$defs"]["Strategy"]["properties"]["algorithm"]["enum"] == [
        "random", "grid", "sobol", "bayesian", "hyperband", "bohb", "pbt"]
    assert schema["properties"]["backends"]["additionalProperties"] is False


def test_plugins_lists_builtins(app, runner):
    result = runner.invoke(app, ["plugins", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    executors = {c["name"]: c["distribution"] for c in data["executors"]}
    assert executors["process"] == executors["simulator"] == "hpo-bridge"
    assert [c["name"] for c in data["stopping_rules"]][:5] == [
        "bandit", "median", "truncation", "hyperband", "auto"]


def test_version(app, runner):
    result = runner.invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"hpo-bridge {__version__}\n")


@pytest.mark.parametrize("command", ["validate", "schema", "plugins"])
def test_help(app, runner, command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
