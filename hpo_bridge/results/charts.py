"""The report's charts as inline SVG (HyperDrive's run views, SEEDS.md 000).

- `metric_chart`: any metric over intervals, one polyline per trial; stopped trials
  dashed with a dot where they stopped, the best trial(s) drawn last and thick.
- `parallel_coordinates`: one axis per hyperparameter (log for log domains,
  categorical for categorical/bool) plus the objective axis(es); lines coloured
  by the first objective, from worse (light) to better (dark).
- `scatter_grid`: an objective against each hyperparameter, small multiples.
- `pareto_chart`: the first two objectives, the Pareto front marked.

Every trial's element carries `data-t="<id>"` so the page's script can
highlight one trial across charts and table. A chart with nothing to draw
is a one-line note instead of an empty frame. Each axis's tick labels sit in a
`<g class="ticks">` and are thinned (every k-th) and cut until no two overlap.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.results.axes import Axis, NumericAxis, metric_axis, param_axis
from hpo_bridge.results.svg import CHAR, coord, esc, line, points, short, svg, text, text_width

if TYPE_CHECKING:
    from hpo_bridge.spec import Objective, TuningSpec

NA_GAP = 22  # missing values (inactive conditional parameter, no objective) sit below an axis
# Worse -> better: light to dark blue (the best trial is drawn apart, in red).
RAMP = ((0xC6, 0xDB, 0xEF), (0x6B, 0xAE, 0xD6), (0x21, 0x71, 0xB5), (0x08, 0x30, 0x6B))


def empty(message: str) -> str:
    return f'<p class="empty">{esc(message)}</p>'


def objective_value(trial: Trial, objective: Objective) -> float | None:
    return trial.metric_value(objective.metric, objective.goal, objective.measurement)


def param_names(spec: TuningSpec, trials: Iterable[Trial]) -> list[str]:
    """The search space's parameters, then any other parameter a trial carries."""
    names = list(spec.search_space)
    for trial in trials:
        names += [p for p in trial.params if p not in names]
    return names


def axis_title(name: str, axis: Axis) -> str:
    return f"{name} (log)" if axis.kind == "log" else name


def objective_title(objective: Objective, axis: Axis) -> str:
    return goal_title(objective.metric, objective.goal, axis)


def goal_title(metric: str, goal: str | None, axis: Axis) -> str:
    arrow = {"maximize": " \u2191", "minimize": " \u2193"}.get(goal or "", "")  # better
    return f"{axis_title(metric, axis)}{arrow}"


LINE_HEIGHT = 11.0  # px a tick label takes across a vertical axis


def thin(ticks: list[tuple[float, str]], length: float,
         extent: Callable[[str], float]) -> list[tuple[float, str]]:
    """Every k-th tick, the smallest k for which no two labels overlap along an axis
    `length` px long (`extent`: a label's size along the axis)."""
    for k in range(1, len(ticks) + 1):
        kept = ticks[::k]
        if all(abs(b[0] - a[0]) * length >= (extent(a[1]) + extent(b[1])) / 2 + 3
               for a, b in zip(kept, kept[1:], strict=False)):
            return kept
    return ticks[:1]


def distinct(labels: list[str], room: int) -> list[str]:
    """Labels cut to `room` characters keeping what tells them apart: a prefix they all
    share (tokenizer-v1, tokenizer-v2) becomes an ellipsis (…v1, …v2)."""
    if all(len(label) <= room for label in labels):
        return labels
    prefix = len(os.path.commonprefix(labels)) if len(labels) > 1 else 0
    if prefix < 3:
        return [short(label, room) for label in labels]
    return [short("\u2026" + label[prefix:], room) for label in labels]


def x_ticks(axis: Axis, length: float, limit: int = 12) -> list[tuple[float, str]]:
    """Labels along a horizontal axis: categories cut to the room each has (numbers never
    are), then thinned."""
    ticks = axis.ticks()
    if ticks and axis.kind == "categorical":
        room = max(4, int(length / len(ticks) / CHAR) - 1)
        labels = distinct([label for _, label in ticks], min(limit, room))
        ticks = [(f, label) for (f, _), label in zip(ticks, labels, strict=True)]
    return thin(ticks, length, text_width)


def y_ticks(axis: Axis, length: float) -> list[tuple[float, str]]:
    return thin(axis.ticks(), length, lambda _: LINE_HEIGHT)


def ramp_color(goodness: float) -> str:
    """A colour of RAMP for goodness in 0 (worse) .. 1 (better)."""
    x = min(1.0, max(0.0, goodness)) * (len(RAMP) - 1)
    i = min(int(x), len(RAMP) - 2)
    f = x - i
    rgb = (round(a + (b - a) * f) for a, b in zip(RAMP[i], RAMP[i + 1], strict=True))
    return "#" + "".join(f"{c:02x}" for c in rgb)


def _trial_class(trial: Trial, base: str, marked: set[int], mark: str) -> str:
    cls = f"{base} st-{trial.status.value}"
    return f"{cls} {mark}" if trial.id in marked else cls


