"""The example specs: valid, round-tripping through YAML, and described by `hpo-bridge schema`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from hpo_bridge.loading import load_spec, spec_schema, validate_spec
from hpo_bridge.spec import dump_spec, dump_spec_json, parse_yaml

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples" / "specs").glob("*.yaml"))
STYLES = {
    "rich-local", "azure-median", "vega-bool-log", "aiplatform-conditional", "sagemaker-mnist",
    "multi-objective", "grid", "hyperband", "forbidden-conditions",
}


def test_every_style_has_an_example():
    assert {p.stem for p in EXAMPLES} == STYLES


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_is_valid(path):
    load_spec(path)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_round_trips_through_yaml(path):
    spec = load_spec(path)
    text = dump_spec(spec)
    again = validate_spec(parse_yaml(text), base_dir=spec.base_dir)
    assert again == spec
    assert dump_spec(again) == text
    from_json = validate_spec(json.loads(dump_spec_json(spec)), base_dir=spec.base_dir)
    assert from_json == spec


def _example(stem: str):
    return load_spec(next(p for p in EXAMPLES if p.stem == stem))


def test_grid_example_is_azures_six_runs():
    spec = _example("grid")
    assert spec.max_trials == 6
    assert [d.grid_values() for d in spec.search_space.values()] == [[1, 2, 3], [16, 32]]


def test_sagemaker_example_regex_reads_the_mnist_log_line():
    spec = _example("sagemaker-mnist")
    (metric,) = spec.metrics
    import re

    line = "Test set: Average loss: 0.0450, Accuracy: 9850/10000 (98%)"
    assert metric.regex == "Test set: Average loss: ([0-9.]+)"
    assert re.search(metric.regex, line).group(1) == "0.0450"
    assert (spec.limits.max_trials, spec.limits.max_parallel) == (9, 3)
    assert spec.trial.args == {"epochs": 5, "backend": "gloo"}
    assert "batch-size" in spec.search_space


def test_azure_example_uses_median_stopping_1_5():
    spec = _example("azure-median")
    es = spec.early_stopping
    assert (es.policy, es.evaluation_interval, es.delay_evaluation) == ("median", 1, 5)
    assert spec.limits.max_duration == 7200
    assert {d.distribution for d in spec.search_space.values() if hasattr(d, "distribution")} == {
        "uniform", "loguniform", "normal", "lognormal", "quniform", "qloguniform", "qnormal",
        "qlognormal", "randint"}


def test_vega_example():
    spec = _example("vega-bool-log")
    assert spec.trial.contract == "vega"
    assert spec.search_space["trainer.nesterov"].grid_values() == [False, True]
    assert spec.search_space["dataset.batch_size"].scale == "log"
    assert spec.trial.args["pretrained"] is None


def test_aiplatform_example_conditions():
    spec = _example("aiplatform-conditional")
    cond = spec.search_space["second-layer-size"].condition
    assert (cond.parent, cond.values) == ("num-layers", [2, 3, 4])
    assert spec.search_space["num-layers"].values == [1, 2, 3, 4]


def test_multi_objective_and_hyperband_examples():
    pareto = _example("multi-objective")
    assert pareto.multi_objective and [o.goal for o in pareto.all_objectives] == [
        "maximize", "minimize"]
    assert _example("hyperband").resource_bounds() == (1, 27)


# -- JSON Schema --------------------------------------------------------------------
@pytest.fixture(scope="module")
def validator(cli_exe) -> jsonschema.Draft202012Validator:
    out = subprocess.run([str(cli_exe), "schema"], capture_output=True, text=True, check=True)
    schema = json.loads(out.stdout)
    assert schema == json.loads(json.dumps(spec_schema()))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_schema_accepts_example(validator, path):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert list(validator.iter_errors(data)) == []


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"name": "bad name"}, ["name"]),
        ({"objectiv": {}}, []),
        ({"strategy": {"algorithm": "evolution"}}, ["strategy", "algorithm"]),
        ({"search_space": {"x": {"low": 1, "high": 2}}}, ["search_space", "x"]),
        ({"search_space": {"a b": {"type": "bool"}}}, ["search_space"]),
        ({"limits": {"max_trials": 0}}, ["limits", "max_trials"]),
        ({"backends": {"nope": {}}}, ["backends"]),
        ({"trial": {"contract": "lambda"}}, ["trial", "contract"]),
        ({"early_stopping": {"policy": "medain"}}, ["early_stopping", "policy"]),
    ],
)
def test_schema_rejects_invalid(validator, change: dict[str, Any], where):
    data = yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8")) | change
    errors = list(validator.iter_errors(data))
    assert errors
    assert any(list(e.absolute_path)[: len(where)] == where for e in errors)


def test_schema_needs_one_objective(validator):
    data = yaml.safe_load(EXAMPLES[0].read_text(encoding="utf-8"))
    del data["objective"]
    assert not validator.is_valid(data)
