"""Azure's truncation selection: stop the lowest X% at each evaluation interval.

At an evaluation interval k the n trials that reached k are ranked by their
best value up to k, and the floor(n * truncation_percentage / 100) worst are
stopped: a trial stops when fewer than that many other trials are no better
than it. Rounding down means nothing stops while n * X < 100 (with 20%, the
fifth trial to reach k is the first that can be cut). Ties share the better
rank, so trials tied at the cut-off all continue. With `exclude_finished`,
trials that ended (completed, stopped or failed) leave every ranking, so
only trials still running are compared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_bridge.core.stopping._history import IntervalRule, Ranking, evaluates, fmt
from hpo_bridge.core.stopping.base import CONTINUE, Decision

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec


class TruncationRule(IntervalRule):
    name = "truncation"

    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        assert self.settings.truncation_percentage is not None
        self.percentage = self.settings.truncation_percentage
        self._bests: dict[int, Ranking] = {}  # interval -> best-so-far scores

    def report(self, trial_id: int, interval: int, value: float) -> None:
        if trial_id in self.history.finished and self.settings.exclude_finished:
            return
        series = self.history.record(trial_id, interval, value)
        if series is not None and evaluates(self.settings, interval):
            self._bests.setdefault(interval, Ranking()).add(series.best[-1])

    def finished(self, trial_id: int) -> None:
        if trial_id in self.history.finished:
            return
        self.history.finished.add(trial_id)
        series = self.history.trials.get(trial_id)
        if not self.settings.exclude_finished or series is None:
            return
        for interval, best in zip(series.intervals, series.best, strict=True):
            ranking = self._bests.get(interval)
            if ranking is not None:
                ranking.remove(best)

    def decide(self, trial_id: int, interval: int) -> Decision:
        found = self._evaluated(trial_id, interval)
        if found is None or (
            self.settings.exclude_finished and trial_id in self.history.finished
        ):
            return CONTINUE
        series, i = found
        ranking = self._bests[interval]
        n = len(ranking)
        cut = n * self.percentage // 100
        score = series.best_at(i)
        # Trials below or tied with this one (itself excluded): ties share the better rank.
        below = ranking.at_most(score) - 1
        if below >= cut:
            return CONTINUE
        best = self.history.value(score)
        return Decision(
            True,
            f"truncation: best {fmt(best)} is in the lowest {self.percentage}% at interval"
            f" {interval}: {below} of {n} trials below it, the lowest {cut} stop",
        )
