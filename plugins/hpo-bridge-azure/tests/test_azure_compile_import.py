"""Compile (sweep YAML that azure-ai-ml's load_job accepts, plus the service's rules),
capability gaps, and import (v2 YAML, pre-GA, pipeline nodes, v1 HyperDrive via ast)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from azure_helpers import DATA, SETTINGS
from hpo_bridge_azure.backend import AzureBackend, HyperDriveImporter
from hpo_bridge_azure.rules import service_problems
from hpo_bridge_azure.translate import load_sweep

from hpo_bridge.backends import BackendError, InvalidRequest, UnsupportedFeatures
from hpo_bridge.spec import parse_yaml, validate_spec

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def spec(tmp_path: Path, **changes: Any) -> Any:
    (tmp_path / "train.py").write_text("print(1)\n")
    data: dict[str, Any] = {
        "name": "small", "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 1e-4, "high": 0.1, "scale": "log"},
                         "bs": {"type": "categorical", "values": [16, 32]}},
        "limits": {"max_trials": 6, "max_parallel": 2},
        "trial": {"command": "python train.py --lr ${{search_space.lr}}", "contract": "azure"},
        "backends": {"azure": dict(SETTINGS)},
    }
    data.update(changes)
    if "trial" not in changes:  # every parameter on the command line
        data["trial"]["command"] = "python train.py " + " ".join(
            f"--{n} ${{{{search_space.{n}}}}}" for n in data["search_space"])
    return validate_spec(data, base_dir=tmp_path)


def compiled_job(s: Any, approximate: bool = False) -> dict[str, Any]:
    compiled = AzureBackend().compile(s, approximate=approximate)
    job = yaml.safe_load(compiled.document)
    load_sweep(job, s.base_dir)  # azure-ai-ml's own schema accepts it
    assert service_problems(job) == []
    return job


def gaps(s: Any) -> list[str]:
    with pytest.raises(UnsupportedFeatures) as info:
        AzureBackend().compile(s)
    return [item.path for item in info.value.items]


def test_loguniform_bounds_become_exponents_and_come_back(tmp_path):
    job = compiled_job(spec(tmp_path))
    assert job["search_space"]["lr"] == {"type": "loguniform", "min_value": -9.210340371976182,
                                         "max_value": -2.3025850929940455}
    assert job["search_space"]["bs"] == {"type": "choice", "values": [16, 32]}
    back = AzureBackend().import_native(job)
    assert back["search_space"]["lr"] == {"distribution": "loguniform", "low": 0.0001,
                                          "high": 0.1}


@pytest.mark.parametrize("policy,expected", [
    ({"policy": "bandit", "slack_factor": 0.2, "evaluation_interval": 10,
      "delay_evaluation": 10},
     {"type": "bandit", "slack_factor": 0.2, "evaluation_interval": 10, "delay_evaluation": 10}),
    ({"policy": "median", "evaluation_interval": 1, "delay_evaluation": 5},
     {"type": "median_stopping", "evaluation_interval": 1, "delay_evaluation": 5}),
    ({"policy": "truncation", "truncation_percentage": 20, "evaluation_interval": 1,
      "delay_evaluation": 5},
     {"type": "truncation_selection", "truncation_percentage": 20, "evaluation_interval": 1,
      "delay_evaluation": 5}),
])
def test_the_seed_policies_compile(tmp_path, policy, expected):
    assert compiled_job(spec(tmp_path, early_stopping=policy))["early_termination"] == expected


def test_the_seed_grid_has_exactly_six_trials(tmp_path):
    job = compiled_job(spec(tmp_path, search_space={
        "layers": {"type": "categorical", "values": [1, 2, 3]},
        "bs": {"type": "categorical", "values": [16, 32]}},
        strategy={"algorithm": "grid"}, limits={"max_parallel": 2}))
    assert job["sampling_algorithm"] == "grid" and job["limits"]["max_total_trials"] == 6


def test_bayesian_over_choice_and_uniform(tmp_path):
    job = compiled_job(spec(tmp_path, search_space={
        "bs": {"type": "categorical", "values": [16, 32]},
        "keep": {"distribution": "uniform", "low": 0.05, "high": 0.1}},
        strategy={"algorithm": "bayesian"}))
    assert job["sampling_algorithm"] == "bayesian"
    assert job["search_space"]["keep"] == {"type": "uniform", "min_value": 0.05,
                                           "max_value": 0.1}


def test_capability_gaps_are_named_with_the_nearest_option(tmp_path):
    s = spec(tmp_path, limits={"max_trials": 4, "max_failed": 2, "target_value": 0.9},
             objectives=[{"metric": "a", "goal": "maximize"}, {"metric": "b", "goal": "minimize"}],
             objective=None, trial={"command": "python train.py", "contract": "sagemaker"})
    assert gaps(s) == ["objectives", "limits.max_failed", "limits.target_value",
                       "trial.contract"]
    named = spec(tmp_path, search_space={"batch-size": {"type": "categorical",
                                                        "values": [16, 32]}})
    assert gaps(named) == ["search_space.batch-size"]
    bayes = spec(tmp_path, strategy={"algorithm": "bayesian"},
                 early_stopping={"policy": "bandit", "slack_factor": 0.1})
    assert gaps(bayes) == ["search_space.lr.scale", "early_stopping.policy"]
    job = compiled_job(bayes, approximate=True)
    assert "early_termination" not in job
    assert job["search_space"]["lr"]["type"] == "uniform"


def test_warm_start_is_a_gap_with_its_nearest_option(tmp_path):
    s = spec(tmp_path, warm_start={"from": ["studies/nightly-41"]})
    with pytest.raises(UnsupportedFeatures) as info:
        AzureBackend().compile(s)
    assert [item.path for item in info.value.items] == ["warm_start.from"]
    assert "v2 sweep jobs have no warm start" in str(info.value)
    compiled = AzureBackend().compile(s, approximate=True)
    assert any("the earlier trials are not used" in w for w in compiled.warnings)
    assert "warm_start" not in compiled.document


@pytest.mark.parametrize("job,expected", [
    ({"sampling_algorithm": "bayesian", "early_termination": {"type": "median_stopping"}},
     "bayesian sampling takes no early termination"),
    ({"sampling_algorithm": "grid"}, "uniform is not allowed with grid"),
    ({"search_space": {"x": {"type": "uniform", "min_value": 5, "max_value": 1}}},
     "min_value (5) must be less than max_value (1)"),
    ({"early_termination": {"type": "bandit", "slack_factor": 0.1, "slack_amount": 0.2}},
     "exactly one of slack_factor"),
    ({"early_termination": {"type": "bandit"}}, "exactly one of slack_factor"),
    ({"early_termination": {"type": "truncation_selection", "truncation_percentage": 150}},
     "1..99"),
    ({"limits": {"max_total_trials": 2, "max_concurrent_trials": 4}}, "exceeds"),
    ({"trial": {"command": "python t.py --z ${{search_space.zzz}}"}}, "names no parameter"),
    ({"limits": {"max_total_trials": 2, "timeout": 30}}, "at least 60 seconds"),
    ({"limits": {"max_total_trials": 2, "timeout": "1h"}}, "a whole number of seconds"),
])
def test_the_service_rules_load_job_lets_through(job, expected):
    base = {"search_space": {"x": {"type": "uniform", "min_value": 0, "max_value": 1}},
            "trial": {"command": "python t.py --x ${{search_space.x}}"}}
    problems = service_problems({**base, **job})
    assert any(expected in p for p in problems), problems


def test_a_spec_the_service_would_refuse_is_refused_at_compile(tmp_path):
    s = spec(tmp_path, trial={"command": "python train.py --z ${{search_space.zzz}}",
                              "contract": "azure"})
    with pytest.raises(InvalidRequest, match="names no parameter"):
        AzureBackend().compile(s)
    with pytest.raises(InvalidRequest, match="backends.azure.environment: required"):
        AzureBackend().compile(spec(tmp_path, backends={}))


SPECS = sorted((EXAMPLES / "specs").glob("*.yaml")) + [EXAMPLES / "azure" / "spec.yaml"]


@pytest.mark.parametrize("path", SPECS, ids=lambda p: p.name)
def test_example_specs_compile_with_approximate_or_name_their_gaps(path, tmp_path):
    shutil.copytree(path.parent, tmp_path / "ex")
    data = parse_yaml((tmp_path / "ex" / path.name).read_text())
    data["backends"] = {"azure": dict(SETTINGS)}
    data.setdefault("trial", {})["contract"] = "azure"
    data["trial"].setdefault("command", ["python", "train.py"])
    for script in ("train.py", "mnist.py"):
        (tmp_path / "ex" / script).touch()
    s = validate_spec(data, base_dir=tmp_path / "ex")
    try:
        job = compiled_job(s, approximate=True)
    except UnsupportedFeatures as exc:  # only gaps with no approximation remain
        assert all(item.approximation is None for item in exc.items)
        return
    assert job["objective"]["primary_metric"] == s.primary.metric


def test_round_trip_keeps_what_azure_expresses(tmp_path):
    s = spec(tmp_path, search_space={
        "lr": {"distribution": "loguniform", "low": 1e-4, "high": 0.1},
        "keep": {"distribution": "uniform", "low": 0.05, "high": 0.1},
        "m": {"distribution": "normal", "mu": 0.9, "sigma": 0.02},
        "units": {"distribution": "quniform", "low": 32, "high": 512, "q": 32, "type": "int"},
        "seed": {"distribution": "randint", "upper": 5},
        "bs": {"type": "categorical", "values": [16, 32]}},
        strategy={"algorithm": "sobol", "seed": 3},
        early_stopping={"policy": "bandit", "slack_amount": 0.1, "delay_evaluation": 2},
        limits={"max_trials": 20, "max_parallel": 4, "max_duration": "2h",
                "trial_timeout": "10m"},
        trial={"command": "python train.py --lr ${{search_space.lr}}", "contract": "azure"})
    back = validate_spec(AzureBackend().import_native(compiled_job(s)), base_dir=tmp_path)
    assert back.search_space == s.search_space
    assert back.strategy == s.strategy and back.early_stopping == s.early_stopping
    assert back.limits == s.limits and back.objective == s.objective
    assert back.trial.command == s.trial.command


def test_import_the_pre_ga_form(tmp_path):
    out = AzureBackend().import_file(DATA / "v2" / "pre-ga.yml", {})
    assert out["search_space"]["lr"] == {"distribution": "loguniform",
                                         "low": 0.00247875217667, "high": 0.367879441171}
    assert out["search_space"]["layers"] == {"type": "int", "low": 1, "high": 4}
    assert out["trial"]["command"] == ("python train.py --lr ${{search_space.lr}}"
                                       " --layers ${{search_space.layers}}")
    assert out["limits"] == {"max_trials": 8, "max_parallel": 2, "max_duration": 7200}
    assert out["early_stopping"] == {"policy": "median", "evaluation_interval": 1,
                                     "delay_evaluation": 5}
    validate_spec(out)


def test_import_a_pipeline_node_and_its_component(tmp_path):
    with pytest.raises(BackendError, match="2 sweep nodes .*tune, tune_again.*--node"):
        AzureBackend().import_file(DATA / "v2" / "pipeline.yml", {})
    out = AzureBackend().import_file(DATA / "v2" / "pipeline.yml", {"node": "tune"})
    assert out["trial"]["command"] == ("python train.py --lr ${{search_space.lr}}"
                                       " --bs ${{search_space.bs}}")
    assert out["trial"]["code"] == str((DATA / "v2" / "src").resolve())
    assert out["strategy"] == {"algorithm": "sobol", "seed": 1}
    assert out["search_space"]["lr"] == {"distribution": "loguniform", "low": 0.0001,
                                         "high": 0.1}
    with pytest.raises(BackendError) as info:
        AzureBackend().import_file(DATA / "v2" / "pipeline.yml", {"node": "tune_again"})
    assert str(info.value) == (f"{DATA / 'v2' / 'pipeline.yml'}:17: search_space.lr:"
                               " min_value (0.5) must be less than max_value (0.1)")


def test_import_the_seed_hyperdrive_examples():
    out = HyperDriveImporter().import_file(DATA / "hyperdrive" / "bandit.py", {})
    assert out["search_space"] == {
        "learning_rate": {"distribution": "uniform", "low": 0.05, "high": 0.1},
        "batch_size": {"type": "categorical", "values": [16, 32, 64, 128]},
        "weight_decay": {"distribution": "loguniform", "low": 0.00247875217667,
                         "high": 0.367879441171}}
    assert out["early_stopping"] == {"policy": "bandit", "evaluation_interval": 1,
                                     "delay_evaluation": 5, "slack_factor": 0.2}
    assert out["limits"] == {"max_trials": 20, "max_parallel": 4, "max_duration": "120m"}
    assert out["objective"] == {"metric": "accuracy", "goal": "maximize"}
    validate_spec(out)
    grid = validate_spec(HyperDriveImporter().import_file(DATA / "hyperdrive" / "grid.py", {}))
    assert grid.strategy.algorithm == "grid" and grid.max_trials == 6
    assert grid.objective.goal == "minimize"


def test_resume_child_runs_means_the_script_resumes_from_its_checkpoint(tmp_path):
    source = (DATA / "hyperdrive" / "bandit.py").read_text().replace(
        "max_duration_minutes=120)",
        "max_duration_minutes=120, resume_child_runs=child_runs_to_resume)")
    path = tmp_path / "resumed.py"
    path.write_text(source)
    spec = validate_spec(HyperDriveImporter().import_file(path, {}))
    assert spec.trial.resume_from_checkpoint is True
    plain = HyperDriveImporter().import_file(DATA / "hyperdrive" / "bandit.py", {})
    assert "resume_from_checkpoint" not in plain["trial"]


def test_hyperdrive_mistakes_are_one_line_each_with_their_line(tmp_path):
    path = DATA / "hyperdrive" / "broken.py"
    with pytest.raises(BackendError) as info:
        HyperDriveImporter().import_file(path, {})
    assert str(info.value).splitlines() == [
        f"{path}:4: --lr: uniform low (0.5) is not below high (0.1)",
        f"{path}:5: --units: compute_units() is not a literal; give the value itself",
    ]
    missing_comma = tmp_path / "comma.py"
    missing_comma.write_text("x = RandomParameterSampling({'a': choice(1, 2) 'b': 1})\n")
    with pytest.raises(BackendError, match=r"comma.py:1:\d+: Python syntax error"):
        HyperDriveImporter().import_file(missing_comma, {})


def test_forbidden_combinations_and_condition_operators_are_named_then_dropped(tmp_path):
    s = spec(tmp_path, search_space={
        "lr": {"type": "float", "low": 1e-4, "high": 0.1, "scale": "log"},
        "opt": {"type": "categorical", "values": ["sgd", "adam"]},
        "m": {"type": "float", "low": 0.5, "high": 0.99,
              "condition": {"parent": "opt", "op": "!=", "values": ["adam"]}}},
        forbidden=[{"opt": "adam", "lr": 0.1}])
    with pytest.raises(UnsupportedFeatures) as info:
        AzureBackend().compile(s)
    items = {item.path: item for item in info.value.items}
    assert list(items) == ["search_space.m.condition", "forbidden"]
    assert items["search_space.m.condition"].feature == (
        "a conditional parameter (active when opt != 'adam')")
    assert items["forbidden"].nearest == "none: a sweep samples every combination of its" \
                                         " search space"
    job = compiled_job(s, approximate=True)
    assert set(job["search_space"]) == {"lr", "opt", "m"}


def test_population_based_training_is_a_gap_with_random_sampling_nearest(tmp_path):
    s = spec(tmp_path, strategy={"algorithm": "pbt", "population_size": 4},
             trial={"command": "python train.py --lr ${{search_space.lr}}"
                    " --bs ${{search_space.bs}}", "contract": "azure",
                    "resource": {"name": "epochs", "min": 1, "max": 9}})
    with pytest.raises(UnsupportedFeatures) as info:
        AzureBackend().compile(s)
    items = {item.path: item for item in info.value.items}
    assert {"strategy.algorithm", "strategy.population_size"} <= set(items)
    assert "no trial continues another's checkpoint" in items["strategy.algorithm"].nearest
    job = compiled_job(s, approximate=True)
    assert job["sampling_algorithm"] == "random"
