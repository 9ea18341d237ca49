"""What one run of a study may use: a time budget and a number of new trials (CI runs).

A study that continues across CI runs (`run --resume-if-exists`) gets a slice of work per
run. The tuner asks `SessionLimits.hold` before launching each trial; once it answers a
reason the session launches nothing more, lets the running trials finish and then
*pauses*: it stops without ending the study, which the next run continues. The study's
own end rules (max_trials, target_value, failure rules...) still end it as usual.

- `new_trials`: at most this many new trials in this run (re-runs of interrupted trials
  are not new: they were counted when created).
- `time_budget`: seconds of the study's clock (wall time for real trials, simulated time
  with the simulator) from the start of this run. A trial is launched only when the
  longest trial seen so far (or `trial_timeout`, when set: no trial outlives it) still
  fits before the budget minus the stop reserve. At the budget minus the stop reserve the
  trials still running are interrupted (they run again, same id and configuration, in the
  next run), so the run has ended and recorded everything by the budget.
- The stop reserve is the time to stop a trial (`trial.kill_grace`: SIGTERM, then
  SIGKILL) plus `RECORD_SECONDS` to record it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hpo_bridge.core.durations import format_duration
from hpo_bridge.core.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

RECORD_SECONDS = 5.0  # journal the last events and close the study


@dataclass(frozen=True)
class SessionLimits:
    """Limits of one run of a study, beyond the spec's own (None: no limit)."""

    time_budget: float | None = None
    new_trials: int | None = None

    @property
    def unlimited(self) -> bool:
        return self.time_budget is None and self.new_trials is None

    def stop_reserve(self, spec: TuningSpec) -> float:
        """Seconds before the budget at which running trials are interrupted."""
        return float(spec.trial.kill_grace) + RECORD_SECONDS

    def deadline(self, spec: TuningSpec, start: float) -> float | None:
        """Study time at which running trials are interrupted (None: no time budget)."""
        if self.time_budget is None:
            return None
        return start + self.time_budget - self.stop_reserve(spec)

    def hold(self, spec: TuningSpec, *, now: float, start: float, created: int,
             trials: Iterable[Trial], new: bool = True) -> str | None:
        """Why no more trial may be launched in this run, or None to launch one.

        `created`: trials this run created so far; `new`: the launch creates a trial (a
        re-run of an interrupted one does not)."""
        if new and self.new_trials is not None and created >= self.new_trials:
            return f"--max-new-trials {self.new_trials} reached"
        deadline = self.deadline(spec, start)
        if deadline is None:
            return None
        needed = longest_trial(spec, trials)
        if now >= deadline:
            return self.spent()
        if needed is not None and now + needed > deadline:
            return (f"--time-budget {self.shown()}: no time left for another trial"
                    f" (up to {format_duration(round(needed))} each)")
        return None

    def shown(self) -> str:
        return format_duration(round(self.time_budget or 0))

    def spent(self) -> str:
        """Why the run stops at its deadline."""
        return f"--time-budget {self.shown()} reached"


def longest_trial(spec: TuningSpec, trials: Iterable[Trial]) -> float | None:
    """How long a trial may take: `trial_timeout` when set, else the longest trial that
    ended so far (None before any did)."""
    if spec.limits.trial_timeout is not None:
        return float(spec.limits.trial_timeout)
    durations = [t.ended_at - t.started_at for t in trials
                 if t.status in (TrialStatus.COMPLETED, TrialStatus.STOPPED)
                 and t.started_at is not None and t.ended_at is not None]
    return max(durations) if durations else None
