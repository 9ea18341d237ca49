"""Every validation rule of the spec, with the exact dotted path of its problem."""

from __future__ import annotations

from typing import Any

import pytest
from spec_helpers import DELETE, Replace, assert_problem, patched, problems, valid

from hpo_bridge.spec.domains import DISTRIBUTION_PARAMS

F = {"type": "float", "low": 0.001, "high": 0.1}  # a continuous domain
CAT = {"type": "categorical", "values": ["a", "b"]}


def space(**domains: Any) -> dict[str, Any]:
    """A patch replacing the whole search space."""
    return {"search_space": Replace(domains)}


# (patch on the minimal spec, path, fragment of the message)
CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # name
    ("name-hyphen-start", {"name": "-bad"}, "name",
     "letters, digits, '-', '_' and '.', starting with a letter or digit"),
    ("name-slash", {"name": "bad/name"}, "name", "letters, digits, '-', '_' and '.'"),
    ("name-space", {"name": "bad name"}, "name", "letters, digits, '-', '_' and '.'"),
    ("name-empty", {"name": ""}, "name", "at least 1 character"),
    ("name-long", {"name": "a" * 129}, "name", "at most 128 characters"),
    ("name-missing", {"name": DELETE}, "name", "required"),
    # objective / objectives
    ("objective-and-objectives",
     {"objectives": [{"metric": "a", "goal": "maximize"}, {"metric": "b", "goal": "minimize"}]},
     "objective", "give exactly one of objective and objectives"),
    ("no-objective", {"objective": DELETE}, "objective", "exactly one of objective and objectives"),
    ("one-objectives", {"objective": DELETE, "objectives": [{"metric": "a", "goal": "maximize"}]},
     "objectives", "needs at least two objectives (for one, use objective)"),
    ("goal", {"objective": {"goal": "max"}}, "objective.goal", "'maximize' or 'minimize'"),
    ("goal-missing", {"objective": {"goal": DELETE}}, "objective.goal", "required"),
    ("measurement", {"objective": {"measurement": "mean"}}, "objective.measurement",
     "'last' or 'best'"),
    ("metric-empty", {"objective": {"metric": ""}}, "objective.metric", "at least 1 character"),
    ("objectives-duplicate",
     {"objective": DELETE,
      "objectives": [{"metric": "a", "goal": "maximize"}, {"metric": "a", "goal": "minimize"}]},
     "objectives.1.metric", "duplicate metric 'a'"),
    ("objectives-goal",
     {"objective": DELETE,
      "objectives": [{"metric": "a", "goal": "maximize"}, {"metric": "b", "goal": "up"}]},
     "objectives.1.goal", "'maximize' or 'minimize'"),
    # metrics
    ("regex-no-group", {"metrics": [{"name": "m", "regex": "acc=[0-9.]+"}]}, "metrics.0.regex",
     "must have exactly one capture group (the value); it has 0"),
    ("regex-two-groups",
     {"metrics": [{"name": "m", "regex": "a=(.*)"}, {"name": "n", "regex": "(a)=(b)"}]},
     "metrics.1.regex", "it has 2"),
    ("regex-broken", {"metrics": [{"name": "m", "regex": "(a"}]}, "metrics.0.regex",
     "does not compile: missing ), unterminated subpattern"),
    ("regex-missing", {"metrics": [{"name": "m"}]}, "metrics.0.regex", "required"),
    ("metric-duplicate",
     {"metrics": [{"name": "m", "regex": "a=(.*)"}, {"name": "m", "regex": "b=(.*)"}]},
     "metrics.1.name", "duplicate metric name 'm'"),
    ("metric-typo", {"metrics": [{"name": "m", "regx": "a=(.*)"}]}, "metrics.0.regx",
     "unknown key (did you mean 'regex'?)"),
    # float and int domains
    ("float-order", space(x={"type": "float", "low": 0.1, "high": 0.1}), "search_space.x",
     "low (0.1) must be less than high (0.1)"),
    ("float-log-zero", space(x={"type": "float", "low": 0, "high": 1, "scale": "log"}),
     "search_space.x.low", "scale log needs low > 0 (got 0.0)"),
    ("int-log-negative", space(n={"type": "int", "low": -1, "high": 8, "scale": "log"}),
     "search_space.n.low", "scale log needs low > 0 (got -1)"),
    ("int-order", space(n={"type": "int", "low": 5, "high": 5}), "search_space.n",
     "low (5) must be less than high (5)"),
    ("int-float-bound", space(n={"type": "int", "low": 1.5, "high": 5}), "search_space.n.low",
     "valid integer"),
    ("float-q-none-inside", space(x={"type": "float", "low": 0.1, "high": 0.2, "q": 1}),
     "search_space.x.q", "no multiple of q (1.0) lies in [0.1, 0.2]"),
    ("float-q-zero", space(x={**F, "q": 0}), "search_space.x.q", "greater than 0"),
    ("float-inf", space(x={**F, "high": float("inf")}), "search_space.x.high", "finite number"),
    ("float-nan", space(x={**F, "low": float("nan")}), "search_space.x.low", "finite number"),
    ("float-scale", space(x={**F, "scale": "ln"}), "search_space.x.scale",
     "'linear', 'log' or 'reverse_log' (got 'ln')"),
    ("float-missing-low", space(x={"type": "float", "high": 1}), "search_space.x.low", "required"),
    ("float-typo", space(x={**F, "hihg": 2}), "search_space.x.hihg",
     "unknown key (did you mean 'high'?)"),
    ("bool-extra", space(b={"type": "bool", "low": 0}), "search_space.b.low",
     "unknown key (valid keys: condition, type)"),
    ("unknown-type", space(x={"type": "strng"}), "search_space.x.type",
     "unknown type 'strng' (types: float, int, categorical, discrete, bool; or give a"),
    ("type-typo", space(x={"type": "flaot"}), "search_space.x.type",
     "unknown type 'flaot' (did you mean 'float'?)"),
    ("distribution-typo", space(x={"distribution": "unifrom", "low": 0, "high": 1}),
     "search_space.x.distribution", "(got 'unifrom') (did you mean 'uniform'?)"),
    ("no-type", space(x={"low": 0}), "search_space.x", "needs `type` (float, int"),
    ("not-a-mapping", space(x=[1, 2]), "search_space.x", "needs `type`"),
    ("empty-space", space(), "search_space", "at least 1 item"),
    ("float-q-too-small", space(x={"type": "float", "low": -1e300, "high": 1e300, "q": 1e-300}),
     "search_space.x.q", "q (1e-300) is too small for the range [-1e+300, 1e+300]"),
    ("quniform-q-too-small",
     space(k={"distribution": "quniform", "low": 0, "high": 1e300, "q": 1e-300}),
     "search_space.k.q", "is too small for the range"),
    # categorical and discrete
    ("categorical-duplicate", space(c={"type": "categorical", "values": ["a", "b", "a"]}),
     "search_space.c.values", "duplicate value 'a'"),
    ("categorical-duplicate-bool", space(c={"type": "categorical", "values": [1, True, True]}),
     "search_space.c.values", "duplicate value True"),
    ("categorical-empty", space(c={"type": "categorical", "values": []}),
     "search_space.c.values", "at least 1 item"),
    ("categorical-nested", space(c={"type": "categorical", "values": ["a", {"b": 1}]}),
     "search_space.c.values.1", "must be a string, a number or a boolean"),
    ("categorical-nan", space(c={"type": "categorical", "values": [1.0, float("nan")]}),
     "search_space.c.values.1", "must be a finite number"),
    ("discrete-order", space(d={"type": "discrete", "values": [1, 3, 2]}),
     "search_space.d.values", "must be strictly increasing (3 is followed by 2)"),
    ("discrete-repeat", space(d={"type": "discrete", "values": [1, 1]}),
     "search_space.d.values", "strictly increasing (1 is followed by 1)"),
    ("discrete-string", space(d={"type": "discrete", "values": [1, "2"]}),
     "search_space.d.values.1", "must be a number"),
    ("discrete-bool", space(d={"type": "discrete", "values": [True]}),
     "search_space.d.values.0", "must be a number"),
    # distributions: bounds and constraints (required/forbidden are parametrized below)
    ("loguniform-zero", space(k={"distribution": "loguniform", "low": 0, "high": 1}),
     "search_space.k.low", "scale log needs low > 0"),
    ("uniform-order", space(k={"distribution": "uniform", "low": 2, "high": 1}),
     "search_space.k", "low (2.0) must be less than high (1.0)"),
    ("sigma-zero", space(k={"distribution": "normal", "mu": 0, "sigma": 0}),
     "search_space.k.sigma", "greater than 0"),
    ("randint-upper", space(k={"distribution": "randint", "upper": 0}),
     "search_space.k.upper", "greater than or equal to 1"),
    ("distribution-unknown", space(k={"distribution": "gauss", "mu": 0, "sigma": 1}),
     "search_space.k.distribution", "(got 'gauss')"),
    ("distribution-type", space(k={"distribution": "uniform", "low": 0, "high": 1, "type": "x"}),
     "search_space.k.type", "'float' or 'int'"),
    ("distribution-typo", space(k={"distribution": "normal", "mu": 0, "sigm": 1}),
     "search_space.k.sigm", "unknown key (did you mean 'sigma'?)"),
    # parameter names
    ("param-space", space(**{"a b": CAT}), "search_space.a b",
     "letters, digits and - _ . : /"),
    ("param-dash-start", space(**{"-x": CAT}), "search_space.-x", "letters, digits"),
    ("param-slash-start", space(**{"/x": CAT}), "search_space./x", "letters, digits"),
    ("param-newline", space(**{"a\nb": CAT}), "search_space.'a\\nb'", "letters, digits"),
    # conditions
    ("condition-parent-missing",
     space(x=CAT, y={**F, "condition": {"parent": "zz", "values": ["a"]}}),
     "search_space.y.condition.parent", "no parameter named 'zz' in search_space"),
    ("condition-parent-continuous",
     space(x=F, y={**CAT, "condition": {"parent": "x", "values": [0.01]}}),
     "search_space.y.condition.parent", "parent 'x' must take finitely many values"),
    ("condition-value",
     space(x=CAT, y={**F, "condition": {"parent": "x", "values": ["a", "c"]}}),
     "search_space.y.condition.values.1", "'c' is not a value of 'x'"),
    ("condition-bool-vs-int",
     space(x={"type": "bool"}, y={**F, "condition": {"parent": "x", "values": [1]}}),
     "search_space.y.condition.values.0", "1 is not a value of 'x'"),
    ("condition-int-range",
     space(x={"type": "int", "low": 1, "high": 4},
           y={**F, "condition": {"parent": "x", "values": [2, 7]}}),
     "search_space.y.condition.values.1", "7 is not a value of 'x'"),
    ("condition-cycle",
     space(a={**CAT, "condition": {"parent": "b", "values": ["a"]}},
           b={**CAT, "condition": {"parent": "a", "values": ["b"]}}),
     "search_space.a.condition.parent", "condition cycle: a -> b -> a"),
    ("condition-self",
     space(a={**CAT, "condition": {"parent": "a", "values": ["a"]}}),
     "search_space.a.condition.parent", "condition cycle: a -> a"),
    ("condition-empty-values",
     space(x=CAT, y={**F, "condition": {"parent": "x", "values": []}}),
     "search_space.y.condition.values", "at least 1 item"),
    ("condition-typo",
     space(x=CAT, y={**F, "condition": {"parnt": "x", "values": ["a"]}}),
     "search_space.y.condition.parnt", "unknown key (did you mean 'parent'?)"),
    ("condition-huge-int",
     space(x={**F, "q": 0.001}, y={**CAT, "condition": {"parent": "x", "values": [10**400]}}),
     "search_space.y.condition.values.0", "is not a value of 'x'"),
    # strategy
    ("algorithm-unknown", {"strategy": {"algorithm": "rndom"}}, "strategy.algorithm",
     "unknown algorithm 'rndom' (did you mean 'random'?) (available: random, grid, sobol,"
     " bayesian, hyperband, bohb, pbt)"),
    ("pbt-no-resource", {"strategy": {"algorithm": "pbt"}}, "trial.resource",
     "strategy pbt needs a resource"),
    ("sampler-not-bayesian", {"strategy": {"sampler": "tpe"}}, "strategy.sampler",
     "applies only to bayesian"),
    ("startup-not-bayesian", {"strategy": {"n_startup_trials": 3}}, "strategy.n_startup_trials",
     "applies only to bayesian and bohb"),
    ("reduction-not-hyperband", {"strategy": {"algorithm": "bayesian", "reduction_factor": 3}},
     "strategy.reduction_factor", "applies only to hyperband and bohb"),
    ("resource-order",
     {"strategy": {"algorithm": "hyperband", "min_resource": 9, "max_resource": 3}},
     "strategy.min_resource", "min_resource (9) exceeds max_resource (3)"),
    ("reduction-one", {"strategy": {"algorithm": "hyperband", "reduction_factor": 1}},
     "strategy.reduction_factor", "greater than or equal to 2"),
    ("seed-type", {"strategy": {"seed": "x"}}, "strategy.seed", "valid integer"),
    ("strategy-typo", {"strategy": {"seeed": 1}}, "strategy.seeed",
     "unknown key (did you mean 'seed'?)"),
    ("grid-continuous", {"strategy": {"algorithm": "grid"}}, "search_space.lr",
     "grid needs finite domains"),
    ("grid-normal",
     {"strategy": {"algorithm": "grid"},
      **space(k={"distribution": "qnormal", "mu": 0, "sigma": 1, "q": 1})},
     "search_space.k", "grid needs finite domains"),
    ("hyperband-no-resource", {"strategy": {"algorithm": "hyperband"}}, "trial.resource",
     "strategy hyperband needs a resource"),
    ("bohb-no-resource", {"strategy": {"algorithm": "bohb"}}, "trial.resource",
     "strategy bohb needs a resource"),
    ("hyperband-with-median",
     {"strategy": {"algorithm": "hyperband"}, "early_stopping": {"policy": "median"},
      "trial": {"resource": {"max": 9}}},
     "early_stopping.policy", "policy 'median' cannot be combined with it"),
    # early stopping
    ("bandit-no-slack", {"early_stopping": {"policy": "bandit"}}, "early_stopping",
     "bandit needs exactly one of slack_factor and slack_amount"),
    ("bandit-two-slacks",
     {"early_stopping": {"policy": "bandit", "slack_factor": 0.2, "slack_amount": 0.1}},
     "early_stopping", "exactly one of slack_factor and slack_amount"),
    ("slack-not-bandit", {"early_stopping": {"policy": "median", "slack_factor": 0.2}},
     "early_stopping.slack_factor", "applies only to policy bandit"),
    ("slack-zero", {"early_stopping": {"policy": "bandit", "slack_factor": 0}},
     "early_stopping.slack_factor", "greater than 0"),
    ("truncation-missing", {"early_stopping": {"policy": "truncation"}},
     "early_stopping.truncation_percentage", "required for policy truncation (1..99)"),
    ("truncation-0", {"early_stopping": {"policy": "truncation", "truncation_percentage": 0}},
     "early_stopping.truncation_percentage", "greater than or equal to 1"),
    ("truncation-100", {"early_stopping": {"policy": "truncation", "truncation_percentage": 100}},
     "early_stopping.truncation_percentage", "less than or equal to 99"),
    ("truncation-not-truncation",
     {"early_stopping": {"policy": "median", "truncation_percentage": 10}},
     "early_stopping.truncation_percentage", "applies only to policy truncation"),
    ("exclude-finished-median", {"early_stopping": {"policy": "median", "exclude_finished": True}},
     "early_stopping.exclude_finished", "applies only to policy truncation"),
    ("auto-interval", {"early_stopping": {"policy": "auto", "evaluation_interval": 2}},
     "early_stopping.evaluation_interval", "policy auto fixes evaluation_interval 1"),
    ("auto-delay", {"early_stopping": {"policy": "auto", "delay_evaluation": 5}},
     "early_stopping.delay_evaluation", "and delay_evaluation 5"),
    ("policy-unknown", {"early_stopping": {"policy": "medain"}}, "early_stopping.policy",
     "unknown policy 'medain' (did you mean 'median'?) (available: none, bandit, median,"
     " truncation, hyperband, auto, vertex_median, decay_curve, previous_median)"),
    ("interval-zero", {"early_stopping": {"policy": "median", "evaluation_interval": 0}},
     "early_stopping.evaluation_interval", "greater than or equal to 1"),
    ("delay-negative", {"early_stopping": {"policy": "median", "delay_evaluation": -1}},
     "early_stopping.delay_evaluation", "greater than or equal to 0"),
    ("hyperband-policy-no-resource", {"early_stopping": {"policy": "hyperband"}},
     "trial.resource", "policy hyperband needs trial.resource"),
    ("multi-objective-stopping",
     {"objective": DELETE, "early_stopping": {"policy": "median"},
      "objectives": [{"metric": "a", "goal": "maximize"}, {"metric": "b", "goal": "minimize"}]},
     "early_stopping.policy", "multi-objective studies take policy none"),
    ("multi-objective-hyperband",
     {"objective": DELETE, "strategy": {"algorithm": "hyperband"},
      "trial": {"resource": {"max": 9}},
      "objectives": [{"metric": "a", "goal": "maximize"}, {"metric": "b", "goal": "minimize"}]},
     "strategy.algorithm", "hyperband supports a single objective only"),
    # limits
    ("parallel-over-trials", {"limits": {"max_trials": 2, "max_parallel": 3}},
     "limits.max_parallel", "3 exceeds max_trials (2)"),
    ("failed-over-trials", {"limits": {"max_trials": 2, "max_failed": 3}},
     "limits.max_failed", "3 exceeds max_trials (2)"),
    ("failed-over-default-budget", {"limits": {"max_failed": 11}},
     "limits.max_failed", "exceeds the trial budget (10 trials)"),
    ("trials-zero", {"limits": {"max_trials": 0}}, "limits.max_trials",
     "greater than or equal to 1"),
    ("parallel-zero", {"limits": {"max_parallel": 0}}, "limits.max_parallel",
     "greater than or equal to 1"),
    ("failed-zero", {"limits": {"max_failed": 0}}, "limits.max_failed",
     "greater than or equal to 1"),
    ("no-improvement-zero", {"limits": {"max_trials_without_improvement": 0}},
     "limits.max_trials_without_improvement", "greater than or equal to 1"),
    ("target-inf", {"limits": {"target_value": float("inf")}}, "limits.target_value",
     "finite number"),
    ("duration-huge", {"limits": {"max_duration": 10**400}}, "limits.max_duration",
     "must be a positive duration of a sensible size"),
    ("limits-typo", {"limits": {"max_trial": 3}}, "limits.max_trial",
     "unknown key (did you mean 'max_trials'?)"),
    # trial
    ("command-unclosed", {"trial": {"command": "python 'train.py"}}, "trial.command",
     "cannot split into words: No closing quotation"),
    ("command-empty", {"trial": {"command": []}}, "trial.command", "at least 1 item"),
    ("command-number", {"trial": {"command": ["python", 3]}}, "trial.command.1",
     "valid string"),
    ("contract-unknown", {"trial": {"contract": "lambda"}}, "trial.contract",
     "unknown contract 'lambda' (available: local, sagemaker, vertex, azure, vega)"),
    ("devices-fewer-than-parallel",
     {"trial": {"devices": [0]}, "limits": {"max_trials": 4, "max_parallel": 2}},
     "limits.max_parallel", "2 parallel trials but 1 device(s) in trial.devices"),
    ("devices-bool", {"trial": {"devices": [True]}}, "trial.devices.0",
     "must be a device number or name"),
    ("devices-empty", {"trial": {"devices": []}}, "trial.devices", "at least 1 item"),
    ("resource-order", {"trial": {"resource": {"min": 5, "max": 3}}}, "trial.resource.min",
     "5 exceeds max (3)"),
    ("resource-max-missing", {"trial": {"resource": {"name": "epochs"}}},
     "trial.resource.max", "required"),
    ("args-nested", {"trial": {"args": {"x": [1, 2]}}}, "trial.args.x",
     "must be a string, a number or a boolean"),
    ("trial-typo", {"trial": {"comand": ["python"]}}, "trial.comand",
     "unknown key (did you mean 'command'?)"),
    # backends and unknown top-level keys
    ("backend-unknown", {"backends": {"nope": {}}}, "backends.nope",
     "unknown backend (installed: local"),
    ("top-typo", {"limts": {}}, "limts", "unknown key (did you mean 'limits'?)"),
    ("top-unknown", {"zzz": 1}, "zzz", "unknown key (valid keys: backends, description"),
    ("section-not-mapping", {"limits": 5}, "limits", "valid dictionary"),
]


