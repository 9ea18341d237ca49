"""The trials' timeline: a Gantt chart, one row per trial, a bar from its start to its
end in study time, coloured by status; a trial a stopping rule ended has a black cut
at the moment it was stopped, and one still running reaches the study's present.

Parallel trials show as overlapping bars, idle slots as gaps, a stopping rule's savings
as short orange bars ending in a cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.results.axes import NumericAxis
from hpo_bridge.results.charts import LINE_HEIGHT, empty, thin, x_ticks
from hpo_bridge.results.history import time_unit
from hpo_bridge.results.results import shown_status
from hpo_bridge.results.svg import coord, line, svg, text

if TYPE_CHECKING:
    from hpo_bridge.core.events import StoppingDecision

LEFT, TOP, WIDTH = 56.0, 8.0, 620.0
MAX_HEIGHT = 600.0  # rows get thinner beyond this, down to MIN_PITCH
MIN_PITCH, MAX_PITCH = 2.0, 14.0


def timeline(trials: list[Trial], decisions: Sequence[StoppingDecision], now: float,
             live: bool, best: set[int]) -> str:
    rows = sorted((t for t in trials if t.started_at is not None), key=lambda t: t.id)
    if not rows:
        return empty("No trial has started yet.")
    start = min(t.started_at for t in rows if t.started_at is not None)
    end = max([now, *(t.ended_at for t in rows if t.ended_at is not None)])
    size, unit = time_unit(end - start)
    axis = NumericAxis(0.0, max((end - start) / size, 1e-9))
    pitch = max(MIN_PITCH, min(MAX_PITCH, MAX_HEIGHT / len(rows)))
    height = pitch * len(rows)
    bar = max(1.0, pitch * 0.7)
    cut_at = {d.trial_id: d.time for d in decisions}

    def px(t: float) -> float:
        f = axis.pos((t - start) / size)
        return LEFT + (f or 0.0) * WIDTH

    body: list[str] = []
    labels: list[str] = []
    bottom = TOP + height
    for f, label in x_ticks(axis, WIDTH):
        x = LEFT + f * WIDTH
        body.append(line(x, TOP, x, bottom, "grid"))
        labels.append(text(x, bottom + 15, label, "tick", "middle"))
    body.append('<g class="ticks x">' + "".join(labels) + "</g>")
    ids = [(1.0 - (i + 0.5) / len(rows), str(t.id)) for i, t in enumerate(rows)]
    labels = [text(LEFT - 6, TOP + (1.0 - f) * height + 3.5, label, "tick", "end")
              for f, label in thin(ids, height, lambda _: LINE_HEIGHT)]
    body.append('<g class="ticks y">' + "".join(labels) + "</g>")
    cuts: list[str] = []
    for i, trial in enumerate(rows):
        assert trial.started_at is not None
        x0 = px(trial.started_at)
        x1 = px(trial.ended_at if trial.ended_at is not None else end)
        y = TOP + i * pitch + (pitch - bar) / 2
        status = shown_status(trial, live)
        cls = f"g st-{status}" + (" best" if trial.id in best else "")
        body.append(f'<rect class="{cls}" data-t="{trial.id}" x="{coord(x0)}" y="{coord(y)}"'
                    f' width="{coord(max(1.0, x1 - x0))}" height="{coord(bar)}"/>')
        if trial.status is TrialStatus.STOPPED:
            xc = px(cut_at.get(trial.id, trial.ended_at or end))
            cuts.append(f"M{coord(xc)} {coord(y - 1)}v{coord(bar + 2)}")
    if cuts:  # one path for every cut: thousands of trials stay small
        body.append(f'<path class="cut" d="{"".join(cuts)}"/>')
    body.append(line(LEFT, bottom, LEFT + WIDTH, bottom, "axis"))
    body.append(text(LEFT + WIDTH / 2, bottom + 31, f"study time ({unit})", "title", "middle"))
    body.append(text(13, TOP + height / 2, "trial", "title", "middle", rotate=-90))
    return svg(LEFT + WIDTH + 16, bottom + 40, "chart timeline",
               "timeline of trials: one bar per trial from start to end, by status", body)
