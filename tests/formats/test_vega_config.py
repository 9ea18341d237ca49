"""Reading Vega's hpo.yml into the unified spec: every section, pinned mappings, and one
placed line per thing that cannot be mapped."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from hpo_bridge.formats.vega import VegaFormat
from hpo_bridge.formats.vega.algorithms import asha_design, bohb_design, boss_design
from hpo_bridge.loading import installed_catalogue
from hpo_bridge.spec import SpecError, parse_yaml, validate_spec

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vega" / "hpo.yml"
WHEN = datetime(2022, 8, 20, 15, 25, 8, 49000)


def convert(data: Any, env: dict[str, str] | None = None, text: str | None = None,
            base_dir: Path = Path("/srv/project")):
    fmt = VegaFormat(env=env or {}, clock=lambda: WHEN)
    return fmt.convert(data, text=text, base_dir=base_dir, source="hpo.yml")


def problems(data: Any, **kwargs: Any) -> list[str]:
    with pytest.raises(SpecError) as info:
        convert(data, **kwargs)
    return [str(p) for p in info.value.problems]


def notes(converted) -> list[str]:
    return [str(n) for n in converted.notes]


def base(**steps: Any) -> dict[str, Any]:
    """A small valid Vega file; `steps` replaces parts of its hpo step."""
    data: dict[str, Any] = {
        "pipeline": ["hpo"],
        "hpo": {
            "pipe_step": {"type": "SearchPipeStep"},
            "search_algorithm": {"type": "RandomSearch", "policy": {"num_sample": 4}},
            "search_space": {"hyperparameters": [
                {"key": "lr", "type": "FLOAT_EXP", "range": [1e-4, 0.1]}]},
            "trainer": {"type": "HpoRunner", "train_script": "/code/train.py"},
        },
    }
    data["hpo"].update(steps)
    return data


def algorithm(kind: str, policy: dict | None = None, **extra: Any) -> dict[str, Any]:
    section: dict[str, Any] = {"type": kind, **extra}
    if policy is not None:
        section["policy"] = policy
    return convert(base(search_algorithm=section)).spec


def test_the_documents_hpo_yml_maps_to_this_spec():
    text = EXAMPLE.read_text()
    converted = convert(parse_yaml(text), text=text, base_dir=EXAMPLE.parent)
    assert converted.spec == {
        "name": "hpo",
        "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.01}},
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "strategy": {"algorithm": "random"},
        "limits": {"max_trials": 10, "max_duration": 10000, "trial_timeout": 150,
                   "max_failed": 10},
        "trial": {
            "contract": "vega",
            "command": ["python", "../hpo_sample.py"],  # relative to pkg_path
            "code": "./pkg",
            "args": {"momentum": 0.9, "pretrained": None,
                     "config_file": str(EXAMPLE.parent / "config.yml")},
            "check_args": True,
            "fullytrain": {"top_k": 1, "max_parallel": 1},
        },
    }
    assert notes(converted) == [
        "line 13: general.logger.level: not mapped: hpo-bridge's own output is fixed; each"
        " trial's output goes to its log",
        "line 36: hpo.trainer.objectives.avg_time: not among search_algorithm.objective_keys"
        " (accuracy): Vega does not optimise it either",
    ]
    # local_base_path "." and Vega's task id (month-day.hms.milliseconds)
    assert converted.study_dir == Path("tasks/0820.152508.049")
    spec = validate_spec(converted.spec, installed_catalogue(), base_dir=EXAMPLE.parent)
    assert spec.code_dir == EXAMPLE.parent / "pkg"


def test_recognised_only_with_a_pipeline_and_no_unified_search_space():
    fmt = VegaFormat(env={})
    assert fmt.recognizes(base())
    assert not fmt.recognizes({"name": "x", "search_space": {}, "pipeline": []})
    assert not fmt.recognizes({"name": "x", "search_space": {}})
    assert not fmt.recognizes(["pipeline"])


@pytest.mark.parametrize(("pipeline", "step_types", "note"), [
    (["hpo", "fullytrain"], ("SearchPipeStep", "TrainPipeStep"), None),
    (["hpo", "fully_train"], ("SearchPipeStep", "TrainPipeStep"), "hpo, fully_train"),
    (["pbt", "fully_train"], ("SearchPipeStep", "TrainPipeStep"), "pbt, fully_train"),
    (["search", "final"], ("CustomSearchPipeStep", "TrainPipeStep"), "search, final"),
    (["hpo", "fully_train"], (None, None), "hpo, fully_train"),  # kind from the names
])
def test_steps_are_resolved_through_pipe_step_type(pipeline, step_types, note):
    data = base()
    search = data.pop("hpo")
    search_type, train_type = step_types
    if search_type is None:
        search.pop("pipe_step")
    else:
        search["pipe_step"] = {"type": search_type}
    train: dict[str, Any] = {"trainer": {"ref": f"{pipeline[0]}.trainer"}}
    if train_type is not None:
        train["pipe_step"] = {"type": train_type}
    data.update({"pipeline": pipeline, pipeline[0]: search, pipeline[1]: train})
    converted = convert(data)
    assert converted.spec["trial"]["fullytrain"] == {"top_k": 1, "max_parallel": 1}
    found = [n for n in notes(converted) if n.startswith("pipeline: ")]
    if note is None:
        assert found == []
    else:
        assert found == [f"pipeline: steps {note} run as hpo-bridge's hpo and fullytrain"
                         " stages (PIPESTEP and the output folders use those names)"]


def test_pipelines_hpo_bridge_cannot_run_are_refused_at_their_place():
    data = base()
    data["pipeline"] = ["nas", "hpo", "hpo2", "fullytrain"]
    data["nas"] = {"pipe_step": {"type": "NasPipeStep"}}
    data["hpo2"] = copy.deepcopy(data["hpo"])
    assert problems(data) == [
        "nas.pipe_step.type: 'NasPipeStep' cannot be mapped (hpo-bridge runs SearchPipeStep,"
        " CustomSearchPipeStep, TrainPipeStep)",
        "pipeline.0: step 'nas': hpo-bridge runs one search step followed by at most one"
        " fully-train step",
        "pipeline.2: step 'hpo2': hpo-bridge runs one search step followed by at most one"
        " fully-train step",
        "pipeline.3: no section 'fullytrain' in the file",
    ]


# -- search algorithms ------------------------------------------------------------------------
def test_vegas_bracket_sizing_formulas_pinned():
    # (configurations, most epochs per trial) for the budgets of Vega's own examples
    assert asha_design(50, 3) == (17, 9)        # AshaHpo's default total_epochs
    assert bohb_design(81, 1, 3, 1) == (14, 27)  # BohbHpo's defaults
    assert bohb_design(2430, 2, 3, 1) == (242, 81)  # examples/hpo/bohb/bohb.yml
    assert boss_design(2754, 2) == (242, 81)      # examples/hpo/boss/boss.yml
    assert boss_design(81, 2) == (23, 9)


def test_random_search_takes_num_sample_trials():
    assert algorithm("RandomSearch", {"num_sample": 7})["limits"]["max_trials"] == 7
    assert algorithm("RandomSearch")["limits"]["max_trials"] == 10  # Vega's default


def test_asha_budget_in_epochs_is_honoured():
    spec = algorithm("AshaHpo", {"total_epochs": 50})
    assert spec["strategy"] == {"algorithm": "hyperband", "reduction_factor": 3}
    assert spec["limits"] == {"max_trials": 17, "max_total_resource": 50, "max_failed": 17}
    assert spec["trial"]["resource"] == {"name": "epochs", "min": 1, "max": 9}


def test_asha_without_an_epoch_budget_uses_num_samples_and_max_epochs():
    spec = algorithm("AshaHpo", {"total_epochs": -1, "num_samples": 12, "max_epochs": 27,
                                 "eta": 3})
    assert spec["limits"] == {"max_trials": 12, "max_failed": 12}
    assert spec["trial"]["resource"] == {"name": "epochs", "min": 1, "max": 27}


def test_bohb_and_boss_map_to_bohb_with_vegas_sizes():
    bohb = algorithm("BohbHpo", {"total_epochs": 2430, "repeat_times": 2})
    assert bohb["strategy"] == {"algorithm": "bohb", "reduction_factor": 3}
    assert bohb["limits"]["max_trials"] == 242 and bohb["limits"]["max_total_resource"] == 2430
    assert bohb["trial"]["resource"] == {"name": "epochs", "min": 1, "max": 81}
    converted = convert(base(search_algorithm={"type": "BossHpo",
                                               "policy": {"total_epochs": 81}}))
    assert converted.spec["strategy"]["algorithm"] == "bohb"
    assert converted.spec["limits"]["max_trials"] == 23
    assert notes(converted) == [
        "hpo.search_algorithm.policy: BossHpo runs as bohb: BOSS's sub-sampling comparisons"
        " have no equivalent; its nearest is model-based successive halving"]


def test_pbt_maps_to_strategy_pbt_with_its_options():
    spec = algorithm("PBTHpo", {"config_count": 8, "each_epochs": 2, "total_rungs": 10})
    assert spec["strategy"] == {
        "algorithm": "pbt", "population_size": 8, "perturbation_interval": 2, "synch": True,
        "quantile_fraction": 0.5, "perturbation_factors": [0.9, 1.1],
        "resample_probability": 0.0}
    assert spec["trial"]["resource"] == {"name": "epochs", "min": 1, "max": 20}
    assert "max_trials" not in spec.get("limits", {})
    assert validate_spec(spec).max_trials == 8 * 10  # every member's segments


def test_random_pareto_is_a_multi_objective_random_search_in_epochs():
    data = base(search_algorithm={"type": "RandomParetoHpo",
                                  "objective_keys": ["accuracy", "latency"],
                                  "policy": {"total_epochs": 12, "max_epochs": 3}})
    data["hpo"]["trainer"]["objectives"] = {"accuracy": "MAX", "latency": "MIN"}
    spec = convert(data).spec
    assert spec["objectives"] == [{"metric": "accuracy", "goal": "maximize"},
                                  {"metric": "latency", "goal": "minimize"}]
    assert "objective" not in spec
    assert spec["strategy"] == {"algorithm": "random"}
    assert spec["limits"]["max_trials"] == 4 and spec["limits"]["max_total_resource"] == 12
    assert spec["trial"]["resource"] == {"name": "epochs", "min": 3, "max": 3}


def test_bayes_search_tuner_and_warmup():
    assert algorithm("BayesSearch", tuner="GP", num_samples=20, warmup_count=5)["strategy"] == {
        "algorithm": "bayesian", "n_startup_trials": 5, "sampler": "gp"}
    converted = convert(base(search_algorithm={"type": "BayesSearch"}))
    assert converted.spec["limits"]["max_trials"] == 32
    assert notes(converted) == ["hpo.search_algorithm.tuner: RF: hpo-bridge's bayesian search"
                                " models with TPE (its nearest) or GP"]


def test_objective_keys_as_a_string_or_a_list():
    one = convert(base(search_algorithm={"type": "RandomSearch", "objective_keys": "loss"}))
    assert one.spec["objective"] == {"metric": "loss", "goal": "maximize"}
    data = base(search_algorithm={"type": "RandomSearch", "objective_keys": ["acc", "lat"]})
    data["hpo"]["trainer"]["objectives"] = {"acc": "MAX", "lat": "MIN"}
    assert [o["goal"] for o in convert(data).spec["objectives"]] == ["maximize", "minimize"]


def test_unmappable_algorithms_and_policies_are_placed():
    assert problems(base(search_algorithm={"type": "EvolutionAlgorithm"})) == [
        "hpo.search_algorithm.type: 'EvolutionAlgorithm' cannot be mapped (hpo-bridge maps"
        " RandomSearch, GridSearch, RandomParetoHpo, AshaHpo, BohbHpo, BossHpo, BayesSearch,"
        " PBTHpo)"]
    assert problems(base(search_algorithm={"type": "AshaHpo", "policy": {"eta": "3"}})) == [
        "hpo.search_algorithm.policy.eta: must be a whole number (got '3')"]
    converted = convert(base(search_algorithm={"type": "RandomSearch",
                                               "policy": {"num_sample": 3, "jitter": 1}}))
    assert notes(converted) == ["hpo.search_algorithm.policy.jitter: not mapped (RandomSearch"
                                " takes num_sample)"]


def test_a_vega_pbt_config_runs_as_the_pbt_strategy():
    text = yaml.safe_dump(base(search_algorithm={"type": "PBTHpo"}))
    from hpo_bridge.loading import convert_document

    spec = convert_document(VegaFormat(env={}), parse_yaml(text), text,
                            Path("/x/hpo.yml")).spec
    assert spec.strategy.algorithm == "pbt" and spec.strategy.population_size == 16
    assert spec.resource_bounds() == (1, 600) and spec.max_trials == 16 * 200


# -- search space -----------------------------------------------------------------------------
def test_every_vega_type_including_the_old_names():
    space = {"hyperparameters": [
        {"key": "dataset.batch_size", "type": "CATEGORY", "range": [8, 16, 32]},
        {"key": "opt", "type": "STRING", "range": ["Adam", "SGD"]},
        {"key": "layers", "type": "INT_CAT", "range": [1, 2, 4]},
        {"key": "drop", "type": "FLOAT_CAT", "range": [0.1, 0.5]},
        {"key": "nesterov", "type": "BOOL"},
        {"key": "depth", "type": "INT", "range": [1, 6]},
        {"key": "units", "type": "INT_EXP", "range": [16, 512]},
        {"key": "momentum", "type": "FLOAT", "range": [0.0, 0.99]},
        {"key": "trainer.optimizer.params.lr", "type": "float_exp", "range": [1e-5, 0.1]},
    ]}
    assert convert(base(search_space=space)).spec["search_space"] == {
        "dataset.batch_size": {"type": "categorical", "values": [8, 16, 32]},
        "opt": {"type": "categorical", "values": ["Adam", "SGD"]},
        "layers": {"type": "categorical", "values": [1, 2, 4]},
        "drop": {"type": "categorical", "values": [0.1, 0.5]},
        "nesterov": {"type": "bool"},
        "depth": {"type": "int", "low": 1, "high": 6},
        "units": {"type": "int", "low": 16, "high": 512, "scale": "log"},
        "momentum": {"type": "float", "low": 0.0, "high": 0.99},
        "trainer.optimizer.params.lr": {"type": "float", "low": 1e-5, "high": 0.1,
                                        "scale": "log"},
    }


def test_conditions_equal_not_equal_and_in():
    space = {
        "hyperparameters": [
            {"key": "opt", "type": "CATEGORY", "range": ["Adam", "SGD", "RMS"]},
            {"key": "depth", "type": "INT", "range": [1, 8]},
            {"key": "momentum", "type": "FLOAT", "range": [0.0, 0.99]},
            {"key": "nesterov", "type": "BOOL"},
            {"key": "beta", "type": "FLOAT", "range": [0.8, 0.99]},
            {"key": "width", "type": "INT", "range": [8, 64]},
            {"key": "eps", "type": "FLOAT_EXP", "range": [1e-8, 1e-4]},
        ],
        "condition": [
            {"key": "c1", "child": "momentum", "parent": "opt", "type": "EQUAL",
             "range": ["SGD"]},
            {"key": "c2", "child": "beta", "parent": "opt", "type": "NOT_EQUAL",
             "range": ["SGD"]},
            {"key": "c3", "child": "eps", "parent": "opt", "type": "NOT_EQUAL",
             "range": ["SGD", "RMS"]},
            {"key": "c4", "child": "nesterov", "parent": "opt", "type": "IN",
             "range": ["SGD", "RMS"]},
            {"key": "c5", "child": "width", "parent": "depth", "type": "IN", "range": [2, 4.0]},
        ],
    }
    spec = convert(base(search_space=space)).spec["search_space"]
    assert spec["momentum"]["condition"] == {"parent": "opt", "op": "==", "values": ["SGD"]}
    assert spec["beta"]["condition"] == {"parent": "opt", "op": "!=", "values": ["SGD"]}
    assert spec["eps"]["condition"] == {"parent": "opt", "op": "not_in",
                                        "values": ["SGD", "RMS"]}
    assert spec["nesterov"]["condition"] == {"parent": "opt", "values": ["SGD", "RMS"]}
    # IN over a numeric parent is Vega's range [low, high], values cast to the parent's type
    assert spec["width"]["condition"] == {"parent": "depth", "op": "range", "values": [2, 4]}
    assert validate_spec(convert(base(search_space=space)).spec, installed_catalogue())


def test_forbidden_combinations_are_kept():
    space = {"hyperparameters": [
        {"key": "opt", "type": "CATEGORY", "range": ["Adam", "SGD"]},
        {"key": "depth", "type": "INT", "range": [1, 8]}],
        "forbidden": [{"opt": "SGD", "depth": 8.0}, {"opt": "Adam"}]}
    assert convert(base(search_space=space)).spec["forbidden"] == [
        {"opt": "SGD", "depth": 8}, {"opt": "Adam"}]


def test_search_space_problems_are_placed():
    space = {"hyperparameters": [
        {"key": "a", "type": "BINARY_CODE", "range": [10]},
        {"key": "b", "type": "CATEGORY", "range": [[1, 2], [3]]},
        {"key": "c", "type": "FLOAT", "range": [1]},
        {"key": "d", "type": "INT", "range": [1.5, 3]},
        {"key": "e", "type": "FLOAT", "range": [0, 1]},
        {"key": "e", "type": "FLOAT", "range": [0, 1]},
        {"key": "f g", "type": "FLOAT", "range": [0, 1]},
        {"key": "h", "type": "CATEGORY", "range": ["x", "y"]}],
        "condition": [
            {"child": "e", "parent": "zz", "type": "EQUAL", "range": [1]},
            {"child": "e", "parent": "h", "type": "EQUAL", "range": ["x", "y"]},
            {"child": "e", "parent": "h", "type": "LIKE", "range": ["x"]}],
        "forbidden": [{"nope": 1}, []]}
    assert problems(base(search_space=space)) == [
        "hpo.search_space.hyperparameters.0.type: BINARY_CODE encodes an architecture for"
        " Vega's NAS; it cannot be mapped to a hyperparameter",
        "hpo.search_space.hyperparameters.1.range: a list or mapping as a choice (Vega's"
        " list-valued CATEGORY) cannot be mapped: choices are strings, numbers or booleans",
        "hpo.search_space.hyperparameters.2.range: FLOAT takes [low, high] (got [1])",
        "hpo.search_space.hyperparameters.3.range: INT takes whole numbers (got [1.5, 3])",
        "hpo.search_space.hyperparameters.5.key: duplicate key 'e'",
        "hpo.search_space.hyperparameters.6.key: must be a name of letters, digits and - _ ."
        " : / (starting with a letter, digit or underscore) (got 'f g')",
        "hpo.search_space.condition.0.parent: 'zz' is not a key of hyperparameters",
        "hpo.search_space.condition.1.range: EQUAL takes one value (got 2)",
        "hpo.search_space.condition.2.type: unknown condition type 'LIKE' (EQUAL, NOT_EQUAL"
        " or IN)",
        "hpo.search_space.forbidden.0.nope: 'nope' is not a key of hyperparameters",
        "hpo.search_space.forbidden.1: must be a mapping {key: value, ...}, not a list",
    ]


def test_one_condition_per_child():
    space = {"hyperparameters": [
        {"key": "a", "type": "CATEGORY", "range": ["x", "y"]},
        {"key": "b", "type": "FLOAT", "range": [0, 1]}],
        "condition": [{"child": "b", "parent": "a", "type": "EQUAL", "range": ["x"]},
                      {"child": "b", "parent": "a", "type": "NOT_EQUAL", "range": ["y"]}]}
    assert problems(base(search_space=space)) == [
        "hpo.search_space.condition.1.child: 'b' already has a condition; hpo-bridge takes one"
        " condition per parameter"]


# -- trainer ----------------------------------------------------------------------------------
def test_trainer_arguments_config_file_and_arg_check():
    trainer = {"type": "HpoRunner", "train_script": "src/train.py", "pkg_path": "src",
               "other_args": {"momentum": 0.9, "pretrained": None, "tag": "x"},
               "has_config_arg": True, "config_arg_name": "cfg",
               "config_file_path": "conf/c.yml", "enable_arg_check": True,
               "objectives": {"accuracy": "min"}}
    trial = convert(base(trainer=trainer)).spec["trial"]
    assert trial == {"contract": "vega", "command": ["python", "train.py"], "code": "src",
                     "args": {"momentum": 0.9, "pretrained": None, "tag": "x",
                              "cfg": "/srv/project/conf/c.yml"},
                     "check_args": True}
    assert convert(base(trainer=trainer)).spec["objective"]["goal"] == "minimize"


def test_trainer_problems_are_placed():
    assert problems(base(trainer={"type": "Trainer", "epochs": 3})) == [
        "hpo.trainer.train_script: hpo-bridge runs a training script: give train_script"
        " (Vega's built-in Trainer, with a model and a dataset, cannot be mapped)"]
    assert problems(base(trainer={"train_script": "t.py", "has_config_arg": True,
                                  "config_arg_name": "c", "objectives": {"accuracy": "UP"},
                                  "other_args": {"x": [1]}})) == [
        "hpo.trainer.objectives.accuracy: must be MAX or MIN (got 'UP')",
        "hpo.trainer.other_args.x: a fixed argument is one value or ~ (got a list)",
        "hpo.trainer.config_file_path: needed when has_config_arg is true",
    ]


# -- general ----------------------------------------------------------------------------------
def test_timeouts_and_their_defaults():
    data = base()
    data["general"] = {"search_timeout": 600}
    assert convert(data).spec["limits"] == {"max_trials": 4, "max_duration": 600,
                                            "trial_timeout": 600, "max_failed": 4}
    data["general"] = {"search_timeout": 31536000, "worker": {"timeout": 60}}
    assert convert(data).spec["limits"] == {"max_trials": 4, "trial_timeout": 60,
                                            "max_failed": 4}
    data["general"] = {}
    assert convert(data).spec["limits"] == {"max_trials": 4, "max_failed": 4}


@pytest.mark.parametrize(("env", "devices", "parallel"), [
    ({"NPU_VISIBLE_DEVICES": "3,4"}, ["3", "4"], 2),
    ({"NPU_VISIBLE_DEVICES": "'0, 1, 2'", "CUDA_VISIBLE_DEVICES": "7"}, ["0", "1", "2"], 3),
    ({"CUDA_VISIBLE_DEVICES": "5,6,7,8,9"}, ["5", "6", "7", "8", "9"], 4),  # 4 trials only
])
def test_parallel_search_over_the_visible_devices(env, devices, parallel):
    data = base()
    data["general"] = {"parallel_search": True}
    spec = convert(data, env=env).spec
    assert spec["trial"]["devices"] == devices
    assert spec["limits"]["max_parallel"] == parallel
    assert validate_spec(spec, installed_catalogue())


def test_parallel_search_without_devices_runs_one_at_a_time():
    data = base()
    data["general"] = {"parallel_search": True}
    converted = convert(data, env={})
    assert "devices" not in converted.spec["trial"]
    assert "max_parallel" not in converted.spec["limits"]
    assert notes(converted) == ["general.parallel_search: no devices listed in"
                                " NPU_VISIBLE_DEVICES or CUDA_VISIBLE_DEVICES: trials run one"
                                " at a time"]


def test_parallel_fully_train_bounds_the_fullytrain_stage():
    data = base()
    data["pipeline"] = ["hpo", "fullytrain"]
    data["fullytrain"] = {"pipe_step": {"type": "TrainPipeStep"},
                          "trainer": {"ref": "hpo.trainer"}}
    data["general"] = {"parallel_search": True, "parallel_fully_train": True}
    spec = convert(data, env={"NPU_VISIBLE_DEVICES": "0,1"}).spec
    assert spec["trial"]["fullytrain"] == {"top_k": 1, "max_parallel": 2}
    # a search one trial at a time still hands the devices out, for the fullytrain stage
    data["general"] = {"parallel_search": False, "parallel_fully_train": True}
    spec = convert(data, env={"NPU_VISIBLE_DEVICES": "0,1"}).spec
    assert spec["trial"]["devices"] == ["0", "1"] and "max_parallel" not in spec["limits"]
    assert spec["trial"]["fullytrain"] == {"top_k": 1, "max_parallel": 2}
    assert validate_spec(spec, installed_catalogue())


def test_local_base_path_places_the_task_folder():
    data = base()
    data["general"] = {"task": {"local_base_path": "/home/xxx"}}
    assert convert(data).study_dir == Path("/home/xxx/tasks/0820.152508.049")


def test_what_cannot_be_mapped_is_one_line_each_with_its_place():
    text = """\
