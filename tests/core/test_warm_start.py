"""Warm start: a new study learns from ended trials of earlier ones (build_tuner(prior=)):
the searcher observes their results, the stopping rule their curves; they use no budget."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_bridge.core import space
from hpo_bridge.core.events import StoppingDecision
from hpo_bridge.core.searchers import _optuna
from hpo_bridge.core.searchers.bayesian import BayesianSearcher
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.executors.simulator import SimulatorExecutor
from hpo_bridge.spec import validate_spec
from hpo_bridge.tuning import build_tuner

DOMAINS = {
    "lin": {"type": "float", "low": -2.0, "high": 3.0},
    "log": {"type": "float", "low": 1e-4, "high": 1.0, "scale": "log"},
    "rev": {"type": "float", "low": 0.9, "high": 0.999, "scale": "reverse_log"},
    "q": {"type": "float", "low": 0.0, "high": 1.0, "q": 0.25},
    "int": {"type": "int", "low": 1, "high": 9},
    "intlog": {"type": "int", "low": 1, "high": 512, "scale": "log"},
    "cat": {"type": "categorical", "values": ["adam", 3, True]},
    "disc": {"type": "discrete", "values": [1, 2, 4, 8]},
    "flag": {"type": "bool"},
    "normal": {"distribution": "normal", "mu": 0.8, "sigma": 0.05},
    "quniform": {"distribution": "quniform", "low": 0, "high": 10, "q": 2},
    "randint": {"distribution": "randint", "upper": 5},
}


def make_spec(**top):
    return validate_spec({
        "name": "t",
        "objective": {"metric": "m", "goal": "maximize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0},
                         "c": {"type": "categorical", "values": ["a", "b"]}},
        "strategy": {"algorithm": "bayesian", "seed": 3, "n_startup_trials": 5},
        **top,
    })


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(DOMAINS)), st.integers(0, 2**32 - 1))
def test_every_codec_encodes_back_what_it_decodes(name, seed):
    domain = validate_spec({"name": "t", "objective": {"metric": "m", "goal": "maximize"},
                            "search_space": {name: DOMAINS[name]}}).search_space[name]
    value = space.sample_value(domain, np.random.default_rng(seed))
    codec = _optuna.codec(domain)
    decoded = codec.decode(codec.encode(value))
    if isinstance(value, float) and not isinstance(value, bool):
        assert abs(decoded - value) <= 1e-9 * max(1.0, abs(value))
    else:
        assert decoded == value and type(decoded) is type(value)


def test_a_value_outside_the_domain_does_not_encode():
    domain = make_spec().search_space["x"]
    for outside in (1.5, "a", 1):
        try:
            _optuna.codec(domain).encode(outside)
        except ValueError:
            continue
        raise AssertionError(f"{outside!r} encoded")


def test_observed_results_steer_the_bayesian_searcher():
    spec = make_spec()
    warm, cold = BayesianSearcher(spec), BayesianSearcher(spec)
    prior = []
    for i in range(20):  # the best region: x near 0.2, and c = "a"
        x = i / 19
        m = -(x - 0.2) ** 2 + (0.1 if i % 2 else 0.0)
        prior.append(Trial(-(i + 1), {"x": x, "c": "a" if i % 2 else "b"},
                           TrialStatus.COMPLETED, values=[m], metrics={"m": [m]}))
    prior.append(Trial(-21, {"x": 7.0, "c": "a"}, TrialStatus.COMPLETED, values=[1.0],
                       metrics={"m": [1.0]}))  # not of this space: left out
    prior.append(Trial(-22, {"x": 0.5, "c": "b"}, TrialStatus.FAILED))  # no result: left out
    warm.warm_start(prior)
    proposals = [warm.ask(i).params for i in range(1, 6)]
    assert all(0.1 <= p["x"] <= 0.4 and p["c"] == "a" for p in proposals), proposals
    assert not all(0.1 <= cold.ask(i).params["x"] <= 0.4 for i in range(1, 6))
    state = warm.state_dict()
    assert [r[2] for r in state["trials"][:21]] == ["complete"] * 20 + ["running"]
    again = BayesianSearcher(spec)
    again.load_state_dict(state)
    assert again.ask(6) == warm.ask(6)  # the priors are part of the state


def test_prior_curves_count_as_previous_trials_and_use_no_budget():
    spec = validate_spec({
        "name": "t",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"curve": {"type": "categorical", "values": ["A", "B"]}},
        "strategy": {"algorithm": "grid"},
        "early_stopping": {"policy": "previous_median"},
    })
    table = {"metric": "accuracy", "seconds_per_interval": 1.0, "rows": [
        {"params": {"curve": "A"}, "values": [0.3, 0.4]},
        {"params": {"curve": "B"}, "values": [0.9, 0.9]},
    ]}
    prior = Trial(id=-1, params={"curve": "B"}, status=TrialStatus.COMPLETED,
                  values=[0.8, 0.8], metrics={"accuracy": [0.8, 0.8]})

    def run(priors):
        events: list = []
        tuner = build_tuner(spec, SimulatorExecutor(spec, table), sink=events.append,
                            prior=priors)
        tuner.run()
        return tuner, [e for e in events if isinstance(e, StoppingDecision)]

    tuner, stops = run([prior])
    assert [(s.trial_id, s.interval) for s in stops] == [(1, 1)]
    assert stops[0].reason == ("previous_median: 0.300 < median 0.800 of the running"
                               " averages of 1 previous trials at interval 1")
    assert sorted(tuner.trials) == [1, 2] and tuner.budget_used == 2
    cold, stops = run([])
    assert stops == [] and cold.trials[1].status is TrialStatus.COMPLETED
