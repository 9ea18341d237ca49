"""Vertex AI's median automated stopping rule (`median_automated_stopping_spec`).

Google's wording: a trial is stopped when its best objective value so far is strictly
worse than the median of the running averages of all *completed* trials' objective values
reported up to the trial's last measurement. So, at step k (the k-th report, as for every
interval rule here):

- the reference set is the trials that ended with a result (completed, or stopped early:
  Vertex marks an early-stopped trial SUCCEEDED); failed and cancelled trials and trials
  still running are not in it. This is what sets it apart from Azure's median
  (`median`), which compares with every trial that reached k, running ones included;
- a reference trial's "performance" is the mean of its reports at steps 1..k (all of its
  reports when it ended before step k);
- with no reference trial yet nothing stops, so the first trials always run to their end;
- an even count takes the mean of the two middle averages.

`evaluation_interval` and `delay_evaluation` apply as for the other interval rules (Vertex
itself evaluates at every measurement: the defaults 1 and 0).
"""

from __future__ import annotations

from bisect import bisect_right
from statistics import median
from typing import TYPE_CHECKING

from hpo_bridge.core.stopping._history import IntervalRule, TrialSeries, fmt
from hpo_bridge.core.stopping.base import CONTINUE, Decision

if TYPE_CHECKING:
    from hpo_bridge.core.trial import TrialStatus
    from hpo_bridge.spec import TuningSpec


def running_average(series: TrialSeries, step: int) -> float | None:
    """The mean score of the reports at steps <= `step` (None when there is none)."""
    count = bisect_right(series.intervals, step)
    return series.mean_at(count - 1) if count else None


class VertexMedianRule(IntervalRule):
    name = "vertex_median"

    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        self.completed: list[int] = []  # the reference set, in the order trials ended
        self._medians: dict[int, tuple[int, float, int]] = {}  # step -> (set size, median, n)

    def report(self, trial_id: int, interval: int, value: float) -> None:
        self.history.record(trial_id, interval, value)

    def ended(self, trial_id: int, status: TrialStatus) -> None:
        self.history.finished.add(trial_id)
        if status.counts_as_result and trial_id in self.history.trials \
                and trial_id not in self.completed:
            self.completed.append(trial_id)

    def reference(self, step: int) -> tuple[float, int] | None:
        """(median running average, how many completed trials) at `step`, or None."""
        cached = self._medians.get(step)
        if cached is not None and cached[0] == len(self.completed):
            return cached[1], cached[2]
        averages = [a for a in (running_average(self.history.trials[t], step)
                                for t in self.completed) if a is not None]
        if not averages:
            return None
        found = (median(averages), len(averages))
        self._medians[step] = (len(self.completed), *found)
        return found

    def decide(self, trial_id: int, interval: int) -> Decision:
        found = self._evaluated(trial_id, interval)
        if found is None:
            return CONTINUE
        series, i = found
        reference = self.reference(interval)
        if reference is None:
            return CONTINUE
        median_score, count = reference
        best_score = series.best_at(i)
        if best_score >= median_score:
            return CONTINUE
        op = "<" if self.history.maximize else ">"
        best, middle = self.history.value(best_score), self.history.value(median_score)
        return Decision(
            True,
            f"vertex_median: best {fmt(best)} {op} median {fmt(middle)} of the running"
            f" averages of {count} completed trials at step {interval}",
        )