@dataclass(frozen=True)
class Frame:
    """The plotting rectangle of a chart and its two axes."""

    left: float
    top: float
    width: float
    height: float
    x: Axis
    y: Axis

    def px(self, fraction: float) -> float:
        return self.left + fraction * self.width

    def py(self, fraction: float) -> float:
        return self.top + (1.0 - fraction) * self.height

    def at(self, xv: Any, yv: Any) -> tuple[float, float] | None:
        fx, fy = self.x.pos(xv), self.y.pos(yv)
        if fx is None or fy is None:
            return None
        return self.px(fx), self.py(fy)

    def draw(self, x_title: str, y_title: str) -> list[str]:
        bottom, right = self.top + self.height, self.left + self.width
        out, labels = [], []
        room = int((self.left - 20) / CHAR)  # y labels stay right of the axis title
        for f, label in y_ticks(self.y, self.height):
            y = self.py(f)
            out.append(line(self.left, y, right, y, "grid"))
            if self.y.kind == "categorical":
                label = short(label, min(12, room))
            labels.append(text(self.left - 5, y + 3.5, label, "tick", "end"))
        out.append('<g class="ticks y">' + "".join(labels) + "</g>")
        labels = []
        for f, label in x_ticks(self.x, self.width):
            x = self.px(f)
            out.append(line(x, bottom, x, bottom + 4, "axis"))
            labels.append(text(x, bottom + 15, label, "tick", "middle"))
        out.append('<g class="ticks x">' + "".join(labels) + "</g>")
        out.append(line(self.left, bottom, right, bottom, "axis"))
        out.append(line(self.left, self.top, self.left, bottom, "axis"))
        out.append(text(self.left + self.width / 2, bottom + 31, x_title, "title", "middle"))
        y_mid = self.top + self.height / 2
        out.append(text(13, y_mid, y_title, "title", "middle", rotate=-90))
        return out


# -- metric over intervals ----------------------------------------------------------------
def metric_chart(trials: list[Trial], metric: str, goal: str | None, best: set[int],
                 hidden: bool = False) -> str:
    """`metric` over intervals (`goal` when it is an objective: the title's arrow)."""
    series = [(t, t.metrics.get(metric) or []) for t in trials]
    series = [(t, s) for t, s in series if s]
    y = metric_axis(v for _, s in series for v in s)
    if y is None:
        return empty(f"No trial has reported {metric} yet.")
    longest = max(len(s) for _, s in series)
    frame = Frame(72, 12, 500, 260, NumericAxis(1.0, float(max(2, longest)), integer=True), y)
    body = frame.draw("interval", goal_title(metric, goal, y))
    # The best trial(s) last, so they are drawn on top.
    for trial, values in sorted(series, key=lambda ts: (ts[0].id in best, ts[0].id)):
        xy = [p for i, v in enumerate(values) if (p := frame.at(i + 1, v)) is not None]
        if not xy:
            continue
        cls = _trial_class(trial, "t", best, "best")
        body.append(f'<polyline class="{cls}" data-t="{trial.id}" points="{points(xy)}"/>')
        if trial.status == TrialStatus.STOPPED:
            x, yy = xy[-1]
            body.append(f'<circle class="stop" data-t="{trial.id}" cx="{coord(x)}"'
                        f' cy="{coord(yy)}" r="2.5"/>')
    chart = svg(frame.left + frame.width + 16, frame.top + frame.height + 44,
                "chart metric-chart", f"{metric} over intervals, one line per trial",
                body, metric=metric)
    return chart.replace("<svg ", "<svg hidden ", 1) if hidden else chart


