"""The simulator executor: benchmarks with known optima, tables, event order, stops."""

from __future__ import annotations

import json
import math

import pytest

from hpo_bridge.core.events import MetricReported, TrialFinished, TrialStarted
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.executors.benchmarks import BENCHMARKS, branin, hartmann6, learning_curves
from hpo_bridge.executors.simulator import SimulationError, SimulatorExecutor
from hpo_bridge.spec import validate_spec


def spec_for(space: dict, metric: str = "loss", goal: str = "minimize", **extra):
    return validate_spec({"name": "sim", "objective": {"metric": metric, "goal": goal},
                          "search_space": space, **extra})


BRANIN_SPACE = {"x1": {"type": "float", "low": -5, "high": 10},
                "x2": {"type": "float", "low": 0, "high": 15}}
CURVE_SPACE = {"curve": {"type": "categorical", "values": ["A", "B"]}}


def drain(executor) -> list:
    out = []
    while True:
        batch = executor.poll(math.inf)
        if not batch:
            return out
        out.append(batch)


@pytest.mark.parametrize("x", [(-math.pi, 12.275), (math.pi, 2.275), (9.42478, 2.475)])
def test_branin_minima(x):
    assert branin(*x) == pytest.approx(0.397887, abs=1e-6)


def test_hartmann6_minimum():
    assert hartmann6(BENCHMARKS["hartmann6"].argmin) == pytest.approx(-3.32237, abs=1e-5)


@pytest.mark.parametrize("name", ["branin-mf", "hartmann6-mf"])
def test_multi_fidelity_error_shrinks_to_the_true_value(name):
    bench = BENCHMARKS[name]
    params = dict(zip(bench.bounds, bench.argmin, strict=True))
    curve = bench.curve(params, 27, 27)
    errors = [abs(v - bench.optimum) for v in curve]
    assert errors[-1] == pytest.approx(0.0, abs=1e-5)
    assert errors[0] > errors[13] > errors[-1]


def test_branin_mf_reports_one_value_per_epoch_up_to_the_trial_resource():
    spec = spec_for(BRANIN_SPACE, trial={"resource": {"name": "epochs", "min": 1, "max": 9}})
    ex = SimulatorExecutor(spec, "branin-mf")
    ex.start(Trial(1, {"x1": math.pi, "x2": 2.275}, resource=3))
    ex.start(Trial(2, {"x1": math.pi, "x2": 2.275}))
    batches = drain(ex)
    reports = [(e.trial_id, e.time) for b in batches for e in b if isinstance(e, MetricReported)]
    assert reports == [(1, 1.0), (2, 1.0), (1, 2.0), (2, 2.0), (1, 3.0), (2, 3.0)] + [
        (2, float(t)) for t in range(4, 10)]
    last = [e for b in batches for e in b if isinstance(e, MetricReported)][-1]
    assert last.value == pytest.approx(0.397887, abs=1e-6)  # epoch 9 of 9: full fidelity


def test_events_at_equal_times_come_together_in_trial_id_order():
    spec = spec_for(CURVE_SPACE, metric="accuracy", goal="maximize")
    table = {"metric": "accuracy", "seconds_per_interval": 2.0,
             "rows": [{"params": {"curve": "A"}, "values": [0.1, 0.2]},
                      {"params": {"curve": "B"}, "values": [0.3]}]}
    ex = SimulatorExecutor(spec, table)
    ex.start(Trial(2, {"curve": "A"}))
    ex.start(Trial(1, {"curve": "B"}))
    batches = drain(ex)
    shape = [[(type(e).__name__, e.trial_id, e.time) for e in b] for b in batches]
    assert shape == [
        [("TrialStarted", 1, 0.0), ("TrialStarted", 2, 0.0)],
        [("MetricReported", 1, 2.0), ("TrialFinished", 1, 2.0), ("MetricReported", 2, 2.0)],
        [("MetricReported", 2, 4.0), ("TrialFinished", 2, 4.0)],
    ]
    assert ex.running() == 0


