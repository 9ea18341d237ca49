"""Best so far: how the study's best objective value improved, over trials and over time
(optuna-dashboard's history plot; Azure ML's "primary metric" chart).

One chart per objective and x axis: each trial with a result is a dot at its objective
value, and a step line follows the best value found up to that trial (by id) or up to
that time (the trial's end, in study seconds). Trials without a result are grey dots
on the axis's floor in the per-trial chart, so a run of failures shows too. The dots
are one path each kind (a zero-length segment per dot, drawn with a round cap): a
study of thousands of trials stays small.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_bridge.core.trial import Trial
from hpo_bridge.results.axes import NumericAxis, metric_axis
from hpo_bridge.results.charts import Frame, empty, objective_title, objective_value
from hpo_bridge.results.svg import coord, points, svg

if TYPE_CHECKING:
    from hpo_bridge.spec import Objective

UNITS = ((7200.0, 3600.0, "h"), (120.0, 60.0, "min"), (0.0, 1.0, "s"))


def time_unit(span: float) -> tuple[float, str]:
    """Seconds per unit and its name, for an axis `span` seconds long."""
    return next((size, name) for above, size, name in UNITS if span > above or not above)


def _steps(xy: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """A step line through the running best: flat until the next improvement."""
    out: list[tuple[float, float]] = []
    for x, y in xy:
        if out:
            out.append((x, out[-1][1]))
        out.append((x, y))
    return out


def _dots(xy: list[tuple[float, float]]) -> str:
    return "".join(f"M{coord(x)} {coord(y)}h0" for x, y in xy)


def best_so_far(trials: list[Trial], objective: Objective, by: str) -> str:
    """`by`: "trial" (x: trial id) or "time" (x: the trial's end, study time)."""
    scored = [(t, objective_value(t, objective)) for t in sorted(trials, key=lambda t: t.id)]
    results = [(t, v) for t, v in scored if v is not None and t.status.counts_as_result]
    y = metric_axis(v for _, v in results)
    if y is None:
        return empty(f"No trial has a result for {objective.metric} yet.")
    if by == "time":
        timed = sorted(((t.ended_at, v, t) for t, v in results if t.ended_at is not None),
                       key=lambda e: (e[0], e[2].id))
        if not timed:
            return empty("No trial has an end time.")
        span = max(e[0] for e in timed)
        size, unit = time_unit(span)
        x = NumericAxis(0.0, max(span / size, 1e-9))
        xs = [(e[0] / size, e[1], e[2]) for e in timed]
        x_title = f"study time ({unit})"
    else:
        x = NumericAxis(min(t.id for t, _ in scored) - 0.5, max(t.id for t, _ in scored) + 0.5,
                        integer=True)
        xs = [(float(t.id), v, t) for t, v in results]
        x_title = "trial"
    frame = Frame(72, 12, 500, 230, x, y)
    body = frame.draw(x_title, objective_title(objective, y))
    if by == "trial":  # trials with no result: where they were, on the floor
        floor = [(frame.px(x.pos(float(t.id)) or 0.0), frame.top + frame.height)
                 for t, v in scored if v is None or not t.status.counts_as_result]
        if floor:
            body.append(f'<path class="obs none" d="{_dots(floor)}"/>')
    running: list[tuple[float, float]] = []
    dots: list[tuple[float, float]] = []
    best: float | None = None
    for xv, v, _ in xs:
        p = frame.at(xv, v)
        if p is None:
            continue
        dots.append(p)
        if best is None or objective.better(v, best):
            best = v
        q = frame.at(xv, best)
        if q is not None:
            running.append(q)
    if dots:
        body.append(f'<path class="obs" d="{_dots(dots)}"/>')
    if running:  # the line runs on to the chart's right edge: nothing better came
        running.append((frame.left + frame.width, running[-1][1]))
        body.append(f'<polyline class="bsf" points="{points(_steps(running))}"/>')
    label = f"best {objective.metric} so far, by {by}"
    return svg(frame.left + frame.width + 16, frame.top + frame.height + 44,
               f"chart history by-{by}", label, body, metric=objective.metric, by=by)
