"""random, grid, sobol and bayesian searchers: order, determinism, conditions, resume."""

from __future__ import annotations

import importlib.util
import json
import math

import numpy as np
import pytest
from scipy.stats import qmc

from hpo_bridge.core import space
from hpo_bridge.core.searchers.bayesian import BayesianSearcher
from hpo_bridge.core.searchers.grid import GridSearcher, grid_configs
from hpo_bridge.core.searchers.random_search import RandomSearcher
from hpo_bridge.core.searchers.sobol import SobolSearcher
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.plugins import registry
from hpo_bridge.spec import TuningSpec

RICH_SPACE = {
    "lr": {"type": "float", "low": 1e-5, "high": 1e-1, "scale": "log"},
    "opt": {"type": "categorical", "values": ["sgd", "adam", 1, True]},
    "momentum": {"type": "float", "low": 0.5, "high": 0.999, "scale": "reverse_log",
                 "condition": {"parent": "opt", "values": ["sgd"]}},
    "nesterov": {"type": "bool", "condition": {"parent": "opt", "values": ["sgd"]}},
    "dropout": {"distribution": "normal", "mu": 0.3, "sigma": 0.1},
    "batch": {"distribution": "qloguniform", "low": 8, "high": 256, "q": 8, "type": "int"},
    "layers": {"type": "discrete", "values": [1, 2, 4, 8]},
    "units": {"type": "int", "low": 16, "high": 512, "scale": "log"},
    "wd": {"type": "float", "low": 0.0, "high": 0.1, "q": 0.01},
    "seedling": {"distribution": "randint", "upper": 3},
}


def make_spec(search_space=None, algorithm="random", seed=7, objectives=None, **extra):
    data = {
        "name": "t",
        "search_space": search_space or RICH_SPACE,
        "strategy": {"algorithm": algorithm, "seed": seed, **extra.pop("strategy", {})},
        **extra,
    }
    if objectives:
        data["objectives"] = objectives
    else:
        data["objective"] = {"metric": "acc", "goal": "maximize"}
    return TuningSpec.model_validate(data)


def asks(searcher, n, start=0):
    return [searcher.ask(i).params for i in range(start, start + n)]


def assert_in_domains(spec, config):
    assert set(config) == set(space.active_params(spec, config))
    for name, value in config.items():
        assert space.contains(spec.search_space[name], value), (name, value)


def resumed(cls, spec, searcher):
    """A fresh searcher loaded from a JSON round trip of `searcher`'s state."""
    other = cls(spec)
    other.load_state_dict(json.loads(json.dumps(searcher.state_dict())))
    return other


def test_builtins_registry_builds_every_searcher():
    for name, cls in [("random", RandomSearcher), ("grid", GridSearcher),
                      ("sobol", SobolSearcher), ("bayesian", BayesianSearcher)]:
        spec = make_spec({"x": {"type": "int", "low": 1, "high": 3}}, algorithm=name)
        assert isinstance(registry().require("searchers", name).create(spec), cls)


# -- random ---------------------------------------------------------------------------


def test_random_same_seed_same_configs_different_seed_different():
    a = asks(RandomSearcher(make_spec(seed=7)), 20)
    b = asks(RandomSearcher(make_spec(seed=7)), 20)
    c = asks(RandomSearcher(make_spec(seed=8)), 20)
    assert a == b
    assert a != c
    assert len({json.dumps(x, sort_keys=True) for x in a}) == 20


def test_random_configs_lie_in_their_domains_with_conditions():
    spec = make_spec()
    configs = asks(RandomSearcher(spec), 200)
    for config in configs:
        assert_in_domains(spec, config)
        assert ("momentum" in config) == (config["opt"] == "sgd")
    assert {type(c["opt"]) for c in configs} == {str, int, bool}


def test_random_resumes_where_it_stopped():
    spec = make_spec()
    first = RandomSearcher(spec)
    asks(first, 5)
    second = resumed(RandomSearcher, spec, first)
    assert asks(second, 5, start=5) == asks(first, 5, start=5)
    assert first.state_dict() == {"seed": 7, "asked": 10}


