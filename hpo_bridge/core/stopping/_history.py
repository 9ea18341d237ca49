"""Report history shared by the interval rules (bandit, median, truncation).

Conventions, common to those rules:

- A trial's performance at interval k is its *best* value over intervals 1..k
  (the seed: "any run whose best metric at interval 10 is below 0.667"). Using
  the best so far keeps one noisy report from stopping an otherwise good trial.
- A trial "reached k" when it reported a value at interval k.
- Internally every value is turned into a score where higher is better
  (the value when maximising, its negation when minimising), so one sorted
  structure serves both goals; reasons always print the real values.
- Reports must come with increasing intervals per trial. A report at an
  interval already recorded (a replay) or a non-finite value is ignored, so
  a rule can be rebuilt by replaying a study's reports; rules keep no other
  state worth serialising.
- Every structure is updated incrementally on `report` (a running best, a
  running sum, one sorted list per interval), so a decision never rescans the
  history: O(log n) lookups plus at worst an O(n) memmove on insertion.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hpo_bridge.core.stopping.base import StoppingRule

if TYPE_CHECKING:
    # Annotations only: core reads the spec's settings duck-typed, never imports the spec.
    from hpo_bridge.spec import EarlyStopping, TuningSpec


def scorer(goal: str) -> float:
    """+1 when maximising, -1 when minimising: score = sign * value."""
    return 1.0 if goal == "maximize" else -1.0


def evaluates(settings: EarlyStopping, interval: int) -> bool:
    """A rule acts at k >= delay_evaluation with k a multiple of evaluation_interval."""
    return interval >= settings.delay_evaluation and interval % settings.evaluation_interval == 0


def fmt(value: float) -> str:
    return f"{value:.3f}"


@dataclass
class TrialSeries:
    """One trial's reports with prefix aggregates (scores, higher is better)."""

    intervals: list[int] = field(default_factory=list)
    best: list[float] = field(default_factory=list)  # best score over reports 1..i
    sums: list[float] = field(default_factory=list)  # sum of scores over reports 1..i

    @property
    def last_interval(self) -> int:
        return self.intervals[-1] if self.intervals else 0

    def add(self, interval: int, score: float) -> None:
        self.best.append(max(self.best[-1], score) if self.best else score)
        self.sums.append((self.sums[-1] if self.sums else 0.0) + score)
        self.intervals.append(interval)

    def index(self, interval: int) -> int | None:
        """Position of the report made at exactly `interval`, if any."""
        n = len(self.intervals)
        # Fast path: reports are usually 1, 2, 3, ...
        if 0 < interval <= n and self.intervals[interval - 1] == interval:
            return interval - 1
        i = bisect_left(self.intervals, interval)
        return i if i < n and self.intervals[i] == interval else None

    def best_at(self, i: int) -> float:
        return self.best[i]

    def mean_at(self, i: int) -> float:
        return self.sums[i] / (i + 1)


class History:
    """Every trial's series; `record` returns the series when the report was new."""

    def __init__(self, goal: str) -> None:
        self.sign = scorer(goal)
        self.maximize = goal == "maximize"
        self.trials: dict[int, TrialSeries] = {}
        self.finished: set[int] = set()

    def record(self, trial_id: int, interval: int, value: float) -> TrialSeries | None:
        if not math.isfinite(value) or interval < 1:
            return None
        series = self.trials.setdefault(trial_id, TrialSeries())
        if interval <= series.last_interval:
            return None
        series.add(interval, self.sign * value)
        return series

    def at(self, trial_id: int, interval: int) -> tuple[TrialSeries, int] | None:
        """The trial's series and the position of its report at `interval`."""
        series = self.trials.get(trial_id)
        if series is None:
            return None
        i = series.index(interval)
        return None if i is None else (series, i)

    def value(self, score: float) -> float:
        """A score back in the metric's own units."""
        return self.sign * score


class Ranking:
    """A sorted list of scores (ascending: worst first)."""

    __slots__ = ("scores",)

    def __init__(self) -> None:
        self.scores: list[float] = []

    def __len__(self) -> int:
        return len(self.scores)

    def add(self, score: float) -> None:
        insort(self.scores, score)

    def remove(self, score: float) -> None:
        i = bisect_left(self.scores, score)
        if i < len(self.scores) and self.scores[i] == score:
            del self.scores[i]

    def at_most(self, score: float) -> int:
        """How many scores are no better than `score` (itself included when present)."""
        return bisect_right(self.scores, score)

    def median(self) -> float:
        s, n = self.scores, len(self.scores)
        mid = n // 2
        return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


class IntervalRule(StoppingRule):
    """A rule over the objective's history that acts only at its evaluation intervals."""

    def __init__(self, spec: TuningSpec, settings: EarlyStopping | None = None) -> None:
        super().__init__(spec)
        self.settings = settings or spec.early_stopping.resolved()
        self.history = History(spec.primary.goal)

    def _evaluated(self, trial_id: int, interval: int) -> tuple[TrialSeries, int] | None:
        """(series, index) of the trial at `interval` when the rule acts there, else None."""
        if not evaluates(self.settings, interval):
            return None
        return self.history.at(trial_id, interval)