general:
  backend: pytorch
  logger:
    level: debug
  cluster: {master_ip: 1.2.3.4}
pipeline: [hpo, fully_train]
hpo:
  pipe_step: {type: SearchPipeStep}
  dataset: {type: Cifar10}
  model: {model_desc: {modules: [backbone]}}
  search_algorithm:
    type: AshaHpo
    policy: {total_epochs: 50, config_count: 2}
  search_space:
    hyperparameters:
      - {key: lr, type: FLOAT, range: [0.1, 1], slice: 2}
  trainer: {train_script: t.py, epochs: 3}
fully_train:
  pipe_step: {type: TrainPipeStep}
  dataset: {ref: hpo.dataset}
  trainer: {ref: hpo.trainer, epochs: 200}
extra: 1
"""
    converted = convert(parse_yaml(text), text=text)
    assert notes(converted) == [
        "line 2: general.backend: not mapped: hpo-bridge runs trials as local processes of"
        " their own",
        "line 4: general.logger.level: not mapped: hpo-bridge's own output is fixed; each"
        " trial's output goes to its log",
        "line 5: general.cluster: not mapped: hpo-bridge runs trials as local processes of"
        " their own",
        "line 6: pipeline: steps hpo, fully_train run as hpo-bridge's hpo and fullytrain"
        " stages (PIPESTEP and the output folders use those names)",
        "line 9: hpo.dataset: not mapped: the training script brings its own model, data and"
        " evaluation",
        "line 10: hpo.model: not mapped: the training script brings its own model, data and"
        " evaluation",
        "line 13: hpo.search_algorithm.policy.config_count: not mapped: each trial is one"
        " configuration",
        "line 16: hpo.search_space.hyperparameters.0.slice: not mapped: hpo-bridge samples"
        " every hyperparameter itself (slice, generator and sample_num are Vega's NAS"
        " encodings)",
        "line 17: hpo.trainer.epochs: not mapped: a setting of Vega's built-in Trainer (the"
        " script trains as it likes)",
        "line 20: fully_train.dataset: not mapped: the training script brings its own model,"
        " data and evaluation",
        "line 21: fully_train.trainer.epochs: not mapped: the fullytrain stage gives the"
        " script no EPOCHS; it trains in full as it decides",
        "line 22: extra: not mapped: not a step of the pipeline",
    ]


def test_validation_problems_name_their_place_in_the_vega_file(tmp_path):
    from hpo_bridge.loading import load_document

    path = tmp_path / "hpo.yml"
    path.write_text("""\
pipeline: [hpo]
hpo:
  search_algorithm: {type: RandomSearch, policy: {num_sample: 2}}
  search_space:
    hyperparameters:
      - {key: lr, type: FLOAT, range: [0.1, 0.01]}
  trainer: {train_script: t.py}
""")
    with pytest.raises(SpecError) as info:
        load_document(path)
    assert str(info.value) == (
        f"{path}: line 6: hpo.search_space.hyperparameters.0: low (0.1) must be less than"
        " high (0.01) (as search_space.lr)")


def test_not_a_mapping_at_all():
    assert problems(["pipeline"]) == ["a Vega file is a mapping (general, pipeline, and the"
                                      " steps)"]
    assert problems({"pipeline": "hpo"}) == [
        "pipeline: must list the steps, e.g. [hpo, fullytrain] (got 'hpo')"]
