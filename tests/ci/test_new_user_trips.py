"""Small things a new user tripped on (issue 13, item 9), through the real console script."""

from __future__ import annotations

import json
import re

from ci_helpers import write_yaml

SPEC = {
    "name": "my_model.v2",  # underscores (Azure, AI Platform) and dots (display names)
    "objective": {"metric": "val_acc", "goal": "maximize"},
    "metrics": [{"name": "val_auc", "regex": "val_auc=([0-9.]+)"}],
    "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "scale": "log"}},
    "trial": {"command": ["python", "train.py"]},
}


def test_an_objective_no_channel_reads_is_a_warning_or_an_error_per_contract(hpo, tmp_path):
    local = write_yaml(tmp_path / "local.yaml", SPEC)
    warned = hpo("validate", local)
    assert warned.returncode == 0
    assert warned.stderr.splitlines() == [
        f"{local}: warning: metrics: no regex for objective metric 'val_acc' (did you mean"
        " 'val_auc'? regexes for: 'val_auc'); only an hpo_bridge.report(val_acc=...) line can"
        " report it"]
    sagemaker = write_yaml(tmp_path / "sm.yaml", {**SPEC, "trial": {
        **SPEC["trial"], "contract": "sagemaker"}})
    refused = hpo("validate", sagemaker)
    assert refused.returncode == 2 and refused.stdout == ""
    assert refused.stderr.splitlines() == [
        f"{sagemaker}: metrics: no regex for objective metric 'val_acc' (did you mean"
        " 'val_auc'? regexes for: 'val_auc'; the sagemaker contract reads metrics only from"
        " the log)"]
    # Report lines are the channel when the spec has no regex: nothing to warn about.
    quiet = write_yaml(tmp_path / "quiet.yaml", {k: v for k, v in SPEC.items() if k != "metrics"})
    out = hpo("validate", quiet)
    assert (out.returncode, out.stderr) == (0, "")


def test_a_run_without_the_objective_lists_what_the_script_reported(hpo, tmp_path):
    (tmp_path / "train.py").write_text(
        "import hpo_bridge\nprint('val_auc=0.91')\nhpo_bridge.report(loss=0.3)\n")
    spec = write_yaml(tmp_path / "spec.yaml", {**SPEC, "limits": {"max_trials": 1}})
    out = hpo("run", spec, "--study-dir", tmp_path / "study")
    assert out.returncode == 1
    assert "warning: metrics: no regex for objective metric 'val_acc'" in out.stderr
    trial = json.loads(hpo("results", tmp_path / "study", "--json").stdout)["trials"][0]
    assert trial["reason"] == "no value of metric val_acc reported (it reported: loss, val_auc)"


def test_values_get_did_you_mean_like_keys(hpo, tmp_path):
    spec = write_yaml(tmp_path / "typos.yaml", {
        **SPEC, "metrics": [], "search_space": {
            "lr": {"type": "flaot", "low": 0.001, "high": 0.1},
            "k": {"distribution": "unifrom", "low": 0, "high": 1}},
        "strategy": {"algorithm": "bayesain"}, "early_stopping": {"policy": "medain"}})
    out = hpo("validate", spec)
    assert out.returncode == 2
    assert out.stderr.splitlines() == [
        f"{spec}: search_space.lr.type: unknown type 'flaot' (did you mean 'float'?) (types:"
        " float, int, categorical, discrete, bool; or give a `distribution`)",
        f"{spec}: search_space.k.distribution: Input should be 'uniform', 'loguniform',"
        " 'normal', 'lognormal', 'quniform', 'qloguniform', 'qnormal', 'qlognormal' or"
        " 'randint' (got 'unifrom') (did you mean 'uniform'?)",
        f"{spec}: strategy.algorithm: unknown algorithm 'bayesain' (did you mean 'bayesian'?)"
        " (available: random, grid, sobol, bayesian, hyperband, bohb, pbt)",
        f"{spec}: early_stopping.policy: unknown policy 'medain' (did you mean 'median'?)"
        " (available: none, bandit, median, truncation, hyperband, auto, vertex_median,"
        " decay_curve, previous_median)",
    ]


def test_help_has_no_type_tags_and_fits_80_columns(hpo):
    for command in ("run", "resume", "check", "results", "status", "best", "validate"):
        out = hpo(command, "--help", env={"COLUMNS": "80"})
        assert out.returncode == 0
        assert "<bool>" not in out.stdout and "╭" not in out.stdout
        assert max(len(line) for line in out.stdout.splitlines()) <= 80, command
    run = hpo("run", "--help", env={"COLUMNS": "80"}).stdout
    assert "./studies/<name>-<timestamp>)." in " ".join(run.split())
    assert not re.search(r"/(root|home|tmp|work)/", run)


def test_a_name_with_underscores_is_mapped_by_each_backend(hpo, tmp_path):
    (tmp_path / "train.py").write_text("print('val_acc=0.5')\n")
    spec = write_yaml(tmp_path / "spec.yaml", {
        **SPEC, "metrics": [{"name": "val_acc", "regex": "val_acc=([0-9.]+)"}],
        "trial": {"command": ["python", "train.py"], "contract": "sagemaker"},
        "backends": {"sagemaker": {
            "role_arn": "arn:aws:iam::123456789012:role/SageMakerRole",
            "image_uri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/train:1",
            "output_path": "s3://bucket/out"}}})
    assert hpo("validate", spec).returncode == 0
    compiled = hpo("compile", spec, "--backend", "sagemaker")
    assert compiled.returncode == 0, compiled.stderr
    name = json.loads(compiled.stdout)["HyperParameterTuningJobName"]
    assert re.fullmatch(r"my-model-v2-[0-9a-f]{8}", name), name
    bad = write_yaml(tmp_path / "bad.yaml", {**SPEC, "name": "my model/v2"})
    out = hpo("validate", bad)
    assert out.returncode == 2
    assert out.stderr == (f"{bad}: name: must use letters, digits, '-', '_' and '.', starting"
                          " with a letter or digit (got 'my model/v2')\n")
