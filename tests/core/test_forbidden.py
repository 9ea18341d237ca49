"""Forbidden combinations and condition operators, honoured by every built-in searcher."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_bridge.core import space
from hpo_bridge.core.searchers.grid import grid_configs
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.plugins import registry
from hpo_bridge.spec import TuningSpec

SPACE = {
    "opt": {"type": "categorical", "values": ["sgd", "adam", "rms"]},
    "layers": {"type": "int", "low": 1, "high": 4},
    "momentum": {"type": "discrete", "values": [0.5, 0.9],
                 "condition": {"parent": "opt", "op": "!=", "values": ["adam"]}},
    "width": {"type": "int", "low": 8, "high": 9,
              "condition": {"parent": "layers", "op": "range", "values": [2, 3]}},
}
FORBIDDEN = [{"opt": "sgd", "layers": 1}, {"opt": "rms", "momentum": 0.9}, {"layers": 4}]
ALGORITHMS = ["random", "grid", "sobol", "bayesian", "hyperband", "bohb"]


def make_spec(algorithm: str, forbidden=FORBIDDEN, search_space=None, seed=3) -> TuningSpec:
    data = {
        "name": "t", "objective": {"metric": "acc", "goal": "maximize"},
        "search_space": search_space or SPACE, "forbidden": forbidden,
        "strategy": {"algorithm": algorithm, "seed": seed},
        "limits": {"max_trials": 60},
    }
    if algorithm in ("hyperband", "bohb"):
        data["trial"] = {"resource": {"min": 1, "max": 9}}
        data["strategy"]["n_startup_trials" if algorithm == "bohb" else "seed"] = \
            2 if algorithm == "bohb" else seed
    return TuningSpec.model_validate(data)


def searcher_for(spec: TuningSpec):
    return registry().require("searchers", spec.strategy.algorithm).create(spec)


def run_searcher(searcher, n: int, start: int = 0) -> list[dict]:
    """Ask n times, reporting a value (so model-based searchers fit a model)."""
    configs = []
    for trial_id in range(start, start + n):
        suggestion = searcher.ask(trial_id)
        if suggestion is None:
            break
        params = suggestion.params
        configs.append(params)
        value = params["layers"] + (0.5 if params["opt"] == "sgd" else 0.0)
        for interval in (1, 3, 9):
            searcher.report(trial_id, interval, value)
        searcher.tell(trial_id, TrialStatus.COMPLETED, value)
    return configs


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_no_searcher_proposes_a_forbidden_combination(algorithm):
    spec = make_spec(algorithm)
    configs = run_searcher(searcher_for(spec), 40)
    assert configs
    for config in configs:
        assert not space.is_forbidden(spec, config), config
        assert config["layers"] != 4
        assert (config["opt"], config["layers"]) != ("sgd", 1)
        assert (config["opt"], config.get("momentum")) != ("rms", 0.9)
        # conditions with != and range hold
        assert ("momentum" in config) == (config["opt"] != "adam")
        assert ("width" in config) == (2 <= config["layers"] <= 3)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_a_resumed_searcher_proposes_what_the_uninterrupted_one_would(algorithm):
    spec = make_spec(algorithm)
    whole = run_searcher(searcher_for(spec), 24)
    first = searcher_for(spec)
    head = run_searcher(first, 12)
    again = searcher_for(spec)
    again.load_state_dict(json.loads(json.dumps(first.state_dict())))
    assert head + run_searcher(again, 12, start=12) == whole


def test_grid_skips_forbidden_points_in_grid_order():
    spec = make_spec("grid")
    allowed = [c for c in grid_configs(spec) if not space.is_forbidden(spec, c)]
    assert run_searcher(searcher_for(spec), 100) == allowed
    assert {"opt": "sgd", "layers": 1, "momentum": 0.5} not in allowed
    assert allowed[0] == {"opt": "sgd", "layers": 2, "momentum": 0.5, "width": 8}
    # layers 4 is forbidden; width (2 values) exists for layers 2 and 3; momentum (2 values)
    # unless adam. sgd: layers 2, 3 (not 1) x 2 x 2 = 8; adam: 1 + 2 + 2 = 5; rms (momentum
    # 0.5 only): 1 + 2 + 2 = 5.
    assert len(allowed) == 18


@pytest.mark.parametrize("algorithm", ["random", "sobol", "bayesian", "hyperband", "bohb"])
def test_everything_forbidden_leaves_nothing_to_propose(algorithm):
    spec = make_spec(algorithm, forbidden=[{"opt": v} for v in ("sgd", "adam", "rms")])
    assert searcher_for(spec).ask(1) is None


def test_grid_with_everything_forbidden_is_exhausted_at_once():
    spec = make_spec("grid", forbidden=[{"opt": v} for v in ("sgd", "adam", "rms")])
    assert searcher_for(spec).ask(1) is None


def test_an_inactive_parameter_matches_no_forbidden_value():
    spec = make_spec("random", forbidden=[{"opt": "adam", "momentum": 0.5}])
    # momentum is inactive under adam, so {opt: adam} is allowed
    assert not space.is_forbidden(spec, {"opt": "adam", "layers": 2})
    assert space.is_forbidden(spec, {"opt": "adam", "layers": 2, "momentum": 0.5})


def test_bayesian_records_forbidden_proposals_as_failed_and_keeps_numbering():
    spec = make_spec("bayesian", forbidden=[{"opt": "sgd"}, {"opt": "rms"}])
    searcher = searcher_for(spec)
    configs = run_searcher(searcher, 5)
    assert [c["opt"] for c in configs] == ["adam"] * 5
    state = searcher.state_dict()
    rejected = [r for r in state["trials"] if r[0] is None]
    assert rejected and all(r[2] == "fail" for r in rejected)
    assert [r[0] for r in state["trials"] if r[0] is not None] == [0, 1, 2, 3, 4]
    assert state["asked"] == len(state["trials"])


def test_bools_and_numbers_stay_apart_in_forbidden_values():
    spec = make_spec("random", search_space={
        "flag": {"type": "bool"}, "n": {"type": "categorical", "values": [1, 0]}},
        forbidden=[{"flag": True, "n": 1}])
    assert space.is_forbidden(spec, {"flag": True, "n": 1})
    assert not space.is_forbidden(spec, {"flag": 1, "n": True})
    configs = run_searcher_plain(searcher_for(spec), 30)
    assert {"flag": True, "n": 1} not in configs and {"flag": True, "n": 0} in configs


def run_searcher_plain(searcher, n):
    return [searcher.ask(i).params for i in range(n)]


@pytest.mark.parametrize(("op", "values", "parent", "active"), [
    ("in", ["a", "b"], "a", True), ("in", ["a", "b"], "c", False),
    ("==", ["a"], "a", True), ("==", ["a"], "b", False),
    ("!=", ["a"], "a", False), ("!=", ["a"], "b", True),
    ("not_in", ["a", "b"], "b", False), ("not_in", ["a", "b"], "c", True),
    ("range", [2, 4], 2, True), ("range", [2, 4], 4.0, True), ("range", [2, 4], 4.5, False),
    ("range", [2, 4], True, False), ("in", [1], True, False), ("!=", [1], True, True),
])
def test_condition_operators(op, values, parent, active):
    from hpo_bridge.spec import Condition

    cond = Condition(parent="p", op=op, values=values)
    assert space.condition_holds(cond, parent) is active


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1),
       forbidden=st.lists(st.fixed_dictionaries({}, optional={
           "opt": st.sampled_from(["sgd", "adam", "rms"]),
           "layers": st.integers(1, 4),
           "momentum": st.sampled_from([0.5, 0.9])}).filter(bool), max_size=4))
def test_random_draws_honour_any_forbidden_list(seed, forbidden):
    spec = make_spec("random", forbidden=forbidden, seed=seed)
    config = space.sample_allowed(spec, np.random.default_rng(seed))
    if config is None:  # only when every configuration is forbidden
        assert all(space.is_forbidden(spec, c) for c in grid_configs(spec))
    else:
        assert not space.is_forbidden(spec, config)
        assert set(config) == set(space.active_params(spec, config))
