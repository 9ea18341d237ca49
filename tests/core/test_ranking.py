"""Best trial and Pareto set of trials (core/ranking.py)."""

from __future__ import annotations

import pytest

from hpo_bridge.core.ranking import best_trial, pareto_set
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.spec import validate_spec

S = TrialStatus


def spec_with(objectives):
    key = "objectives" if len(objectives) > 1 else "objective"
    value = objectives if len(objectives) > 1 else objectives[0]
    return validate_spec({"name": "r", key: value,
                          "search_space": {"x": {"type": "float", "low": 0, "high": 1}}})


def trial(tid, status=S.COMPLETED, **series):
    return Trial(tid, {"x": 0.1 * tid}, status, values=list(series.get("acc", [])),
                 metrics={k: list(v) for k, v in series.items()})


def test_pareto_set_accuracy_max_latency_min():
    spec = spec_with([{"metric": "acc", "goal": "maximize"},
                      {"metric": "latency", "goal": "minimize"}])
    trials = [
        trial(1, acc=[0.90], latency=[30.0]),
        trial(2, acc=[0.85], latency=[10.0]),
        trial(3, acc=[0.80], latency=[20.0]),  # dominated by 2
        trial(4, acc=[0.95], latency=[50.0]),
        trial(5, S.FAILED, acc=[0.99], latency=[1.0]),  # no result: left out
        trial(6, S.STOPPED, acc=[0.90], latency=[30.0]),  # equal to 1: both stay
    ]
    assert [t.id for t in pareto_set(spec, trials)] == [1, 2, 4, 6]


@pytest.mark.parametrize(("goal", "best"), [("maximize", 2), ("minimize", 4)])
def test_best_trial_ties_go_to_the_cheaper_then_earlier(goal, best):
    spec = spec_with([{"metric": "acc", "goal": goal}])
    trials = [
        trial(1, acc=[0.1, 0.9]),
        trial(2, acc=[0.9]),  # same 0.9, fewer intervals
        trial(3, S.FAILED, acc=[5.0]),
        trial(4, S.STOPPED, acc=[0.05]),
        trial(5, acc=[0.05]),  # ties 4 with as many intervals: the earlier wins
    ]
    assert best_trial(spec, trials).id == best


def test_ties_with_the_best_are_named_not_decided_silently() -> None:
    """AI Platform: equal objectives -> prefer the cheaper configuration; the ranking puts
    the one with fewer intervals first and lists the others as ties."""
    from hpo_bridge.core.ranking import tied_with_best
    from hpo_bridge.results.results import best_dict

    spec = _tie_spec()
    trials = [Trial(1, {"x": 8}, TrialStatus.COMPLETED, values=[0.5, 0.9],
                    metrics={"m": [0.5, 0.9]}),
              Trial(2, {"x": 20}, TrialStatus.COMPLETED, values=[0.9], metrics={"m": [0.9]}),
              Trial(3, {"x": 4}, TrialStatus.COMPLETED, values=[0.7], metrics={"m": [0.7]}),
              Trial(4, {"x": 9}, TrialStatus.COMPLETED, values=[0.1, 0.2, 0.9],
                    metrics={"m": [0.1, 0.2, 0.9]})]
    assert [t.id for t in tied_with_best(spec, trials)] == [1, 4]
    out = best_dict(spec, trials)
    assert (out["best"]["id"], out["ties"]) == (2, [1, 4])
    assert "ties" not in best_dict(spec, trials[:1] + trials[2:3])


def _tie_spec():
    from hpo_bridge.spec import TuningSpec

    return TuningSpec.model_validate({
        "name": "t", "objective": {"metric": "m", "goal": "maximize"},
        "search_space": {"x": {"type": "int", "low": 1, "high": 30}}})
