"""When things happened: a study's own seconds mapped to the wall clock.

The journal times every event in study seconds: seconds of the study's clock since it
first started, continuing across resumes (the time a study lay dead between a crash and
`resume` is not counted). A person asks "when did trial 7 start?", so every session of
the study (a `run`, each `resume`, a cloud job's submission) records the wall-clock time
at which it began together with the study time it began at: an anchor. A study time
maps to the wall clock through the latest anchor before it, which keeps the mapping
right across resumes and immune to wall-clock jumps inside a session (study seconds come
from a monotonic clock).

A simulated study's seconds are simulated: they have no wall-clock time (`simulated`).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import UTC, datetime

WALL, SIMULATED = "wall", "simulated"  # the store's meta "clock"


@dataclass(frozen=True)
class StudyClock:
    """Maps study seconds to wall-clock time (seconds since the epoch) and back."""

    anchors: tuple[tuple[float, float], ...] = ()  # (study seconds, epoch seconds), by time
    simulated: bool = False

    def wall(self, t: float | None, *, ending: bool = False) -> float | None:
        """The wall-clock time of study time `t` (None: unknown, or a simulated study).
        A session starts at the study time the one before it stopped, so that instant has
        two wall-clock times: an `ending` (a trial's end) is the earlier session's, anything
        else the later one's."""
        if t is None or self.simulated or not self.anchors:
            return None
        times = [a[0] for a in self.anchors]
        found = bisect.bisect_left(times, t) if ending else bisect.bisect_right(times, t)
        at, wall = self.anchors[max(0, found - 1)]
        return wall + (t - at)

    def study(self, wall: float | None) -> float | None:
        """The study time of wall-clock time `wall` (a cloud reports its trials' times on
        the wall clock); unchanged when the study has no anchor (made by an old version)."""
        if wall is None or not self.anchors:
            return wall
        i = max(0, bisect.bisect_right([a[1] for a in self.anchors], wall) - 1)
        at, anchor = self.anchors[i]
        return at + (wall - anchor)

    @property
    def started(self) -> float | None:
        """When the study first started (wall clock)."""
        return None if self.simulated or not self.anchors else self.anchors[0][1]


def iso(wall: float | None) -> str | None:
    """A wall-clock time as ISO 8601 in UTC, to the millisecond: 2026-11-03T14:02:11.123Z."""
    if wall is None:
        return None
    text = datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