@pytest.mark.parametrize(
    ("patch", "path", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule_reports_its_path(spec_dict, patch, path, fragment):
    assert_problem(patched(spec_dict, patch), path, fragment)


PARAM_VALUES = {"low": 1.0, "high": 2.0, "mu": 0.0, "sigma": 1.0, "q": 0.5, "upper": 3}
REQUIRED = [(d, p) for d, params in DISTRIBUTION_PARAMS.items() for p in params]
FORBIDDEN = [(d, p) for d, params in DISTRIBUTION_PARAMS.items()
             for p in PARAM_VALUES if p not in params]


def _distribution(name: str) -> dict[str, Any]:
    return {"distribution": name, **{p: PARAM_VALUES[p] for p in DISTRIBUTION_PARAMS[name]}}


@pytest.mark.parametrize("name", list(DISTRIBUTION_PARAMS))
def test_every_distribution_accepts_its_parameters(spec_dict, name):
    spec = valid(patched(spec_dict, space(k=_distribution(name))))
    assert spec.search_space["k"].distribution == name


@pytest.mark.parametrize(("name", "param"), REQUIRED)
def test_distribution_parameter_required(spec_dict, name, param):
    domain = _distribution(name)
    del domain[param]
    found = assert_problem(patched(spec_dict, space(k=domain)), f"search_space.k.{param}",
                           f"required for distribution {name}")
    assert len(found) == 1


@pytest.mark.parametrize(("name", "param"), FORBIDDEN)
def test_distribution_parameter_forbidden(spec_dict, name, param):
    domain = {**_distribution(name), param: PARAM_VALUES[param]}
    takes = ", ".join(DISTRIBUTION_PARAMS[name])
    assert_problem(patched(spec_dict, space(k=domain)), f"search_space.k.{param}",
                   f"does not apply to distribution {name} (it takes {takes})")


def test_distribution_reports_missing_and_forbidden_together(spec_dict):
    found = problems(patched(spec_dict, space(k={"distribution": "normal", "mu": 0, "low": 1})))
    assert found == [
        ("search_space.k.low", "does not apply to distribution normal (it takes mu, sigma)"),
        ("search_space.k.sigma", "required for distribution normal"),
    ]


@pytest.mark.parametrize(
    "name", ["batch-size", "training/hptuning/metric", "a:b", "a.b", "_x", "lr", "L2_reg9"]
)
def test_parameter_name_characters_allowed(spec_dict, name):
    spec = valid(patched(spec_dict, space(**{name: CAT})))
    assert list(spec.search_space) == [name]


def test_categorical_one_and_true_are_distinct(spec_dict):
    spec = valid(patched(spec_dict, space(c={"type": "categorical", "values": [1, True, "1"]})))
    assert spec.search_space["c"].values == [1, True, "1"]
    assert [type(v) for v in spec.search_space["c"].values] == [int, bool, str]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("PT2H", 7200),
     ("P1DT30M", 88200), ("PT1M30S", 90), ("1.5h", 5400), (45, 45), ("pt2h", 7200)],
)
def test_durations(spec_dict, text, seconds):
    spec = valid(patched(spec_dict, {"limits": {"max_duration": text, "trial_timeout": text}}))
    assert spec.limits.max_duration == seconds
    assert spec.limits.trial_timeout == seconds


