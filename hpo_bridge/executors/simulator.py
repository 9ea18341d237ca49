"""The simulator executor: trials on simulated time, thousands per second.

A source gives each trial its curve, one report per interval:
- a built-in function (`branin`, `hartmann6`, `branin-mf`, `hartmann6-mf`), reported under
  the spec's objective metric; multi-fidelity ones report once per epoch up to the trial's
  resource (else the spec's maximum resource, else the benchmark's 27 epochs);
- a table, built in (`curves`) or a JSON file::

    {"metric": "accuracy", "seconds_per_interval": 1.0,
     "rows": [{"params": {"curve": "A"}, "values": [0.64, 0.68, ...],
               "metrics": {"loss": [...]}}, ...]}

  a trial whose params match a row (on the row's parameter names) reports that
  row's values one interval at a time (an empty list: a trial that exits without
  reporting); no matching row fails the trial. NaN/Infinity values are allowed
  (JSON's extension), to simulate invalid reports.

Checkpoints (population-based training, resumed trials): a trial restored from a
checkpoint whose objective value is v (`Trial.restore`: the last value it inherits)
continues its own configuration's curve where that curve first gets strictly better
than v - the checkpoint is worth the epochs the configuration needs to beat it - so
its first report is at least as good as v, and a curve that never beats v goes on
from its end (a poor configuration loses the checkpoint's lead). Past its last epoch
a curve keeps its last value. The trial reports its budget's remaining intervals
(`resource - start`). The model is bounded by the curves: no trial does better than
some configuration's curve. With `checkpoints=False` the simulated scripts keep no
checkpoints: every restored trial starts from scratch (RestoreCorrected to 0), as a
script that ignores them does.

Events live in a heap keyed (time, trial id, sequence): one pending entry per
trial, so each event costs O(log n). `poll` returns every event at the next
simulated time together, in trial-id order, and moves the clock there.
"""

from __future__ import annotations

import heapq
import json
import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.clock import ManualClock
from hpo_bridge.core.events import (
    ExecutorEvent,
    MetricReported,
    RestoreCorrected,
    TrialFinished,
    TrialStarted,
)
from hpo_bridge.core.executor import Executor
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.executors.benchmarks import BENCHMARKS, TABLES, Benchmark

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

_STARTED, _INTERVAL, _FINISHED, _CORRECTED = 0, 1, 2, 3
_TIME_DIGITS = 9  # round times so trials in lockstep land on exactly equal times


class SimulationError(ValueError):
    """The benchmark or table cannot drive this spec (a user error: one clear line)."""


Curve = list[list[tuple[str, float]]]  # per interval: (metric, value) pairs, objective first


def continued(curve: Curve, value: float, count: int, maximize: bool) -> Curve:
    """`count` intervals of `curve` after a checkpoint worth `value` (the module's model)."""
    def better(x: float) -> bool:
        return x > value if maximize else x < value

    first = next((i for i, reports in enumerate(curve) if better(reports[0][1])), len(curve))
    return [curve[min(first + k, len(curve)) - 1] for k in range(1, count + 1)] if curve else []


def _budget(trial: Trial, length: int) -> int:
    """Intervals the trial itself reports: up to its resource (else the curve's length),
    less those its checkpoint holds."""
    end = trial.resource if trial.resource is not None else length
    return max(end - trial.start, 0)


class _FunctionSource:
    def __init__(self, bench: Benchmark, spec: TuningSpec) -> None:
        missing = [p for p in bench.bounds if p not in spec.search_space]
        if missing:
            raise SimulationError(
                f"--simulate {bench.name}: the search space needs parameter(s) "
                f"{', '.join(bench.bounds)} (missing: {', '.join(missing)})"
            )
        if spec.multi_objective:
            raise SimulationError(
                f"--simulate {bench.name}: built-in functions have one objective;"
                " use a table with per-row metrics for multi-objective studies"
            )
        self.bench = bench
        self.metric = spec.primary.metric
        self.seconds_per_interval = bench.seconds_per_interval
        bounds = spec.resource_bounds()
        self.full = bounds[1] if bounds else bench.epochs

    def curve(self, trial: Trial) -> Curve | str:
        intervals = max(trial.resource or self.full, self.full if trial.start else 0)
        try:
            values = self.bench.curve(trial.params, intervals, self.full)
        except (KeyError, TypeError, ValueError) as exc:
            return f"benchmark {self.bench.name} cannot evaluate {trial.params}: {exc}"
        return [[(self.metric, v)] for v in values]


def _key_value(value: Any) -> tuple[str, Any]:
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", float(value))
    return ("s", json.dumps(value, sort_keys=True))


@dataclass
class _Row:
    values: list[float]
    metrics: dict[str, list[float]] = field(default_factory=dict)