def test_random_without_seed_is_reproducible():
    a = asks(RandomSearcher(make_spec(seed=None)), 3)
    assert a == asks(RandomSearcher(make_spec(seed=None)), 3)


# -- grid -----------------------------------------------------------------------------

CHOICES = {
    "a": {"type": "categorical", "values": [1, 2, 3]},
    "b": {"type": "categorical", "values": [16, 32]},
}


def test_grid_choice_3_by_2_is_exactly_six_trials_last_parameter_fastest():
    spec = make_spec(CHOICES, algorithm="grid")
    searcher = GridSearcher(spec)
    configs = [searcher.ask(i) for i in range(7)]
    assert [c.params for c in configs[:6]] == [
        {"a": 1, "b": 16}, {"a": 1, "b": 32},
        {"a": 2, "b": 16}, {"a": 2, "b": 32},
        {"a": 3, "b": 16}, {"a": 3, "b": 32},
    ]
    assert configs[6] is None
    assert searcher.ask(7) is None
    assert spec.max_trials == 6


def test_grid_max_trials_caps_it():
    searcher = GridSearcher(make_spec(CHOICES, algorithm="grid", limits={"max_trials": 4}))
    got = [searcher.ask(i) for i in range(5)]
    assert [g.params for g in got[:4]] == [
        {"a": 1, "b": 16}, {"a": 1, "b": 32}, {"a": 2, "b": 16}, {"a": 2, "b": 32}
    ]
    assert got[4] is None


def test_grid_inactive_children_do_not_multiply():
    grid_space = {
        # declared before its parent: it still follows it in the walk
        "momentum": {"type": "categorical", "values": [0.9, 0.99],
                     "condition": {"parent": "opt", "values": ["sgd"]}},
        "opt": {"type": "categorical", "values": ["sgd", "adam"]},
        "flag": {"type": "bool"},
    }
    spec = make_spec(grid_space, algorithm="grid")
    assert list(grid_configs(spec)) == [
        {"momentum": 0.9, "opt": "sgd", "flag": False},
        {"momentum": 0.9, "opt": "sgd", "flag": True},
        {"momentum": 0.99, "opt": "sgd", "flag": False},
        {"momentum": 0.99, "opt": "sgd", "flag": True},
        {"opt": "adam", "flag": False},
        {"opt": "adam", "flag": True},
    ]


def test_grid_walks_finite_distributions_and_ints():
    spec = make_spec({
        "n": {"type": "int", "low": 1, "high": 2},
        "q": {"distribution": "quniform", "low": 0, "high": 1, "q": 0.5},
        "r": {"distribution": "randint", "upper": 2},
    }, algorithm="grid")
    configs = list(grid_configs(spec))
    assert len(configs) == 2 * 3 * 2
    assert configs[:3] == [{"n": 1, "q": 0.0, "r": 0}, {"n": 1, "q": 0.0, "r": 1},
                           {"n": 1, "q": 0.5, "r": 0}]


def test_grid_resumes_without_repeating():
    spec = make_spec(CHOICES, algorithm="grid")
    first = GridSearcher(spec)
    done = asks(first, 2)
    second = resumed(GridSearcher, spec, first)
    rest = [second.ask(i).params for i in range(2, 6)]
    assert done + rest == list(grid_configs(spec))
    assert second.ask(6) is None


def test_grid_rejects_a_continuous_domain():
    with pytest.raises(ValueError, match="search_space.x: grid search needs a finite domain"):
        list(grid_configs(make_spec({"x": {"type": "float", "low": 0, "high": 1}}).search_space))


# -- sobol ----------------------------------------------------------------------------


def test_sobol_points_are_scipys_scrambled_sequence():
    spec = make_spec({"x": {"type": "float", "low": 0, "high": 1},
                      "y": {"type": "float", "low": -10, "high": 10}}, algorithm="sobol", seed=3)
    got = asks(SobolSearcher(spec), 8)
    expected = qmc.Sobol(2, scramble=True, rng=3).random(8)
    np.testing.assert_allclose([[c["x"], (c["y"] + 10) / 20] for c in got], expected)
    # the first 2^3 points of a scrambled Sobol sequence put one point in each eighth
    assert sorted(int(c["x"] * 8) for c in got) == list(range(8))