@pytest.mark.parametrize("text", ["2x", "h", "PT", "P", "-5s", "5 hours", "", 0, -3, True, [1]])
def test_bad_durations(spec_dict, text):
    found = problems(patched(spec_dict, {"limits": {"max_duration": text}}))
    assert [p for p, _ in found] == ["limits.max_duration"]


def test_command_string_is_split_like_a_shell(spec_dict):
    spec = valid(patched(spec_dict, {"trial": {"command": "python train.py --x 'a b' \"c d\""}}))
    assert spec.trial.command == ["python", "train.py", "--x", "a b", "c d"]


def test_env_values_become_strings(spec_dict):
    spec = valid(patched(spec_dict, {"trial": {"env": {"A": 1, "B": True, "C": 0.5, "D": "x"}}}))
    assert spec.trial.env == {"A": "1", "B": "true", "C": "0.5", "D": "x"}


def test_shared_devices_may_be_fewer_than_parallel_trials(spec_dict):
    spec = valid(patched(spec_dict, {"trial": {"devices": [0, "cuda:1"], "share_devices": True},
                                     "limits": {"max_trials": 8, "max_parallel": 4}}))
    assert spec.trial.devices == [0, "cuda:1"]


@pytest.mark.parametrize("percentage", [1, 99])
def test_truncation_bounds_included(spec_dict, percentage):
    es = {"policy": "truncation", "truncation_percentage": percentage, "exclude_finished": True}
    spec = valid(patched(spec_dict, {"early_stopping": es}))
    assert spec.early_stopping.truncation_percentage == percentage


