"""compile, import and cancel through the `hpo-bridge` command."""

from __future__ import annotations

import json

import pytest
import yaml
from hpo_bridge_sagemaker.service_model import validate
from hpo_bridge_sagemaker.translate import OPERATION
from sagemaker_helpers import DATA, base_spec
from typer.testing import CliRunner

from hpo_bridge import cli as cli_module
from hpo_bridge.spec import load_spec


@pytest.fixture(scope="module")
def app():
    cli_module._register_builtin_commands()  # idempotent
    return cli_module.app


def invoke(app, *args):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_compile_prints_the_request(app):
    result = invoke(app, "compile", DATA / "mnist" / "spec.yaml", "--backend", "sagemaker")
    assert result.exit_code == 0, result.output
    request = json.loads(result.stdout)
    assert request["HyperParameterTuningJobName"] == "pytorch-mnist-custom-hp-11570702"
    assert validate(OPERATION, request) == []


def test_compile_unsupported_lists_every_feature_and_exits_2(app, tmp_path):
    data = base_spec(early_stopping={"policy": "median"}, strategy={"algorithm": "sobol"})
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data))
    result = invoke(app, "compile", path, "--backend", "sagemaker")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "sagemaker: strategy.algorithm: algorithm sobol (not supported; nearest:"
        " strategy Random)",
        "sagemaker: early_stopping.policy: policy median (not supported; nearest:"
        " TrainingJobEarlyStoppingType Auto (SageMaker's own median-based rule))",
        "(--approximate maps what has a near equivalent)",
    ]
    approx = invoke(app, "compile", path, "--backend", "sagemaker", "--approximate")
    assert approx.exit_code == 0
    assert approx.stderr.count("warning: ") == 2
    assert json.loads(approx.stdout)["HyperParameterTuningJobConfig"]["Strategy"] == "Random"


def test_compile_with_an_unknown_backend_exits_2(app):
    result = invoke(app, "compile", DATA / "mnist" / "spec.yaml", "--backend", "nope")
    assert result.exit_code == 2 and "--backend: unknown backend 'nope'" in result.stderr


def test_import_writes_a_spec_that_compiles_back(app, tmp_path):
    request = json.loads(invoke(app, "compile", DATA / "mnist" / "spec.yaml", "--backend",
                                "sagemaker").stdout)
    job = tmp_path / "job.json"
    job.write_text(json.dumps(request))
    out = tmp_path / "imported.yaml"
    result = invoke(app, "import", job, "--from", "sagemaker", "-o", out)
    assert result.exit_code == 0, result.output
    spec = load_spec(out)
    assert spec.search_space["batch-size"].values == [32, 64, 128, 256, 512]
    printed = invoke(app, "import", job, "--from", "sagemaker")
    assert yaml.safe_load(printed.stdout) == yaml.safe_load(out.read_text())


def test_import_of_something_else_exits_2(app, tmp_path):
    job = tmp_path / "job.json"
    job.write_text(json.dumps({"hello": 1}))
    result = invoke(app, "import", job, "--from", "sagemaker")
    assert result.exit_code == 2
    assert "HyperParameterTuningJobConfig is missing" in result.stderr


def test_cancel_of_a_folder_without_a_study_exits_2(app, tmp_path):
    result = invoke(app, "cancel", tmp_path)
    assert result.exit_code == 2 and "no study here" in result.stderr