class _TableSource:
    def __init__(self, table: Any, label: str, spec: TuningSpec) -> None:
        def bad(msg: str) -> SimulationError:
            return SimulationError(f"table {label}: {msg}")

        if not isinstance(table, dict) or not isinstance(table.get("rows"), list):
            raise bad('expected {"metric": ..., "rows": [{"params": {...}, "values": [...]}]}')
        metric = table.get("metric")
        if not isinstance(metric, str) or not metric:
            raise bad('"metric" must name the metric the values are of')
        self.metric: str = metric
        wanted = [o.metric for o in spec.all_objectives]
        spi = table.get("seconds_per_interval", 1.0)
        if isinstance(spi, bool) or not isinstance(spi, int | float) or not spi > 0:
            raise bad('"seconds_per_interval" must be a positive number')
        self.seconds_per_interval = float(spi)
        self.names: tuple[str, ...] | None = None
        self.rows: dict[tuple, _Row] = {}
        for i, row in enumerate(table["rows"]):
            if not isinstance(row, dict) or not isinstance(row.get("params"), dict):
                raise bad(f"rows[{i}] needs a \"params\" object")
            values = row.get("values")
            if not isinstance(values, list) or not all(
                isinstance(v, int | float) and not isinstance(v, bool) for v in values
            ):
                raise bad(f"rows[{i}].values must be a list of numbers")
            extra = row.get("metrics", {})
            if not isinstance(extra, dict) or not all(
                isinstance(v, list) and len(v) == len(values) for v in extra.values()
            ):
                raise bad(f"rows[{i}].metrics must map names to lists as long as values")
            names = tuple(sorted(row["params"]))
            if self.names is None:
                self.names = names
            elif names != self.names:
                raise bad(f"rows[{i}] has params {list(names)}, rows[0] {list(self.names)}")
            key = tuple(_key_value(row["params"][n]) for n in names)
            if key in self.rows:
                raise bad(f"rows[{i}] repeats the params of an earlier row")
            self.rows[key] = _Row([float(v) for v in values],
                                  {str(k): [float(x) for x in v] for k, v in extra.items()})
        if not self.rows:
            raise bad("has no rows")
        available = {self.metric, *next(iter(self.rows.values())).metrics}
        missing = [m for m in wanted if m not in available]
        if missing:
            raise bad(f"reports {', '.join(sorted(available))}; the spec's objective needs"
                      f" {', '.join(missing)}")

    def curve(self, trial: Trial) -> Curve | str:
        assert self.names is not None
        if any(n not in trial.params for n in self.names):
            return f"no table row matches params {trial.params} (rows are keyed by" \
                   f" {', '.join(self.names)})"
        row = self.rows.get(tuple(_key_value(trial.params[n]) for n in self.names))
        if row is None:
            shown = {n: trial.params[n] for n in self.names}
            return f"no table row matches params {shown}"
        n = len(row.values) if trial.resource is None or trial.start \
            else min(trial.resource, len(row.values))
        return [
            [(self.metric, row.values[i]), *((m, v[i]) for m, v in row.metrics.items())]
            for i in range(n)
        ]


def load_source(source: str | dict, spec: TuningSpec) -> _FunctionSource | _TableSource:
    """A built-in benchmark or table by name, a table file's path, or a table dict."""
    if isinstance(source, dict):
        return _TableSource(source, "<dict>", spec)
    if source in BENCHMARKS:
        return _FunctionSource(BENCHMARKS[source], spec)
    if source in TABLES:
        return _TableSource(TABLES[source](), source, spec)
    path = Path(source)
    if not path.is_file():
        names = ", ".join([*BENCHMARKS, *TABLES])
        raise SimulationError(
            f"--simulate {source}: neither a built-in benchmark ({names}) nor a table file"
        )
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SimulationError(f"table {source}: cannot read JSON: {exc}") from None
    return _TableSource(table, source, spec)


@dataclass
class _Running:
    trial_id: int
    start: float
    curve: Curve
    next_interval: int = 0
    ended: bool = False