def test_auto_resolves_to_median_1_5(spec_dict):
    spec = valid(patched(spec_dict, {"early_stopping": {"policy": "auto"}}))
    resolved = spec.early_stopping.resolved()
    assert (resolved.policy, resolved.evaluation_interval, resolved.delay_evaluation) == (
        "median", 1, 5)


def test_bandit_with_one_slack(spec_dict):
    spec = valid(patched(spec_dict, {"early_stopping": {"policy": "bandit", "slack_amount": 0.1}}))
    assert (spec.early_stopping.slack_factor, spec.early_stopping.slack_amount) == (None, 0.1)


def test_goal_is_case_insensitive(spec_dict):
    spec = valid(patched(spec_dict, {"objective": {"goal": "MINIMIZE"}}))
    assert spec.primary.goal == "minimize"


def test_condition_on_finite_parents(spec_dict):
    spec = valid(patched(spec_dict, space(
        n={"type": "int", "low": 1, "high": 4},
        q={"distribution": "quniform", "low": 0, "high": 10, "q": 2.5},
        y={**F, "condition": {"parent": "n", "values": [2, 4]}},
        z={**F, "condition": {"parent": "q", "values": [7.5]}},
        w={**F, "condition": {"parent": "y", "values": [1]}} | {"condition": None},
    )))
    assert spec.search_space["y"].condition.values == [2, 4]