def test_sobol_same_seed_same_configs_different_seed_different():
    a = asks(SobolSearcher(make_spec(algorithm="sobol", seed=1)), 16)
    b = asks(SobolSearcher(make_spec(algorithm="sobol", seed=1)), 16)
    c = asks(SobolSearcher(make_spec(algorithm="sobol", seed=2)), 16)
    assert a == b
    assert a != c


def test_sobol_conditions_domains_and_resume():
    spec = make_spec(algorithm="sobol")
    first = SobolSearcher(spec)
    configs = asks(first, 64)
    for config in configs:
        assert_in_domains(spec, config)
    assert any("momentum" in c for c in configs) and any("momentum" not in c for c in configs)
    second = resumed(SobolSearcher, spec, first)
    assert asks(second, 5, start=64) == asks(first, 5, start=64)


# -- bayesian -------------------------------------------------------------------------


def score(config):
    """A smooth objective with its optimum at lr = 1e-3 and units = 128."""
    return -abs(math.log10(config["lr"]) + 3) - abs(math.log2(config["units"]) - 7) / 4


def run(searcher, n, start=0, batch=1):
    """Ask `batch` trials, then tell them all (a parallel study); return the configs."""
    configs = []
    for i in range(start, start + n, batch):
        ids = range(i, min(i + batch, start + n))
        got = {j: searcher.ask(j).params for j in ids}
        for j, config in got.items():
            searcher.tell(j, TrialStatus.COMPLETED, score(config))
        configs += got.values()
    return configs


BAYES_EXTRA = {"strategy": {"n_startup_trials": 5}}


def bayes_spec(seed=7, search_space=None, **extra):
    return make_spec(search_space, algorithm="bayesian", seed=seed, **{**BAYES_EXTRA, **extra})


def test_bayesian_same_seed_same_configs_different_seed_different():
    a = run(BayesianSearcher(bayes_spec(seed=7)), 15)
    b = run(BayesianSearcher(bayes_spec(seed=7)), 15)
    c = run(BayesianSearcher(bayes_spec(seed=8)), 15)
    assert a == b
    assert a[5:] != c[5:]  # after the startup trials too


def test_bayesian_conditions_and_domains():
    spec = bayes_spec()
    configs = run(BayesianSearcher(spec), 30, batch=3)
    for config in configs:
        assert_in_domains(spec, config)
        assert ("momentum" in config) == ("nesterov" in config) == (config["opt"] == "sgd")
    assert any("momentum" in c for c in configs[5:])
    assert any("momentum" not in c for c in configs[5:])


def test_bayesian_parallel_pending_trials_spread_out():
    searcher = BayesianSearcher(bayes_spec())
    run(searcher, 8)
    pending = [searcher.ask(i).params for i in range(8, 12)]  # four asked, none told
    assert len({json.dumps(p, sort_keys=True) for p in pending}) == 4
    for i, config in enumerate(pending, start=8):
        searcher.tell(i, TrialStatus.COMPLETED, score(config))
    states = [r[2] for r in searcher.state_dict()["trials"]]
    assert states == ["complete"] * 12


def test_bayesian_learns_toward_the_optimum():
    space_2d = {"lr": RICH_SPACE["lr"], "units": RICH_SPACE["units"]}
    configs = run(BayesianSearcher(bayes_spec(search_space=space_2d, seed=1)), 40)
    late = np.mean([score(c) for c in configs[-20:]])  # about -0.63
    random_mean = np.mean([score(c) for c in asks(RandomSearcher(make_spec(space_2d)), 400)])
    assert random_mean == pytest.approx(-1.36, abs=0.05)
    assert late > random_mean + 0.4


