"""What SageMaker cannot express: every feature named with its nearest native option;
--approximate maps the approximable ones, one warning each."""

from __future__ import annotations

import pytest
from hpo_bridge_sagemaker.backend import SageMakerBackend
from hpo_bridge_sagemaker.service_model import validate
from hpo_bridge_sagemaker.translate import OPERATION
from sagemaker_helpers import base_spec, make

from hpo_bridge.backends import UnsupportedFeatures


def compile_(data, approximate=False):
    return SageMakerBackend().compile(make(data), approximate=approximate)


def unsupported(data) -> dict[str, str]:
    with pytest.raises(UnsupportedFeatures) as info:
        compile_(data)
    return {item.path: item.nearest for item in info.value.items}


NORMAL = {"distribution": "normal", "mu": 0.5, "sigma": 0.1}

# (spec changes, unsupported path, words of the nearest option,
#  what --approximate puts into the request (a config key and value) or None)
CASES = [
    ({"search_space": {"p": NORMAL}}, "search_space.p.distribution", "Continuous",
     ("ContinuousParameterRanges", [{"Name": "p", "MinValue": "0.2",
                                     "MaxValue": "0.8", "ScalingType": "Linear"}])),
    ({"search_space": {"p": {"distribution": "lognormal", "mu": 0, "sigma": 1}}},
     "search_space.p.distribution", "Logarithmic",
     ("ContinuousParameterRanges", [{"Name": "p", "MinValue": "0.0497870683679",
                                     "MaxValue": "20.0855369232",
                                     "ScalingType": "Logarithmic"}])),
    ({"search_space": {"p": {"distribution": "qnormal", "mu": 10, "sigma": 2, "q": 1,
                             "type": "int"}}},
     "search_space.p.distribution", "Integer",
     ("IntegerParameterRanges", [{"Name": "p", "MinValue": "4", "MaxValue": "16",
                                  "ScalingType": "Linear"}])),
    ({"search_space": {"p": {"distribution": "quniform", "low": 0, "high": 1, "q": 0.25}}},
     "search_space.p.distribution", "no q",
     ("ContinuousParameterRanges", [{"Name": "p", "MinValue": "0.0", "MaxValue": "1.0",
                                     "ScalingType": "Linear"}])),
    ({"search_space": {"p": {"type": "float", "low": 0, "high": 1, "q": 0.1}}},
     "search_space.p.q", "without q",
     ("ContinuousParameterRanges", [{"Name": "p", "MinValue": "0.0", "MaxValue": "1.0",
                                     "ScalingType": "Auto"}])),
    ({"search_space": {"p": {"type": "float", "low": 1, "high": 10, "scale": "reverse_log"}}},
     "search_space.p.scale", "Linear",
     ("ContinuousParameterRanges", [{"Name": "p", "MinValue": "1.0", "MaxValue": "10.0",
                                     "ScalingType": "Linear"}])),
    ({"search_space": {"n": {"type": "int", "low": 1, "high": 9, "scale": "reverse_log"}}},
     "search_space.n.scale", "Linear",
     ("IntegerParameterRanges", [{"Name": "n", "MinValue": "1", "MaxValue": "9",
                                  "ScalingType": "Linear"}])),
    ({"search_space": {"opt": {"type": "categorical", "values": ["sgd", "adam"]},
                       "m": {"type": "float", "low": 0, "high": 1,
                             "condition": {"parent": "opt", "values": ["sgd"]}}}},
     "search_space.m.condition", "unconditional", None),
    ({"search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1},
                       "opt": {"type": "categorical", "values": ["sgd", "adam"]}},
      "forbidden": [{"opt": "adam", "lr": 0.1}]},
     "forbidden", "any combination", None),
    ({"search_space": {"opt": {"type": "categorical", "values": ["sgd", "adam"]},
                       "m": {"type": "float", "low": 0, "high": 1,
                             "condition": {"parent": "opt", "op": "!=", "values": ["adam"]}}}},
     "search_space.m.condition", "unconditional", None),
    ({"early_stopping": {"policy": "median", "delay_evaluation": 2}},
     "early_stopping.policy", "Auto", ("TrainingJobEarlyStoppingType", "Auto")),
    ({"early_stopping": {"policy": "bandit", "slack_factor": 0.2}},
     "early_stopping.policy", "Auto", ("TrainingJobEarlyStoppingType", "Auto")),
    ({"early_stopping": {"policy": "truncation", "truncation_percentage": 20}},
     "early_stopping.policy", "Auto", ("TrainingJobEarlyStoppingType", "Auto")),
    ({"early_stopping": {"policy": "auto"}},
     "early_stopping.policy", "Auto", ("TrainingJobEarlyStoppingType", "Auto")),
    ({"early_stopping": {"policy": "hyperband"}, "trial": {"resource": {"max": 9}}},
     "early_stopping.policy", "strategy hyperband", ("TrainingJobEarlyStoppingType", "Auto")),
    ({"strategy": {"algorithm": "sobol"}}, "strategy.algorithm", "Random",
     ("Strategy", "Random")),
    ({"strategy": {"algorithm": "bohb"}, "trial": {"resource": {"max": 9}}},
     "strategy.algorithm", "Hyperband", ("Strategy", "Hyperband")),
    ({"strategy": {"algorithm": "bayesian", "sampler": "tpe"}}, "strategy.sampler",
     "no such setting", ("Strategy", "Bayesian")),
    ({"strategy": {"algorithm": "hyperband", "reduction_factor": 4},
      "trial": {"resource": {"max": 9}}}, "strategy.reduction_factor", "no such setting",
     ("Strategy", "Hyperband")),
    ({"objective": None, "objectives": [{"metric": "loss", "goal": "minimize"},
                                        {"metric": "time", "goal": "minimize"}],
      "metrics": [{"name": "loss", "regex": "loss=([0-9.]+)"},
                  {"name": "time", "regex": "time=([0-9.]+)"}]},
     "objectives", "a single objective",
     ("HyperParameterTuningJobObjective", {"Type": "Minimize", "MetricName": "loss"})),
    ({"objective": {"metric": "loss", "goal": "minimize", "measurement": "best"}},
     "objective.measurement", "final value",
     ("HyperParameterTuningJobObjective", {"Type": "Minimize", "MetricName": "loss"})),
    ({"limits": {"max_trials": 4, "max_failed": 2}}, "limits.max_failed", "none", None),
    ({"trial": {"devices": [0, 1]}, "limits": {"max_trials": 4, "max_parallel": 2}},
     "trial.devices", "instance_type", None),
    ({"trial": {"python": "python3.11"}}, "trial.python", "image", None),
    ({"limits": {"max_trials": 4, "max_parallel": 2, "max_total_resource": 20},
      "strategy": {"algorithm": "hyperband"}, "trial": {"resource": {"max": 9}}},
     "limits.max_total_resource", "max_trials", ("Strategy", "Hyperband")),
    ({"trial": {"fullytrain": {"top_k": 1}}}, "trial.fullytrain", "best hyperparameters",
     None),
]
NOT_APPROXIMABLE = [
    ({"trial": {"contract": "vertex"}}, "trial.contract", "contract sagemaker"),
    ({"trial": {"contract": "azure"}}, "trial.contract", "contract sagemaker"),
    ({"trial": {"contract": "vega"}}, "trial.contract", "contract sagemaker"),
    ({"metrics": []}, "metrics", "add {name: loss"),
    ({"trial": {"args": {"pretrained": None}}}, "trial.args.pretrained", "value"),
    ({"trial": {"command": ["python", "train.py", "--fast"]}}, "trial.command", "trial.args"),
    ({"search_space": {"c": {"type": "categorical", "values": list(range(31))}}},
     "search_space.c", "fewer values"),
    ({"strategy": {"algorithm": "grid"}, "limits": {"max_trials": 2},
      "search_space": {"n": {"type": "int", "low": 1, "high": 3}}},
     "limits.max_trials", "strategy random"),
]