def test_grid_over_finite_domains_counts_the_product(spec_dict):
    spec = valid(patched(spec_dict, {"strategy": {"algorithm": "grid"}, **space(
        layers={"type": "categorical", "values": [1, 2, 3]},
        batch={"type": "categorical", "values": [16, 32]},
    )}))
    assert spec.max_trials == 6


def test_grid_accepts_every_finite_domain(spec_dict):
    spec = valid(patched(spec_dict, {"strategy": {"algorithm": "grid"}, **space(
        a={"type": "int", "low": 0, "high": 2},
        b={"type": "float", "low": 0, "high": 1, "q": 0.25},
        c={"type": "bool"},
        d={"type": "discrete", "values": [1, 2.5]},
        e={"distribution": "quniform", "low": 0, "high": 1, "q": 0.5},
        f={"distribution": "randint", "upper": 3},
    )}))
    assert spec.max_trials == 3 * 5 * 2 * 2 * 3 * 3


def test_huge_int_range_is_validated_without_listing_it(spec_dict):
    big = {"type": "int", "low": 0, "high": 10**15}
    spec = valid(patched(spec_dict, {"strategy": {"algorithm": "grid"}, **space(
        n=big, y={**CAT, "condition": {"parent": "n", "values": [10**14]}})}))
    assert spec.max_trials == (10**15 + 1) * 2