def test_bayesian_resume_continues_exactly_with_running_trials():
    spec = bayes_spec()
    first = BayesianSearcher(spec)
    run(first, 10, batch=2)
    first.ask(10)  # still running when the state is saved
    second = resumed(BayesianSearcher, spec, first)
    for s in (first, second):
        s.tell(10, TrialStatus.STOPPED, -1.0)
    assert run(second, 6, start=11, batch=2) == run(first, 6, start=11, batch=2)
    assert second.state_dict() == first.state_dict()


def test_bayesian_tell_maps_statuses():
    searcher = BayesianSearcher(bayes_spec())
    cases = [
        (TrialStatus.COMPLETED, 0.5, ["complete", [0.5]]),
        (TrialStatus.STOPPED, 0.25, ["complete", [0.25]]),  # early-stopped values count
        (TrialStatus.FAILED, None, ["fail", None]),
        (TrialStatus.TIMEOUT, 0.9, ["fail", None]),
        (TrialStatus.CANCELLED, None, ["fail", None]),
        (TrialStatus.COMPLETED, None, ["fail", None]),  # no valid result
        (TrialStatus.COMPLETED, float("nan"), ["fail", None]),
    ]
    for i, (status, value, _) in enumerate(cases):
        searcher.ask(i)
        searcher.tell(i, status, value)
    searcher.tell(0, TrialStatus.FAILED, None)  # a second tell changes nothing
    searcher.tell(99, TrialStatus.COMPLETED, 1.0)  # never asked: ignored
    records = searcher.state_dict()["trials"]
    assert [r[2:] for r in records] == [expected for *_, expected in cases]
    assert [r[0] for r in records] == list(range(len(cases)))


def test_bayesian_multi_objective():
    objectives = [{"metric": "acc", "goal": "maximize"}, {"metric": "latency", "goal": "minimize"}]
    spec = bayes_spec(objectives=objectives)
    searcher = BayesianSearcher(spec)
    assert [d.name for d in searcher._study.directions] == ["MAXIMIZE", "MINIMIZE"]
    for i in range(12):
        config = searcher.ask(i).params
        assert_in_domains(spec, config)
        searcher.tell(i, TrialStatus.COMPLETED, [score(config), config["units"] / 100])
    searcher.ask(12)
    searcher.tell(12, TrialStatus.COMPLETED, [0.5])  # one value for two objectives
    states = [(r[2], r[3] is not None and len(r[3])) for r in searcher.state_dict()["trials"]]
    assert states == [("complete", 2)] * 12 + [("fail", False)]
    a = run_mo(BayesianSearcher(spec))
    assert a == run_mo(BayesianSearcher(spec))


def run_mo(searcher):
    out = []
    for i in range(10):
        config = searcher.ask(i).params
        searcher.tell(i, TrialStatus.COMPLETED, [score(config), config["units"] / 100])
        out.append(config)
    return out


def test_random_and_sobol_serve_multi_objective_studies():
    objectives = [{"metric": "acc", "goal": "maximize"}, {"metric": "latency", "goal": "minimize"}]
    for cls, algorithm in [(RandomSearcher, "random"), (SobolSearcher, "sobol")]:
        searcher = cls(make_spec(algorithm=algorithm, objectives=objectives))
        config = searcher.ask(0).params
        searcher.tell(0, TrialStatus.COMPLETED, [0.9, 12.0])
        assert config


def test_bayesian_re_ask_of_the_same_id_voids_the_first_proposal():
    searcher = BayesianSearcher(bayes_spec())
    searcher.ask(0)
    searcher.ask(0)
    searcher.tell(0, TrialStatus.COMPLETED, 1.0)
    assert [r[2] for r in searcher.state_dict()["trials"]] == ["fail", "complete"]


def test_bayesian_gp_sampler():
    if importlib.util.find_spec("torch") is None:
        # Without PyTorch the spec itself is refused, so `validate` tells before a run.
        from hpo_bridge.spec import SpecError

        with pytest.raises(SpecError, match="strategy.sampler: gp needs PyTorch"):
            bayes_spec(strategy={"sampler": "gp", "n_startup_trials": 2})
        return
    spec = bayes_spec(strategy={"sampler": "gp", "n_startup_trials": 2})
    configs = run(BayesianSearcher(spec), 5)
    assert len(configs) == 5
