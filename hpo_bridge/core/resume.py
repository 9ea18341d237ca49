"""Resuming a study: the tuner's replay of its stored trials (a mixin of `Tuner`).

Trials that were pending or running when the orchestrator stopped (a kill) are recorded
INTERRUPTED first. Every interrupted trial of the search then runs again before any new
configuration is asked for (as Ray Tune's `resume_unfinished`): same id, same
configuration, same budget, the next attempt. It was counted against `max_trials` when it
was created, and is not counted again; the searcher was never told of the interrupted
attempt, so it simply hears of the trial when the new attempt ends. New ids continue
after the largest previous id, so no id repeats. The searcher's saved state is brought
up to date from the journal's backlog (`_catch_up`); the spec's stopping rule (not a
searcher's own, which is part of the searcher's state) is rebuilt by replaying the
stored reports of the trials that ended; the end rules count those trials in the order
they ended. Fullytrain trials are not replayed: that stage runs again after the search
(see core/fullytrain.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from hpo_bridge.core.events import StudyEvent, TrialStatusChanged
from hpo_bridge.core.trial import FULLYTRAIN, INTERRUPTED, Trial, TrialStatus

if TYPE_CHECKING:
    from hpo_bridge.core.budget import ResourceBudget
    from hpo_bridge.core.limits import StudyProgress
    from hpo_bridge.core.searchers.base import Searcher
    from hpo_bridge.core.stopping.base import StoppingRule

# One entry of the store's searcher backlog: (kind, trial id, interval, value), kind being
# "ask", "report" or "tell".
BacklogEntry = tuple[str, int, int | None, float | None]


def is_legacy_interrupted(trial: Trial) -> bool:
    """A trial an earlier version recorded cancelled "interrupted...": that version
    re-proposed its configuration instead, so it stays as it is (and is not counted)."""
    return trial.status is TrialStatus.CANCELLED and (trial.reason or "").startswith(
        "interrupted")


class ResumeReplay:
    """The resume half of `Tuner` (hpo_bridge/core/tuner.py), which provides this state."""

    if TYPE_CHECKING:
        searcher: Searcher
        resource_budget: ResourceBudget
        rule: StoppingRule | None
        sink: Callable[[StudyEvent], None]
        progress: StudyProgress
        trials: dict[int, Trial]
        searcher_changed: bool
        _searcher_rule: bool
        _next_id: int
        _budget_used: int
        _reruns: list[Trial]

        def now(self) -> float: ...

        def _result(self, trial: Trial) -> float | list[float] | None: ...

    def _restore(self, previous: Sequence[Trial], backlog: Sequence[BacklogEntry]) -> None:
        """Continue a study from its stored trials (see the module docstring)."""
        if not previous:
            return
        now = self.now()
        replay = self.rule is not None and not self._searcher_rule
        for trial in previous:
            self.trials[trial.id] = trial
        self._catch_up(backlog)
        for trial in sorted(previous, key=lambda t: t.id):
            self._next_id = max(self._next_id, trial.id + 1)
            if not trial.status.terminal:  # its orchestrator was killed
                trial.status, trial.reason, trial.ended_at = (
                    TrialStatus.INTERRUPTED, INTERRUPTED, now)
                self.sink(TrialStatusChanged(trial.id, now, trial.status, trial.reason))
            if trial.stage == FULLYTRAIN or is_legacy_interrupted(trial):
                continue  # the fullytrain stage runs again after the search
            self._budget_used += 1
            if trial.status is TrialStatus.INTERRUPTED:
                self._reruns.append(trial)
            elif replay and self.rule is not None:
                for interval, value in enumerate(trial.values, start=1):
                    self.rule.report(trial.id, interval, value)
                self.rule.finished(trial.id)
        ended = sorted(
            (t for t in self.trials.values()
             if t.status.final and not is_legacy_interrupted(t) and t.stage != FULLYTRAIN),
            key=lambda t: (t.ended_at if t.ended_at is not None else math.inf, t.id),
        )
        for trial in ended:
            self.resource_budget.ended(trial)
            result = self._result(trial) if trial.status.counts_as_result else None
            self.progress.trial_ended(trial.id, trial.status, result, trial.reason)

    def _catch_up(self, backlog: Sequence[BacklogEntry]) -> None:
        """Replay to the searcher what happened after its saved state (the store saves it
        now and then, not every step): asks (the suggestion is dropped: the stored
        params stand), objective reports and trial ends, in journal order."""
        for kind, trial_id, interval, value in backlog:
            trial = self.trials.get(trial_id)
            if trial is None or trial.stage == FULLYTRAIN:
                continue
            self.searcher_changed = True
            if kind == "ask":
                self.searcher.ask(trial_id)
            elif kind == "report" and interval is not None and value is not None:
                self.searcher.report(trial_id, interval, value)
            elif kind == "tell" and trial.status.final:
                result = self._result(trial) if trial.status.counts_as_result else None
                self.searcher.tell(trial_id, trial.status, result)