def test_multi_fidelity_resource_from_strategy_or_trial(spec_dict):
    by_strategy = valid(patched(spec_dict, {
        "strategy": {"algorithm": "bohb", "min_resource": 2, "max_resource": 8}}))
    by_trial = valid(patched(spec_dict, {
        "strategy": {"algorithm": "hyperband"}, "trial": {"resource": {"max": 27}}}))
    assert by_strategy.resource_bounds() == (2, 8)
    assert by_trial.resource_bounds() == (1, 27)


def test_every_problem_at_once_across_sections(spec_dict):
    """A field error in one section does not hide cross-section rules of the others."""
    data = patched(spec_dict, {
        "name": "bad name",
        "strategy": {"seeed": 1},
        **space(x=CAT, y={**F, "condition": {"parent": "zz", "values": ["a"]}},
                z={"type": "int", "low": 3, "high": 1}),
        "limits": {"max_trials": 0},
        "backends": {"nope": {}},
    })
    data["objectives"] = [{"metric": "a", "goal": "maximize"}, {"metric": "b", "goal": "min"}]
    paths = [p for p, _ in problems(data)]
    assert sorted(paths) == sorted([
        "name", "objectives.1.goal", "search_space.z", "strategy.seeed", "limits.max_trials",
        "objective", "search_space.y.condition.parent", "backends.nope",
    ])


