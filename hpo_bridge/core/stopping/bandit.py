"""Azure's bandit policy: stop a trial outside the slack of the best trial.

At an evaluation interval k the trial's best value up to k is compared with
the best such value over every trial that reached k (itself included, so the
leader never stops). Maximising with `slack_factor` s the threshold is
best/(1+s) (best 0.8, s 0.2 -> 0.667; s 0.1 -> 1/1.1, about 91% of the best);
with `slack_amount` a it is best - a. Minimising mirrors it: best*(1+s) or
best + a. A trial stops when it is strictly worse than the threshold.

A ratio only means "within s of the best" for a positive best; for a negative
best the ratio is applied to the magnitude instead (maximising: best*(1+s),
minimising: best/(1+s)), so the threshold always lies on the worse side of the
best and the best trial itself is never stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_bridge.core.stopping._history import IntervalRule, fmt
from hpo_bridge.core.stopping.base import CONTINUE, Decision

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec


class BanditRule(IntervalRule):
    name = "bandit"

    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        self._best_at: dict[int, float] = {}  # interval -> best score of the trials that reached it

    def report(self, trial_id: int, interval: int, value: float) -> None:
        series = self.history.record(trial_id, interval, value)
        if series is not None:
            score = series.best[-1]
            best = self._best_at.get(interval)
            if best is None or score > best:
                self._best_at[interval] = score

    def decide(self, trial_id: int, interval: int) -> Decision:
        found = self._evaluated(trial_id, interval)
        if found is None:
            return CONTINUE
        series, i = found
        own = self.history.value(series.best_at(i))
        best = self.history.value(self._best_at[interval])
        threshold, formula = self.threshold(best)
        maximize = self.history.maximize
        if (own < threshold) if maximize else (own > threshold):
            op = "<" if maximize else ">"
            return Decision(
                True,
                f"bandit: {fmt(own)} {op} {fmt(threshold)} = {formula} at interval {interval}",
            )
        return CONTINUE

    def threshold(self, best: float) -> tuple[float, str]:
        """The limit a trial must not fall beyond, and its formula for the reason."""
        s = self.settings
        maximize = self.history.maximize
        if s.slack_amount is not None:
            a = s.slack_amount
            if maximize:
                return best - a, f"{fmt(best)}-{a:g}"
            return best + a, f"{fmt(best)}+{a:g}"
        assert s.slack_factor is not None
        f = s.slack_factor
        # Divide when the threshold must be smaller than the best, multiply when larger.
        if maximize == (best >= 0):
            return best / (1 + f), f"{fmt(best)}/(1+{f:g})"
        return best * (1 + f), f"{fmt(best)}*(1+{f:g})"