def test_table_extra_metrics_and_unmatched_rows():
    spec = spec_for(CURVE_SPACE, metric="accuracy", goal="maximize")
    table = {"metric": "accuracy", "rows": [
        {"params": {"curve": "A"}, "values": [0.5], "metrics": {"loss": [1.5]}}]}
    ex = SimulatorExecutor(spec, table)
    ex.start(Trial(1, {"curve": "A"}))
    ex.start(Trial(2, {"curve": "B"}))
    events = [e for b in drain(ex) for e in b]
    assert [(e.name, e.value) for e in events if isinstance(e, MetricReported)] == [
        ("accuracy", 0.5), ("loss", 1.5)]
    failed = [e for e in events if isinstance(e, TrialFinished) and e.trial_id == 2][0]
    assert failed.status is TrialStatus.FAILED
    assert failed.reason == "no table row matches params {'curve': 'B'}"


def test_stop_ends_the_curve_with_the_requested_status():
    spec = spec_for(CURVE_SPACE, metric="accuracy", goal="maximize")
    ex = SimulatorExecutor(spec, {"metric": "accuracy",
                                  "rows": [{"params": {"curve": "A"}, "values": [0.1] * 5}]})
    ex.start(Trial(1, {"curve": "A"}))
    assert [type(e) for e in ex.poll(math.inf)] == [TrialStarted]
    assert len(ex.poll(math.inf)) == 1
    ex.stop(1, "enough", TrialStatus.STOPPED)
    assert ex.poll(math.inf) == [TrialFinished(1, 1.0, TrialStatus.STOPPED, None, "enough")]
    assert ex.poll(math.inf) == [] and ex.running() == 0


def test_poll_timeout_advances_the_clock_without_events():
    spec = spec_for(CURVE_SPACE, metric="accuracy", goal="maximize")
    ex = SimulatorExecutor(spec, {"metric": "accuracy", "seconds_per_interval": 10,
                                  "rows": [{"params": {"curve": "A"}, "values": [0.1]}]})
    ex.start(Trial(1, {"curve": "A"}))
    ex.poll(0)
    assert ex.poll(4.0) == [] and ex.clock.now() == 4.0
    assert [e.time for e in ex.poll(math.inf)] == [10.0, 10.0]


def test_table_file_and_builtin_table(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"metric": "accuracy",
                                "rows": [{"params": {"curve": "A"}, "values": [0.7]}]}))
    spec = spec_for(CURVE_SPACE, metric="accuracy", goal="maximize")
    ex = SimulatorExecutor(spec, str(path))
    ex.start(Trial(1, {"curve": "A"}))
    assert [e.value for b in drain(ex) for e in b if isinstance(e, MetricReported)] == [0.7]
    curves = learning_curves()
    assert len(curves["rows"]) == 100 and {len(r["values"]) for r in curves["rows"]} == {27}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ({"rows": []}, 'table <dict>: "metric" must name the metric the values are of'),
        ({"metric": "accuracy", "rows": [{"params": {"curve": "A"}, "values": ["x"]}]},
         "table <dict>: rows[0].values must be a list of numbers"),
        ({"metric": "accuracy", "rows": [{"params": {"curve": "A"}, "values": [1]},
                                         {"params": {"curve": "A"}, "values": [2]}]},
         "table <dict>: rows[1] repeats the params of an earlier row"),
        ({"metric": "loss", "rows": [{"params": {"curve": "A"}, "values": [1]}]},
         "table <dict>: reports loss; the spec's objective needs accuracy"),
        ("no-such-benchmark", "--simulate no-such-benchmark: neither a built-in benchmark"
         " (branin, hartmann6, branin-mf, hartmann6-mf, curves) nor a table file"),
        ("branin", "--simulate branin: the search space needs parameter(s) x1, x2"
         " (missing: x1, x2)"),
    ],
)
def test_bad_sources_are_user_errors(source, message):
    spec = spec_for(CURVE_SPACE, metric="accuracy", goal="maximize")
    with pytest.raises(SimulationError) as info:
        SimulatorExecutor(spec, source)
    assert str(info.value) == message