# -- parallel coordinates -----------------------------------------------------------------
def parallel_coordinates(spec: TuningSpec, trials: list[Trial], best: set[int]) -> str:
    if not trials:
        return empty("No trial yet.")
    columns: list[tuple[str, Axis, list[Any]]] = []
    for name in param_names(spec, trials):
        values = [t.params.get(name) for t in trials]
        axis = param_axis(spec.search_space.get(name), values)
        columns.append((axis_title(name, axis), axis, values))
    goodness: list[float | None] = [None] * len(trials)
    for k, objective in enumerate(spec.all_objectives):
        values = [objective_value(t, objective) for t in trials]
        axis = metric_axis(values) or NumericAxis(0.0, 1.0)
        columns.append((objective_title(objective, axis), axis, values))
        if k == 0:
            for i, v in enumerate(values):
                f = axis.pos(v)
                if f is not None:
                    goodness[i] = f if objective.goal == "maximize" else 1.0 - f
    # Room for the labels between two axes; a few axes spread over a column's width.
    left, top, height = 100.0, 34.0, 300.0
    spacing = max(110.0, min(200.0, 900.0 / max(1, len(columns) - 1)))
    width = left * 2 + spacing * (len(columns) - 1)
    title_room = int(spacing / (CHAR * 1.1))
    bottom = top + height
    body: list[str] = []
    order = sorted(range(len(trials)), key=lambda i: (
        trials[i].id in best, goodness[i] is not None, goodness[i] or 0.0, trials[i].id))
    for i in order:
        trial = trials[i]
        xy = []
        for c, (_, axis, values) in enumerate(columns):
            f = axis.pos(values[i])
            y = bottom + NA_GAP if f is None else top + (1 - f) * height
            xy.append((left + c * spacing, y))
        cls = _trial_class(trial, "pc", best, "best")
        g = goodness[i]
        color = "" if g is None or trial.id in best else f' style="stroke:{ramp_color(g)}"'
        if g is None:
            cls += " noobj"
        body.append(f'<polyline class="{cls}" data-t="{trial.id}"{color}'
                    f' points="{points(xy)}"/>')
    # Axes over the lines, so their labels stay readable.
    label_room = min(14, int((spacing - 12) / CHAR))
    for c, (title, axis, values) in enumerate(columns):
        x = left + c * spacing
        body.append(line(x, top, x, bottom, "axis"))
        body.append(text(x, top - 14, short(title, min(20, title_room)), "title", "middle"))
        labels = []
        # The last axis (an objective) is labelled on its right, away from the lines.
        last = c == len(columns) - 1
        tx, anchor = (x + 5, "start") if last else (x - 5, "end")
        ticks = y_ticks(axis, height)
        shown = (distinct([label for _, label in ticks], label_room)
                 if axis.kind == "categorical" else [label for _, label in ticks])
        for (f, _), label in zip(ticks, shown, strict=True):
            y = top + (1 - f) * height
            body.append(line(x, y, x + 3, y, "axis") if last else line(x - 3, y, x, y, "axis"))
            labels.append(text(tx, y + 3.5, label, "tick", anchor))
        if any(axis.pos(v) is None for v in values):
            labels.append(text(tx, bottom + NA_GAP + 3.5, "n/a", "tick", anchor))
        body.append('<g class="ticks">' + "".join(labels) + "</g>")
    chart = svg(width, bottom + NA_GAP + 14, "chart parcoords",
                "parallel coordinates: hyperparameters and objective, one line per trial", body)
    # Narrower than this its labels get too small to read: its own box scrolls instead.
    return ('<div class="scroll">' + chart.replace(
        'style="max-width:', f'style="min-width:{coord(width * 0.72)}px;max-width:', 1)
        + "</div>")


# -- objective against each hyperparameter -----------------------------------------------
def scatter_grid(spec: TuningSpec, trials: list[Trial], best: set[int]) -> str:
    panels: list[str] = []
    names = param_names(spec, trials)
    for objective in spec.all_objectives:
        values = [objective_value(t, objective) for t in trials]
        y = metric_axis(values)
        if y is None:
            continue
        for name in names:
            x = param_axis(spec.search_space.get(name), [t.params.get(name) for t in trials])
            frame = Frame(64, 8, 180, 150, x, y)
            body = frame.draw(axis_title(name, x), objective_title(objective, y))
            ranked = sorted(zip(trials, values, strict=True),
                            key=lambda tv: (tv[0].id in best, tv[0].id))
            for trial, value in ranked:
                p = frame.at(trial.params.get(name), value)
                if p is None:
                    continue
                cls = _trial_class(trial, "p", best, "best")
                body.append(f'<circle class="{cls}" data-t="{trial.id}" cx="{coord(p[0])}"'
                            f' cy="{coord(p[1])}"/>')  # r: the stylesheet's
            panels.append(svg(260, 202, "chart scatter",
                              f"{objective.metric} against {name}", body,
                              param=name, metric=objective.metric))
    if not panels:
        return empty("No trial has an objective value yet.")
    return '<div class="panels">' + "\n".join(panels) + "</div>"


# -- two objectives and the Pareto front ---------------------------------------------------
def pareto_chart(spec: TuningSpec, trials: list[Trial], front: set[int]) -> str:
    first, second = spec.all_objectives[0], spec.all_objectives[1]
    pairs = [(t, objective_value(t, first), objective_value(t, second)) for t in trials]
    pairs = [(t, a, b) for t, a, b in pairs if a is not None and b is not None]
    x, y = metric_axis(a for _, a, _ in pairs), metric_axis(b for _, _, b in pairs)
    if x is None or y is None:
        return empty(f"No trial has both {first.metric} and {second.metric} yet.")
    frame = Frame(72, 12, 500, 300, x, y)
    body = frame.draw(objective_title(first, x), objective_title(second, y))
    on_front = sorted((a, b) for t, a, b in pairs if t.id in front)
    xy = [p for a, b in on_front if (p := frame.at(a, b)) is not None]
    if xy:
        body.append(f'<polyline class="front-line" points="{points(xy)}"/>')
    for trial, a, b in sorted(pairs, key=lambda tab: (tab[0].id in front, tab[0].id)):
        p = frame.at(a, b)
        if p is None:
            continue
        cls = _trial_class(trial, "p", front, "front")
        body.append(f'<circle class="{cls}" data-t="{trial.id}" cx="{coord(p[0])}"'
                    f' cy="{coord(p[1])}"/>')
    return svg(frame.left + frame.width + 16, frame.top + frame.height + 44, "chart pareto",
               f"{first.metric} against {second.metric}, the Pareto front marked", body,
               x_metric=first.metric, y_metric=second.metric)