def _apply(changes):
    data = base_spec()
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


@pytest.mark.parametrize(("changes", "path", "nearest", "approx"), CASES,
                         ids=[c[1] + ":" + str(i) for i, c in enumerate(CASES)])
def test_unsupported_feature_named_then_approximated(changes, path, nearest, approx):
    data = _apply(changes)
    found = unsupported(data)
    assert path in found and nearest in found[path]
    compiled = compile_(data, approximate=True)
    assert any(w.startswith(f"{path}: ") for w in compiled.warnings)
    assert len(compiled.warnings) == len(found)  # one warning per mapping
    assert validate(OPERATION, compiled.request) == []
    if approx is not None:
        key, value = approx
        cfg = compiled.request["HyperParameterTuningJobConfig"]
        got = cfg.get(key, cfg["ParameterRanges"].get(key))
        assert got == value


@pytest.mark.parametrize(("changes", "path", "nearest"), NOT_APPROXIMABLE,
                         ids=[c[1] for c in NOT_APPROXIMABLE])
def test_unsupported_without_approximation_fails_even_with_approximate(changes, path,
                                                                       nearest, tmp_path):
    data = _apply(changes)
    base = tmp_path if data.get("trial", {}).get("command") else None
    if base is not None:
        (tmp_path / "train.py").write_text("print('loss=1')\n")
    for approximate in (False, True):
        with pytest.raises(UnsupportedFeatures) as info:
            SageMakerBackend().compile(make(data, base), approximate=approximate)
        items = {i.path: i for i in info.value.items}
        assert path in items and nearest in items[path].nearest
        assert items[path].approximation is None


def test_every_unsupported_feature_is_listed_at_once():
    data = base_spec(
        search_space={"p": NORMAL, "q": {"distribution": "lognormal", "mu": 0, "sigma": 1}},
        early_stopping={"policy": "median"},
        strategy={"algorithm": "sobol"},
        limits={"max_trials": 4, "max_failed": 1},
        trial={"contract": "vega"},
    )
    with pytest.raises(UnsupportedFeatures) as info:
        compile_(data)
    assert [i.path for i in info.value.items] == [
        "strategy.algorithm", "limits.max_failed", "search_space.p.distribution",
        "search_space.q.distribution", "early_stopping.policy", "trial.contract",
    ]
    lines = str(info.value).splitlines()
    assert len(lines) == 6 and all(line.startswith("sagemaker: ") for line in lines)
    assert "nearest: strategy Random" in lines[0]