class SimulatorExecutor(Executor):
    """Runs trials as simulated curves on a ManualClock.

    Options: `source` (benchmark name, table path or table dict), `seconds_per_interval`
    (overrides the source's), `speed` (simulated seconds per real second; pace the
    simulation in real time, e.g. to watch it or to interrupt it; default: no pacing),
    `checkpoints` (False: restored trials start from scratch, see the module notes).
    """

    clock: ManualClock
    #: The `run` options this executor takes (RunOptions fields).
    run_options = frozenset({"simulate", "sim_speed"})

    @classmethod
    def options_from(cls, spec: TuningSpec, options: Any) -> dict[str, Any]:
        """`--simulate` and `--sim-speed` as this executor's options, checked before the
        study starts (SimulationError: one line naming the source)."""
        if options.simulate is None:
            raise SimulationError("--simulate: the simulator executor needs a benchmark or"
                                  " a table file")
        load_source(options.simulate, spec)
        path = Path(options.simulate)
        chosen: dict[str, Any] = {
            "source": str(path.resolve()) if path.is_file() else options.simulate}
        if options.sim_speed:
            chosen["speed"] = options.sim_speed
        return chosen

    def __init__(
        self,
        spec: TuningSpec,
        source: str | dict = "branin",
        *,
        seconds_per_interval: float | None = None,
        speed: float | None = None,
        clock: ManualClock | None = None,
        checkpoints: bool = True,
        **_ignored: Any,
    ) -> None:
        self.spec = spec
        self.checkpoints = checkpoints
        self.maximize = spec.primary.goal == "maximize"
        self.source = load_source(source, spec)
        self.dt = float(seconds_per_interval or self.source.seconds_per_interval)
        self.clock = clock or ManualClock()
        self.speed = speed
        self._heap: list[tuple[float, int, int, int]] = []  # (time, trial id, seq, kind)
        self._seq = 0
        self._trials: dict[int, _Running] = {}
        self._stops: dict[int, tuple[TrialStatus, str]] = {}
        self._failures: dict[int, str] = {}
        self._corrections: dict[int, str] = {}

    # -- Executor ----------------------------------------------------------------------
    def start(self, trial: Trial) -> None:
        now = self.clock.now()
        restore = trial.restore if trial.start > 0 else None
        if restore is not None and not self.checkpoints:
            self._corrections[trial.id] = (
                f"the simulated script keeps no checkpoints: starts from scratch instead of"
                f" after interval {restore.start} of trial {restore.source}")
            self._push(now, trial.id, _CORRECTED)
            restore = None
        curve = self.source.curve(replace(trial, restore=restore))
        if isinstance(curve, str):
            self._failures[trial.id] = curve
            curve = []
        elif restore is not None:
            curve = continued(curve, restore.values[-1], _budget(trial, len(curve)),
                              self.maximize)
        self._trials[trial.id] = _Running(trial.id, now, curve)
        self._push(now, trial.id, _STARTED)

    def stop(self, trial_id: int, reason: str, status: TrialStatus = TrialStatus.STOPPED) -> None:
        run = self._trials.get(trial_id)
        if run is None or run.ended or trial_id in self._stops:
            return
        self._stops[trial_id] = (status, reason)
        self._push(self.clock.now(), trial_id, _FINISHED)

    def running(self) -> int:
        return len(self._trials)

    def poll(self, timeout: float) -> list[ExecutorEvent]:
        limit = self.clock.now() + max(timeout, 0.0)
        while self._heap and self._heap[0][0] <= limit:
            t = self._heap[0][0]
            self._advance(t)
            events: list[ExecutorEvent] = []
            while self._heap and self._heap[0][0] == t:
                _, trial_id, _, kind = heapq.heappop(self._heap)
                self._fire(t, trial_id, kind, events)
            if events:  # else only entries of stopped trials were due: look further
                return events
        if math.isfinite(limit) and self._trials:
            self._advance(limit)
        return []

    def close(self) -> None:
        self._heap.clear()
        self._trials.clear()

    # -- internals ---------------------------------------------------------------------
    def _push(self, t: float, trial_id: int, kind: int) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (round(t, _TIME_DIGITS), trial_id, self._seq, kind))

    def _advance(self, t: float) -> None:
        if self.speed and t > self.clock.now():
            time.sleep((t - self.clock.now()) / self.speed)
        self.clock.advance_to(t)

    def _fire(self, t: float, trial_id: int, kind: int, events: list[ExecutorEvent]) -> None:
        run = self._trials.get(trial_id)
        if run is None or run.ended:
            return
        if kind == _FINISHED:
            status, reason = self._stops.pop(trial_id)
            self._end(run, TrialFinished(trial_id, t, status, None, reason), events)
            return
        if kind == _CORRECTED:
            events.append(RestoreCorrected(trial_id, t, 0, self._corrections.pop(trial_id)))
            return
        if trial_id in self._stops:
            return  # a stop is pending: the curve goes no further
        if kind == _STARTED:
            events.append(TrialStarted(trial_id, t))
            failure = self._failures.pop(trial_id, None)
            if failure is not None:
                failed = TrialFinished(trial_id, t, TrialStatus.FAILED, None, failure)
                self._end(run, failed, events)
            elif run.curve:
                self._push(run.start + self.dt, trial_id, _INTERVAL)
            else:
                self._end(run, TrialFinished(trial_id, t, TrialStatus.COMPLETED, 0), events)
            return
        reports = run.curve[run.next_interval]
        for name, value in reports:
            events.append(MetricReported(trial_id, t, name, value))
        run.next_interval += 1
        if run.next_interval < len(run.curve):
            self._push(run.start + (run.next_interval + 1) * self.dt, trial_id, _INTERVAL)
        else:
            self._end(run, TrialFinished(trial_id, t, TrialStatus.COMPLETED, 0), events)

    def _end(self, run: _Running, event: TrialFinished, events: list[ExecutorEvent]) -> None:
        run.ended = True
        del self._trials[run.trial_id]
        self._stops.pop(run.trial_id, None)
        events.append(event)
