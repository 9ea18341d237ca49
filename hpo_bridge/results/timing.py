"""How long things took: each trial's start, end and duration, the study's wall time and
the compute it used.

- A trial's `duration` is its current attempt's, from start to end, in study seconds
  (simulated seconds for a simulated study); None while it runs or before it started.
- `started` / `ended` are wall-clock times (store/timing.py), None for a simulated study.
- The study's `wall_time` is the study seconds it has run (across resumes, without the
  time it lay dead), its `compute` the sum of every attempt's running time (an
  interrupted attempt cost compute too, though its trial ran again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.store.timing import StudyClock, iso

if TYPE_CHECKING:
    from hpo_bridge.core.events import TrialStatusChanged
    from hpo_bridge.core.trial import Trial


def duration(trial: Trial) -> float | None:
    if trial.started_at is None or trial.ended_at is None:
        return None
    return max(0.0, trial.ended_at - trial.started_at)


def trial_times(trial: Trial, clock: StudyClock | None) -> dict[str, Any]:
    """`started`, `ended` (ISO 8601, UTC, or None) and `duration` (seconds, or None)."""
    clock = clock or StudyClock()
    spent = duration(trial)
    return {
        "started": iso(clock.wall(trial.started_at)),
        "ended": iso(clock.wall(trial.ended_at, ending=True)),
        "duration": None if spent is None else round(spent, 3),
    }


def compute_seconds(trials: Iterable[Trial],
                    transitions: Iterable[TrialStatusChanged] = ()) -> float:
    """Every attempt's running time: from the journal's running -> ended transitions, and
    for a trial with none (a cloud's, brought in whole) its own start and end."""
    running: dict[int, float] = {}
    spent: dict[int, float] = {}
    for change in transitions:
        if change.time is None:
            continue
        if change.status is TrialStatus.RUNNING:
            running[change.trial_id] = change.time
        elif change.status.terminal and change.trial_id in running:
            start = running.pop(change.trial_id)
            spent[change.trial_id] = spent.get(change.trial_id, 0.0) + max(
                0.0, change.time - start)
    total = sum(spent.values())
    for trial in trials:
        if trial.id not in spent and (own := duration(trial)) is not None:
            total += own
    return total


@dataclass(frozen=True)
class StudyTiming:
    clock: StudyClock
    wall_time: float  # study seconds run
    compute: float  # seconds of trials running, summed

    def as_dict(self) -> dict[str, Any]:
        started = self.clock.started
        return {
            "clock": "simulated" if self.clock.simulated else "wall",
            "started": iso(started),
            "wall_time": round(self.wall_time, 3),
            "compute": round(self.compute, 3),
        }