def test_approximate_warns_once_per_mapping():
    data = base_spec(search_space={"p": NORMAL, "lr": {"type": "float", "low": 0.1,
                                                       "high": 1}},
                     early_stopping={"policy": "median"})
    compiled = compile_(data, approximate=True)
    assert compiled.warnings == [
        "search_space.p.distribution: distribution normal is approximated:"
        " Linear range [0.2, 0.8] (mu +- 3 sigma)",
        "early_stopping.policy: policy median is approximated: TrainingJobEarlyStoppingType Auto",
    ]


@pytest.mark.parametrize(("strategy", "path", "nearest"), [
    ({"algorithm": "bayesian", "n_startup_trials": 5}, "strategy.n_startup_trials",
     "Bayesian strategy has no such setting"),
    ({"algorithm": "hyperband", "brackets": 2}, "strategy.brackets",
     "Hyperband strategy has no such setting"),
    ({"algorithm": "random", "options": {"jitter": 1}}, "strategy.options",
     "Random strategy takes no options"),
])
def test_strategy_settings_sagemaker_lacks_are_named_then_ignored(strategy, path, nearest):
    data = base_spec(strategy=strategy, trial={"resource": {"max": 9}})
    assert nearest in unsupported(data)[path]
    compiled = compile_(data, approximate=True)
    (warning,) = compiled.warnings
    assert warning.startswith(f"{path}: ") and warning.endswith("is approximated: ignored")
    assert validate(OPERATION, compiled.request) == []


def test_a_plugin_algorithm_without_a_native_equivalent_has_no_approximation():
    """E.g. an evolutionary searcher from a plugin: SageMaker has nothing near."""
    import types

    from hpo_bridge.hookspecs import hookimpl
    from hpo_bridge.plugins import reset_registry

    @hookimpl
    def register_searchers(register):
        register("evolution", "builtins:dict", description="an evolutionary search")

    reset_registry([("evolution-plugin",
                     types.SimpleNamespace(register_searchers=register_searchers))])
    try:
        data = base_spec(strategy={"algorithm": "evolution"})
        for approximate in (False, True):
            with pytest.raises(UnsupportedFeatures) as info:
                compile_(data, approximate=approximate)
            (item,) = info.value.items
            assert item.path == "strategy.algorithm" and item.approximation is None
            assert item.nearest == "strategy Bayesian, Random, Grid or Hyperband"
    finally:
        reset_registry()


def test_forbidden_and_condition_ops_read_in_the_gap_lines():
    data = base_spec(
        search_space={"opt": {"type": "categorical", "values": ["sgd", "adam", "rms"]},
                      "m": {"type": "float", "low": 0, "high": 1,
                            "condition": {"parent": "opt", "op": "not_in",
                                          "values": ["adam", "rms"]}}},
        forbidden=[{"opt": "rms", "m": 0.5}, {"opt": "sgd", "m": 1}])
    with pytest.raises(UnsupportedFeatures) as info:
        compile_(data)
    assert str(info.value).splitlines() == [
        "sagemaker: search_space.m.condition: a conditional parameter (active when"
        " opt not in ['adam', 'rms']) (not supported; nearest: an unconditional range)",
        "sagemaker: forbidden: forbidden combinations (2 of them) (not supported; nearest:"
        " none: SageMaker's tuner may propose any combination of the ranges)",
    ]


def test_check_args_is_named_then_dropped(tmp_path):
    (tmp_path / "train.py").write_text("print('loss=1')\n")
    data = base_spec(trial={"command": ["python", "train.py"], "check_args": True})
    with pytest.raises(UnsupportedFeatures) as info:
        SageMakerBackend().compile(make(data, tmp_path))
    items = {i.path: i for i in info.value.items}
    assert list(items) == ["trial.check_args"]
    assert items["trial.check_args"].nearest == (
        "leave out of search_space and trial.args what it does not take")
    compiled = SageMakerBackend().compile(make(data, tmp_path), approximate=True)
    assert compiled.warnings == ["trial.check_args: passing only the arguments the script"
                                 " accepts is approximated: dropped: every argument is passed"]


def test_population_based_training_is_a_gap_with_hyperband_nearest():
    data = base_spec(strategy={"algorithm": "pbt", "population_size": 4,
                               "perturbation_interval": 3},
                     trial={"resource": {"name": "epochs", "min": 1, "max": 9}})
    gaps = unsupported(data)
    assert "strategy Hyperband" in gaps["strategy.algorithm"]
    assert "no such setting" in gaps["strategy.population_size"]
    assert "no such setting" in gaps["strategy.perturbation_interval"]
    compiled = compile_(data, approximate=True)
    strategy = compiled.request["HyperParameterTuningJobConfig"]["Strategy"]
    assert strategy == "Hyperband"
    assert validate(OPERATION, compiled.request) == []
