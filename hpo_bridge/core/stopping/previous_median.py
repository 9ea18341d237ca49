"""SageMaker's Auto early stopping: compare a trial with the trials that came before it.

SageMaker documents the rule (automatic model tuning, "How early stopping works"): after
each epoch, take the objective value of the current training job; compute the running
average of the objective of every *previous* training job up to the same epoch, and the
median of those running averages; stop the current job when its value is worse than that
median (lower when maximising, higher when minimising).

Here, with one report of the objective as one interval (epoch):

- "previous" trials are those with a smaller id (started earlier); trials with negative
  ids (a warm start's prior trials) come before every trial of the study. Only previous
  trials that reported at interval k take part; with none, the trial continues (the
  first trial never stops);
- the current trial's value is its report at interval k itself, not its best so far;
- "worse" is strict: equal to the median continues; an even count takes the mean of the
  two middle averages;
- `evaluation_interval` and `delay_evaluation` apply as for every interval rule
  (defaults 1 and 0: every epoch, as documented).

Unlike `median` (Azure's rule) the trial is never part of the median it is compared with,
and later trials do not count: a trial's decision at k depends only on itself and the
trials before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_bridge.core.stopping._history import IntervalRule, fmt
from hpo_bridge.core.stopping.base import CONTINUE, Decision

if TYPE_CHECKING:
    from hpo_bridge.spec import EarlyStopping, TuningSpec


def _median(scores: list[float]) -> float:
    s, n = sorted(scores), len(scores)
    mid = n // 2
    return s[mid] if n % 2 else (s[mid - 1] + s[mid]) / 2


class PreviousMedianRule(IntervalRule):
    name = "previous_median"

    def __init__(self, spec: TuningSpec, settings: EarlyStopping | None = None) -> None:
        super().__init__(spec, settings)
        # interval -> trial id -> running average (score) of that trial up to the interval
        self._averages: dict[int, dict[int, float]] = {}

    def report(self, trial_id: int, interval: int, value: float) -> None:
        series = self.history.record(trial_id, interval, value)
        if series is not None:
            i = len(series.sums) - 1
            self._averages.setdefault(interval, {})[trial_id] = series.mean_at(i)

    def decide(self, trial_id: int, interval: int) -> Decision:
        found = self._evaluated(trial_id, interval)
        if found is None:
            return CONTINUE
        series, i = found
        previous = [avg for other, avg in self._averages.get(interval, {}).items()
                    if other < trial_id]
        if not previous:
            return CONTINUE
        own = series.sums[i] - (series.sums[i - 1] if i else 0.0)  # its report at k
        median = _median(previous)
        if own >= median:
            return CONTINUE
        op = "<" if self.history.maximize else ">"
        return Decision(
            True,
            f"previous_median: {fmt(self.history.value(own))} {op} median"
            f" {fmt(self.history.value(median))} of the running averages of"
            f" {len(previous)} previous trials at interval {interval}",
        )
