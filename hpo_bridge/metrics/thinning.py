"""What of a trial's reports reaches the tuner and the store: bounded, whatever it prints.

A trial may report a metric a million times a second. What the stopping rule and the
results need is the objective once per interval (an interval is one report of the
primary objective) and the other metrics alongside; so per trial:

- every objective report passes, up to `MAX_INTERVALS` reports of each objective: the
  trial is then ended (`ended` says why) and what it reports later is not read on;
- each other metric passes its first `KEEP_PER_INTERVAL` reports of an interval as they
  come; after that only its latest value is held, and passes just before the interval
  ends (the next primary report) or when the trial's output ends (`flush`). A metric
  logged per batch keeps its first 100 batches and its last of every epoch;
- at most `MAX_METRICS` distinct metric names; reports of further names are dropped;
- an invalid report (not a finite number) always passes: it fails the trial.

So the journal grows with intervals, not with lines, and the orchestrator holds at most
one held value per metric name. `dropped` counts what did not pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hpo_bridge.metrics.base import Reading

MAX_INTERVALS = 10_000  # reports of each objective per trial
KEEP_PER_INTERVAL = 100  # reports of each other metric per interval passed as they come
MAX_METRICS = 1_000  # distinct metric names per trial


class ReportFilter:
    """One trial's reports in, the ones worth keeping out, in their order."""

    def __init__(self, objectives: Sequence[str], primary: str, *,
                 max_intervals: int = MAX_INTERVALS,
                 keep_per_interval: int = KEEP_PER_INTERVAL,
                 max_metrics: int = MAX_METRICS) -> None:
        self.objectives = frozenset(objectives)
        self.primary = primary
        self.max_intervals = max_intervals
        self.keep_per_interval = keep_per_interval
        self.max_metrics = max_metrics
        self.ended: str | None = None  # why the trial must end (too many intervals)
        self.dropped = 0
        self._objective_counts: dict[str, int] = {}
        self._names: set[str] = set()
        self._in_interval: dict[str, int] = {}  # other metric -> reports this interval
        self._held: dict[str, Reading] = {}  # other metric -> its latest, not passed yet

    def feed(self, readings: Iterable[Reading]) -> list[Reading]:
        out: list[Reading] = []
        for reading in readings:
            if self.ended is not None:
                self.dropped += 1
            elif reading.name in self.objectives:
                self._objective(reading, out)
            elif not reading.valid:
                out.append(reading)
            else:
                self._other(reading, out)
        return out

    def flush(self) -> list[Reading]:
        """The held values (the trial's output has ended)."""
        held = list(self._held.values())
        self._held.clear()
        return held

    def _objective(self, reading: Reading, out: list[Reading]) -> None:
        count = self._objective_counts.get(reading.name, 0) + 1
        if count > self.max_intervals:
            self.ended = (f"reported {reading.name} {self.max_intervals:,} times, the most a"
                          " trial may (later reports were not read)")
            self.dropped += 1
            return
        self._objective_counts[reading.name] = count
        if reading.name == self.primary:
            out.extend(self.flush())  # the interval that ends here
            self._in_interval.clear()
        out.append(reading)

    def _other(self, reading: Reading, out: list[Reading]) -> None:
        name = reading.name
        if name not in self._names:
            if len(self._names) >= self.max_metrics:
                self.dropped += 1
                return
            self._names.add(name)
        count = self._in_interval.get(name, 0) + 1
        self._in_interval[name] = count
        if count <= self.keep_per_interval:
            out.append(reading)
        else:
            if name in self._held:
                self.dropped += 1  # replaced by a later value
            self._held[name] = reading
