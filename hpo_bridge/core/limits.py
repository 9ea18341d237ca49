"""When a study ends because of its results: failures, a target value, no improvement.

The trial budget, `max_duration` and exhaustion of the searcher are checked by
the tuner itself; this module keeps the counts that depend on how trials ended,
updated once per ended trial, in the order trials end.

Failure policy (documented rule):
- `limits.max_failed` set: the study ends when that many trials have failed.
- unset, AI Platform's rule: if the first trial to end fails, the study ends at
  once; after a first success it ends when failures outnumber successes and
  exceed 3 (so a study survives a few early crashes but not a broken script).
A trial "fails" when it ends FAILED or TIMEOUT; it "succeeds" when it ends
COMPLETED or STOPPED with a valid objective. Cancelled trials count as neither.

`target_value` and `max_trials_without_improvement` look at ended trials'
objective values (per `measurement`), not at intermediate reports. In a
multi-objective study, `target_value` applies to the first objective and a
trial improves when no earlier result dominates it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_bridge.core.pareto import dominates
from hpo_bridge.core.trial import TrialStatus

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

UNSET_RULE_MIN_FAILURES = 3  # AI Platform: end when failures > successes and failures > 3
FAILURE_STATUSES = (TrialStatus.FAILED, TrialStatus.TIMEOUT)


class StudyProgress:
    """Counts over ended trials that may end the study; `verdict()` names why."""

    def __init__(self, spec: TuningSpec) -> None:
        self.limits = spec.limits
        self.objectives = spec.all_objectives
        self.goals = [o.goal for o in self.objectives]
        self.successes = 0
        self.failures = 0
        self.since_improvement = 0
        self.best: float | None = None
        self.best_trial: int | None = None
        self._front: list[list[float]] = []  # multi-objective: results nobody dominates
        self._verdict: tuple[str, str] | None = None  # (study status, reason)
        self._first_failure: str | None = None

    def trial_ended(
        self,
        trial_id: int,
        status: TrialStatus,
        value: float | list[float] | None,
        reason: str | None = None,
    ) -> None:
        if status in FAILURE_STATUSES:
            self.failures += 1
            if self._first_failure is None:
                self._first_failure = f"trial {trial_id} {status.value}: {reason or 'no reason'}"
            self._check_failures()
            return
        if not status.counts_as_result or value is None:
            return
        self.successes += 1
        if self._improves(trial_id, value):
            self.since_improvement = 0
        else:
            self.since_improvement += 1
        self._check_target(trial_id, value)
        limit = self.limits.max_trials_without_improvement
        if limit is not None and self.since_improvement >= limit and self._verdict is None:
            best = f"best {self.best:g} in trial {self.best_trial}" if self.best is not None else ""
            self._verdict = (
                "finished",
                f"max_trials_without_improvement ({limit}) reached"
                + (f": {best}" if best else ""),
            )

    def verdict(self) -> tuple[str, str] | None:
        """("finished"|"failed", reason) once a rule says the study ends, else None."""
        return self._verdict

    # -- the rules ---------------------------------------------------------------------
    def _check_failures(self) -> None:
        if self._verdict is not None:
            return
        max_failed = self.limits.max_failed
        if max_failed is not None:
            if self.failures >= max_failed:
                self._verdict = ("failed", f"max_failed ({max_failed}) reached: "
                                           f"{self.failures} trials failed")
            return
        if self.successes == 0:
            self._verdict = (
                "failed",
                f"the first trial failed ({self._first_failure}); with max_failed unset the"
                " study ends at its first trial's failure (AI Platform's rule)",
            )
        elif self.failures > self.successes and self.failures > UNSET_RULE_MIN_FAILURES:
            self._verdict = (
                "failed",
                f"too many failures: {self.failures} failed, {self.successes} succeeded"
                f" (with max_failed unset the study ends when failures outnumber successes"
                f" and exceed {UNSET_RULE_MIN_FAILURES})",
            )

    def _check_target(self, trial_id: int, value: float | list[float]) -> None:
        target = self.limits.target_value
        if target is None or self._verdict is not None:
            return
        primary = value[0] if isinstance(value, list) else value
        goal = self.goals[0]
        reached = primary >= target if goal == "maximize" else primary <= target
        if reached:
            sign = ">=" if goal == "maximize" else "<="
            self._verdict = (
                "finished",
                f"target_value reached: trial {trial_id} {self.objectives[0].metric}"
                f" {primary:g} {sign} {target:g}",
            )

    def _improves(self, trial_id: int, value: float | list[float]) -> bool:
        if isinstance(value, list):
            if any(dominates(p, value, self.goals) or p == value for p in self._front):
                return False
            self._front = [p for p in self._front if not dominates(value, p, self.goals)]
            self._front.append(list(value))
            return True
        if self.best is None or self.objectives[0].better(value, self.best):
            self.best, self.best_trial = value, trial_id
            return True
        return False
