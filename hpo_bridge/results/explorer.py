"""The data behind the report's 2-D and 3-D scatter plots, which the reader steers.

Azure ML studio's 2-D and 3-D scatter charts let a reader put any hyperparameter or
metric on any axis (SEEDS.md 000). The page's script (assets/report.js) draws them from
this JSON: one dimension per parameter, per objective, per other metric (its last
report) and the trial's duration, and per trial its values and colour (the primary
objective's ramp, as in the parallel coordinates). Numbers are rounded to 6 significant
digits to keep the page small.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.trial import Trial
from hpo_bridge.results.axes import LOG_RATIO, is_number, metric_axis
from hpo_bridge.results.charts import objective_value, param_axis, param_names, ramp_color
from hpo_bridge.results.results import shown_status
from hpo_bridge.results.timing import duration

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec


def _number(value: Any) -> Any:
    if is_number(value) and isinstance(value, float):
        return float(f"{value:.6g}")
    return value


def _dimension(key: str, name: str, values: list[Any], log: bool, goal: str | None = None
               ) -> dict[str, Any]:
    numbers = [float(v) for v in values if is_number(v)]
    categorical = any(v is not None and not is_number(v) for v in values)
    if not categorical and numbers and not log:
        low, high = min(numbers), max(numbers)
        log = low > 0 and high / low >= LOG_RATIO
    dim: dict[str, Any] = {"key": key, "name": name}
    if categorical:
        dim["cats"] = sorted({json.dumps(v) for v in values if v is not None})
    elif log:
        dim["log"] = True
    if goal:
        dim["goal"] = goal
    return dim


def explorer_data(spec: TuningSpec, trials: list[Trial], marked: set[int],
                  live: bool) -> dict[str, Any]:
    columns: list[tuple[dict[str, Any], list[Any]]] = []
    for name in param_names(spec, trials):
        values = [t.params.get(name) for t in trials]
        axis = param_axis(spec.search_space.get(name), values)
        columns.append((_dimension(f"p{len(columns)}", name, values, axis.kind == "log"),
                        values))
    objectives = {o.metric for o in spec.all_objectives}
    for o in spec.all_objectives:
        values = [objective_value(t, o) for t in trials]
        columns.append((_dimension(f"o{len(columns)}", o.metric, values, False, o.goal),
                        values))
    others = sorted({m for t in trials for m in t.metrics} - objectives)
    for metric in others:
        values = [t.metrics[metric][-1] if t.metrics.get(metric) else None for t in trials]
        columns.append((_dimension(f"m{len(columns)}", f"{metric} (last)", values, False),
                        values))
    columns.append((_dimension("d", "duration (s)", [duration(t) for t in trials], False),
                    [duration(t) for t in trials]))
    primary = spec.primary
    scores = [objective_value(t, primary) for t in trials]
    ramp = metric_axis(scores)
    rows = []
    for i, trial in enumerate(trials):
        f = ramp.pos(scores[i]) if ramp is not None else None
        colour = None if f is None else ramp_color(f if primary.goal == "maximize" else 1 - f)
        shown: dict[str, Any] = {}
        for dim, column in columns:
            v = column[i]
            if v is None:
                continue
            shown[dim["key"]] = json.dumps(v) if "cats" in dim else _number(v)
        row: dict[str, Any] = {"id": trial.id, "s": shown_status(trial, live), "v": shown}
        if colour:
            row["c"] = colour
        if trial.id in marked:
            row["b"] = 1
        rows.append(row)
    return {"dims": [dim for dim, _ in columns], "trials": rows}


def data_script(data: dict[str, Any]) -> str:
    """The data as an inline JSON script block (every `<` escaped: no value ends it)."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    text = text.replace("<", "\\u003c")
    return f'<script type="application/json" id="explorer-data">{text}</script>'