def test_condition_on_a_broken_parent_is_not_reported_twice(spec_dict):
    data = patched(spec_dict, space(
        x={"type": "categorical", "values": []},
        y={**F, "condition": {"parent": "x", "values": ["a"]}}))
    assert problems(data) == [("search_space.x.values", "List should have at least 1 item"
                                                        " after validation, not 0")]


def test_rule_inside_a_section_waits_for_its_fields(spec_dict):
    """Documented limit: a section's own cross-field rule runs once its fields are valid."""
    data = patched(spec_dict, {"limits": {"max_trials": 2, "max_parallel": 3,
                                          "max_duration": "2x"}})
    assert [p for p, _ in problems(data)] == ["limits.max_duration"]


def test_int_distribution_rejects_fractional_q() -> None:
    from hpo_bridge.spec import DistributionDomain

    with pytest.raises(ValueError, match="whole-number q"):
        DistributionDomain(distribution="quniform", type="int", low=0, high=3, q=0.5)
    d = DistributionDomain(distribution="quniform", type="int", low=0, high=6, q=2)
    assert d.grid_values() == [0, 2, 4, 6]


def test_gp_sampler_needs_torch_at_validation() -> None:
    import importlib.util

    from hpo_bridge.spec import SpecError, validate_spec

    data = {
        "name": "gp",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0, "high": 1}},
        "strategy": {"algorithm": "bayesian", "sampler": "gp"},
    }
    if importlib.util.find_spec("torch") is not None:
        assert validate_spec(data).strategy.sampler == "gp"
        return
    with pytest.raises(SpecError) as info:
        validate_spec(data)
    assert [str(p) for p in info.value.problems] == [
        "strategy.sampler: gp needs PyTorch, which optuna's GPSampler runs on"
        " (pip install 'hpo-bridge[gp]'), or use sampler tpe"
    ]
