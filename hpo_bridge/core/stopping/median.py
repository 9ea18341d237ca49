"""Azure's median stopping policy, and `auto` (median with interval 1, delay 5).

At an evaluation interval k a trial stops when its best value up to k is
strictly worse than the median of the running averages (mean of intervals
1..k) of every trial that reached k. The trial itself is one of them (Azure
compares against all runs), so a lone trial never stops: its best is never
worse than its own average. An even count takes the mean of the two middle
averages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_bridge.core.stopping._history import IntervalRule, Ranking, fmt
from hpo_bridge.core.stopping.base import CONTINUE, Decision

if TYPE_CHECKING:
    from hpo_bridge.spec import EarlyStopping, TuningSpec


class MedianRule(IntervalRule):
    name = "median"

    def __init__(self, spec: TuningSpec, settings: EarlyStopping | None = None) -> None:
        super().__init__(spec, settings)
        self._averages: dict[int, Ranking] = {}  # interval -> running averages (scores)

    def report(self, trial_id: int, interval: int, value: float) -> None:
        series = self.history.record(trial_id, interval, value)
        if series is not None:
            ranking = self._averages.setdefault(interval, Ranking())
            ranking.add(series.mean_at(len(series.sums) - 1))

    def decide(self, trial_id: int, interval: int) -> Decision:
        found = self._evaluated(trial_id, interval)
        if found is None:
            return CONTINUE
        series, i = found
        ranking = self._averages[interval]
        best_score, median_score = series.best_at(i), ranking.median()
        if best_score >= median_score:
            return CONTINUE
        op = "<" if self.history.maximize else ">"
        best, median = self.history.value(best_score), self.history.value(median_score)
        return Decision(
            True,
            f"median: best {fmt(best)} {op} median {fmt(median)} of running averages"
            f" of {len(ranking)} trials at interval {interval}",
        )


def auto_rule(spec: TuningSpec) -> MedianRule:
    """`auto`: the median rule with evaluation_interval 1, delay_evaluation 5 (Azure's advice)."""
    settings = spec.early_stopping.model_copy(
        update={"policy": "median", "evaluation_interval": 1, "delay_evaluation": 5}
    )
    return MedianRule(spec, settings)
