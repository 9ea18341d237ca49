"""`limits.max_total_resource`: the search's budget in units of trial.resource (epochs).

Vega states a search's budget in epochs (`total_epochs`) rather than in trials. The
tuner starts a trial only while what the search has spent, plus what its running trials
may still spend (their whole assigned budget: they may run to its end), plus the new
trial's own budget, fits in the limit; so the epochs trials are *given* never exceed it.

What a trial spent (documented rule): a trial that completed spent its assigned budget (a
script that writes its objective once, at the end, reports one interval for all its
epochs); any other ended trial spent the intervals it reported, at most its budget (a
stopping rule ended it there). An interrupted attempt counts nothing: it runs again, and
that attempt is counted. The fullytrain stage comes after the search and is not counted.
A trial that continues another trial's checkpoint (population-based training) is given
and spends only the intervals after it (`resource - start`); one that resumes its own
interrupted attempt counts from 0, the attempt's intervals included.
"""

from __future__ import annotations

from collections.abc import Iterable

from hpo_bridge.core.trial import FULLYTRAIN, Trial, TrialStatus


def inherited(trial: Trial) -> int:
    """Intervals it continues from another trial's checkpoint (not its own to spend)."""
    restore = trial.restore
    return restore.start if restore is not None and restore.source != trial.id else 0


def spent_by(trial: Trial) -> int:
    """The resource an ended trial spent (see the module docstring)."""
    if trial.status is TrialStatus.COMPLETED and trial.resource is not None:
        return trial.resource - inherited(trial)
    if trial.resource is None:
        return trial.intervals - inherited(trial)
    return min(trial.intervals, trial.resource) - inherited(trial)


class ResourceBudget:
    """How much of `limit` the search has spent; `fits` says whether another trial may start."""

    def __init__(self, limit: int | None, per_trial: int | None) -> None:
        self.limit = limit
        self.per_trial = per_trial or 0  # the budget a new trial is given (the spec's max)
        self.spent = 0

    def ended(self, trial: Trial) -> None:
        """Count a search trial that ended for good."""
        if trial.stage != FULLYTRAIN and trial.status.final:
            self.spent += spent_by(trial)

    def committed(self, running: Iterable[Trial]) -> int:
        """Spent, plus the whole budgets of the running search trials."""
        return self.spent + sum((t.resource or 0) - inherited(t) for t in running
                                if t.stage != FULLYTRAIN)

    def fits(self, running: Iterable[Trial]) -> bool:
        """Whether one more trial of `per_trial` fits next to the running ones."""
        if self.limit is None:
            return True
        return self.committed(running) + self.per_trial <= self.limit
