"""A study as one self-contained HTML page (`hpo-bridge report`).

What it answers (the questions users bring to optuna-dashboard and Azure ML studio):
the best trial (or the Pareto set), how the best improved over trials and over time,
any metric's per-trial curve, parallel coordinates, the objective against each
hyperparameter, 2-D and 3-D scatter plots of any two or three dimensions, parameter
importance (optuna's evaluators), a timeline of the trials coloured by status with the
stops marked, the Pareto front for several objectives, and a sortable, filterable
table of every trial with its times.

No JavaScript library, no network, no fonts: inline SVG charts drawn here, a stylesheet
and a script of our own (assets/), inlined. The page is a pure function of the study:
the same journal gives the same bytes (no clock is read; the times shown are the
journal's). Every user string is escaped. Charts scale with their column (two columns
on a wide screen, one on a narrow one), so nothing overflows the page.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.events import StoppingDecision
from hpo_bridge.core.ranking import best_trial, pareto_set
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.results.charts import (
    metric_chart,
    objective_value,
    parallel_coordinates,
    param_names,
    pareto_chart,
    ramp_color,
    scatter_grid,
)
from hpo_bridge.results.explorer import data_script, explorer_data
from hpo_bridge.results.history import best_so_far
from hpo_bridge.results.importance import importance_chart, param_importances
from hpo_bridge.results.results import checkpoint_text, restarted_from_scratch, shown_status
from hpo_bridge.results.svg import esc, fmt_value
from hpo_bridge.results.table import seconds_text
from hpo_bridge.results.timeline import timeline
from hpo_bridge.results.timing import duration
from hpo_bridge.store.timing import iso

if TYPE_CHECKING:
    from hpo_bridge.results.timing import StudyTiming
    from hpo_bridge.spec import TuningSpec
    from hpo_bridge.store.timing import StudyClock


@dataclass(frozen=True)
class StudyReport:
    """What the page shows: the study's spec, trials and status, as the journal holds them."""

    spec: TuningSpec
    trials: list[Trial]
    status: str
    reason: str | None = None
    backend: str = "local"
    decisions: Sequence[StoppingDecision] = field(default_factory=tuple)
    elapsed: float | None = None  # study seconds (simulated time for simulated studies)
    live: bool = False  # something still runs the study (else its running trials are dead)
    timing: StudyTiming | None = None  # wall clock, wall time, compute used


def render_report(study: StudyReport) -> str:
    spec = study.spec
    trials = sorted(study.trials, key=lambda t: t.id)
    if spec.multi_objective:
        marked = {t.id for t in pareto_set(spec, trials)}
        top = None
    else:
        top = best_trial(spec, trials)
        marked = {top.id} if top is not None else set()
    clock = study.timing.clock if study.timing is not None else None
    parts = [
        _head(spec.name),
        f"<header><h1>{esc(spec.name)}</h1>",
        f'<p class="desc">{esc(spec.description)}</p>' if spec.description else "",
        _summary(study, trials),
        "</header>",
        _pareto_section(spec, trials, marked) if spec.multi_objective else _best_section(
            spec, top),
        _section("history", "Best so far", '<div class="grid2">' + "".join(
            best_so_far(trials, o, by) for o in spec.all_objectives
            for by in ("trial", "time")) + "</div>"),
        _curves_section(spec, trials, marked),
        _section("parcoords", "Parallel coordinates",
                 _ramp_legend(spec) + parallel_coordinates(spec, trials, marked)),
        _section("scatter", "Objective against each hyperparameter",
                 scatter_grid(spec, trials, marked)),
        _explore_section(spec, trials),
        _section("importance", "Parameter importance", _importance(spec, trials)),
        _section("timeline", "Timeline of trials", _status_legend() + timeline(
            trials, study.decisions, study.elapsed or 0.0, study.live, marked)),
    ]
    if spec.multi_objective:
        parts.append(_section("pareto", "Pareto front", pareto_chart(spec, trials, marked)))
    parts += [_trial_table(spec, trials, marked, study.live, clock)]
    if trials:
        parts.append(data_script(explorer_data(spec, trials, marked, study.live)))
    parts.append(_foot())
    return "\n".join(p for p in parts if p) + "\n"


# -- pieces -------------------------------------------------------------------------------
def _section(ident: str, title: str, body: str) -> str:
    return f'<section id="{ident}"><h2>{esc(title)}</h2>\n{body}\n</section>'


def _settings(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {fmt_value(v)}" for k, v in values.items()
                     if v is not None and v != {} and v is not False)


def _objective_text(spec: TuningSpec) -> str:
    return "; ".join(f"{o.metric}: {o.goal} ({o.measurement} report)"
                     for o in spec.all_objectives)


def _strategy_text(spec: TuningSpec) -> str:
    data = spec.strategy.model_dump(mode="json", exclude_none=True)
    algorithm = data.pop("algorithm")
    data.update(data.pop("options", {}))
    rest = _settings(data)
    return f"{algorithm} ({rest})" if rest else algorithm


def _stopping_text(spec: TuningSpec) -> str:
    es = spec.early_stopping
    resolved = es.resolved()
    if resolved.policy == "none":
        return "none"
    data = resolved.model_dump(mode="json", exclude_none=True)
    data.pop("policy")
    text = f"{resolved.policy} ({_settings(data)})"
    return f"{text}, from policy auto" if es.policy == "auto" else text


def _counts_text(spec: TuningSpec, trials: list[Trial], live: bool) -> str:
    counts = Counter(shown_status(t, live) for t in trials)
    parts = ", ".join(f"{counts[s.value]} {s.value}" for s in TrialStatus if counts[s.value])
    head = f"{len(trials)} of {spec.max_trials}"
    return f"{head}: {parts}" if parts else head


def _duration(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def _summary(study: StudyReport, trials: list[Trial]) -> str:
    spec = study.spec
    status = study.status + (f" \u2014 {study.reason}" if study.reason else "")
    limits = spec.limits.model_dump(mode="json", exclude_none=True)
    limits["max_trials"] = spec.max_trials
    rows = [
        ("status", status, f"status status-{study.status}"),
        ("backend", study.backend, None),
        ("objectives" if spec.multi_objective else "objective", _objective_text(spec), None),
        ("strategy", _strategy_text(spec), None),
        ("early stopping", _stopping_text(spec), None),
        ("limits", _settings(limits), None),
        ("trials", _counts_text(spec, trials, study.live), "counts"),
    ]
    if study.decisions:
        rules = Counter(d.rule for d in study.decisions)
        rows.append(("stopping decisions", f"{len(study.decisions)} ("
                     + ", ".join(f"{r} {n}" for r, n in sorted(rules.items())) + ")", None))
    scratch = restarted_from_scratch(trials)
    if scratch:
        ids = ", ".join(str(t.id) for t in scratch[:10]) + (", ..." if len(scratch) > 10 else "")
        rows.append(("checkpoints", f"{len(scratch)} trial(s) meant to continue a checkpoint"
                     f" started from scratch (trials {ids}): {scratch[0].restore_note}", None))
    rows += _timing_rows(study)
    items = "".join(
        f"<dt>{esc(key)}</dt><dd{_class(cls)}>{esc(value)}</dd>" for key, value, cls in rows)
    return f'<dl class="summary">{items}</dl>'


def _timing_rows(study: StudyReport) -> list[tuple[str, str, str | None]]:
    timing = study.timing
    if timing is None:
        return [("study time", _duration(study.elapsed), None)] if study.elapsed else []
    simulated = " (simulated clock)" if timing.clock.simulated else ""
    rows: list[tuple[str, str, str | None]] = []
    started = iso(timing.clock.started)
    if started is not None:
        rows.append(("started", f"{started[:19].replace('T', ' ')} UTC", None))
    if timing.wall_time:
        rows.append(("study time", _duration(timing.wall_time) + simulated, None))
    if timing.compute:
        ratio = (f", {timing.compute / timing.wall_time:.1f}\u00d7 the study time"
                 if timing.wall_time else "")
        rows.append(("compute used", f"{_duration(timing.compute)} of trials running{ratio}",
                     None))
    return rows


def _class(cls: str | None) -> str:
    return f' class="{esc(cls)}"' if cls else ""


def _kv_table(cls: str, rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="{cls}">{body}</table>'


def _best_section(spec: TuningSpec, top: Trial | None) -> str:
    if top is None:
        return _section("best", "Best trial", '<p class="empty">No trial has a result yet.</p>')
    o = spec.primary
    head = (f'<p>Trial <b class="best-id">{top.id}</b>: {esc(o.metric)} = '
            f'<b>{esc(fmt_value(objective_value(top, o)))}</b> ({esc(top.status.value)}, '
            f"{top.intervals} interval(s){_resource(top)})</p>")
    params = _kv_table("params", [(k, fmt_value(v)) for k, v in top.params.items()])
    metrics = _kv_table("metrics", [
        (name, f"{fmt_value(series[-1])} (last of {len(series)})")
        for name, series in sorted(top.metrics.items()) if series])
    body = (f"{head}<div class=\"pair\"><div><h3>Arguments</h3>{params}</div>"
            f"<div><h3>Metrics</h3>{metrics}</div></div>")
    return _section("best", "Best trial", body)


def _resource(trial: Trial) -> str:
    return f", resource {trial.resource}" if trial.resource is not None else ""


def _pareto_section(spec: TuningSpec, trials: list[Trial], front: set[int]) -> str:
    members = [t for t in trials if t.id in front]
    if not members:
        return _section("best", "Pareto set", '<p class="empty">No trial has a result yet.</p>')
    names = param_names(spec, members)
    head = "".join(f"<th>{esc(o.metric)}</th>" for o in spec.all_objectives) + "".join(
        f"<th>{esc(n)}</th>" for n in names)
    rows = "".join(
        f'<tr data-t="{t.id}"><td class="best-id">{t.id}</td>'
        + "".join(f"<td>{esc(fmt_value(objective_value(t, o)))}</td>"
                  for o in spec.all_objectives)
        + "".join(f"<td>{esc(fmt_value(t.params.get(n)))}</td>" for n in names)
        + "</tr>" for t in members)
    body = (f"<p>{len(members)} trial(s) no other trial dominates.</p>"
            f'<table class="pareto-set"><thead><tr><th>trial</th>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")
    return _section("best", "Pareto set", body)


def _legend() -> str:
    return ('<p class="legend"><span class="k k-completed"></span> completed '
            '<span class="k k-stopped"></span> stopped early (\u25cf where it stopped) '
            '<span class="k k-failed"></span> failed or timed out '
            '<span class="k k-best"></span> best (Pareto set)</p>')


def _ramp_legend(spec: TuningSpec) -> str:
    stops = "".join(f'<span class="k" style="border-color:{ramp_color(i / 4)}"></span>'
                    for i in range(5))
    return (f'<p class="legend">colour: {esc(spec.primary.metric)}, worse {stops} better; '
            '<span class="k k-best"></span> best; grey: no result; n/a: no value</p>')


def _curves_section(spec: TuningSpec, trials: list[Trial], marked: set[int]) -> str:
    """Any metric's per-trial curve: the objectives first; a picker shows one at a time."""
    goals = {o.metric: o.goal for o in spec.all_objectives}
    metrics = list(goals) + sorted({m for t in trials for m in t.metrics} - set(goals))
    charts = [metric_chart(trials, m, goals.get(m), marked, hidden=i > 0)
              for i, m in enumerate(metrics)]
    picker = ""
    if len(metrics) > 1:
        options = "".join(f'<option value="{esc(m)}">{esc(m)}</option>' for m in metrics)
        picker = (f'<div class="controls"><label>metric <select id="metric-pick">{options}'
                  "</select></label></div>")
    return _section("curves", "Metrics over intervals", picker + _legend() + "".join(charts))


def _explore_section(spec: TuningSpec, trials: list[Trial]) -> str:
    if not trials:
        return _section("explore", "2-D and 3-D scatter", '<p class="empty">No trial yet.</p>')

    def picks(*names: str) -> str:
        return "".join(f'<label>{label} <select id="{ident}"></select></label>'
                       for ident, label in (n.split(":") for n in names))

    two = (f'<div><div class="controls">{picks("sx:x", "sy:y")}</div>'
           '<svg xmlns="http://www.w3.org/2000/svg" id="scatter2d" class="chart scatter2d"'
           ' width="560" height="340" viewBox="0 0 560 340" style="max-width:728px"'
           ' role="img" aria-label="2-D scatter"></svg></div>')
    three = (f'<div><div class="controls">{picks("ax:x", "ay:y", "az:z")}'
             '<span class="note">drag to turn</span></div>'
             '<svg xmlns="http://www.w3.org/2000/svg" id="scatter3d" class="chart scatter3d"'
             ' width="560" height="400" viewBox="0 0 560 400" style="max-width:728px;'
             'touch-action:none" role="img" aria-label="3-D scatter"></svg></div>')
    note = ('<p class="note">Any parameter, objective, metric (its last report) or duration'
            ' on any axis; colour: the objective, as in the parallel coordinates.</p>')
    return _section("explore", "2-D and 3-D scatter",
                    f'{note}<div class="grid2">{two}{three}</div>')


def _importance(spec: TuningSpec, trials: list[Trial]) -> str:
    charts = []
    for objective in spec.all_objectives:
        found = param_importances(spec, trials, objective)
        head = f"<h3>{esc(objective.metric)}</h3>" if spec.multi_objective else ""
        note = ""
        if not isinstance(found, str):
            sample = "".join(f" {label} on an even sample of {n} of them."
                             for label, n in found.sampled.items())
            note = (f'<p class="note">{found.trials} trials with a result;{sample} each'
                    " evaluator's shares add up to 1."
                    + "".join(f" {esc(m)}." for m in found.missing) + "</p>")
        charts.append(f"<div>{head}{note}{importance_chart(found)}</div>")
    return '<div class="grid2">' + "".join(charts) + "</div>"


def _status_legend() -> str:
    shown = ("completed", "stopped", "failed", "timeout", "cancelled", "interrupted",
             "running")
    keys = " ".join(f'<span class="k k-{s}"></span> {s}' for s in shown)
    return (f'<p class="legend">{keys}; \u2503 where a stopping rule stopped a trial;'
            " x: study time since the first trial started</p>")


def _trial_table(spec: TuningSpec, trials: list[Trial], marked: set[int], live: bool,
                 clock: StudyClock | None) -> str:
    if not trials:
        return _section("trials", "Trials (0)", '<p class="empty">No trial yet.</p>')
    names = param_names(spec, trials)
    restored = any(t.restore is not None for t in trials)
    objectives = spec.all_objectives
    obj_heads = ([o.metric for o in objectives] if spec.multi_objective
                 else [f"objective ({spec.primary.metric})"])
    starts = {t.id: iso(clock.wall(t.started_at)) if clock is not None else None
              for t in trials}
    # Columns no trial has a value for are left out (a simulated study has no wall clock).
    timed = any(starts.values())
    reasons = any(t.reason for t in trials)
    heads = ["id", "status", "intervals", *obj_heads, *names, "duration",
             *(["started"] if timed else []), *(["checkpoint"] if restored else []),
             *(["reason"] if reasons else [])]
    head = "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in heads) + "</tr>"
    numeric = [0, 2, *range(3, 3 + len(obj_heads)), heads.index("duration")]
    numeric += [3 + len(obj_heads) + i for i, n in enumerate(names)
                if all(_is_number(fmt_value(t.params[n])) for t in trials if n in t.params)]
    # Numbers right-aligned by column (one rule, not a class on every cell).
    align = ",".join(f"table.trials td:nth-child({i + 1})" for i in sorted(numeric))
    rows = []
    for t in trials:
        shown = shown_status(t, live)
        cls = f"st-{shown}" + (" best" if t.id in marked else "")
        spent = duration(t)
        started = starts[t.id]
        cells = [str(t.id), shown, str(t.intervals),
                 *(fmt_value(objective_value(t, o)) for o in objectives),
                 *(fmt_value(t.params[n]) if n in t.params else "" for n in names),
                 seconds_text(spent) if spent is not None else ""]
        if timed:
            cells.append(started[:19].replace("T", " ") if started else "")
        if restored:
            cells.append(checkpoint_text(spec, t))
        if reasons:
            cells.append(t.reason or "")
        rows.append(f'<tr class="{cls}" data-t="{t.id}">'
                    + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    statuses = sorted({shown_status(t, live) for t in trials})
    options = "".join(f'<option value="{s}">{s}</option>' for s in statuses)
    controls = ('<div class="controls"><input type="search" id="filter"'
                ' placeholder="filter: any text of a row" aria-label="filter trials">'
                f'<label>status <select id="status-filter"><option value="">any</option>'
                f'{options}</select></label><span id="shown" class="note"></span>'
                '<span class="note">click a column to sort</span></div>')
    wrap = (f"table.trials td:nth-child({len(heads)}){{white-space:normal;min-width:18em}}"
            if reasons else "")  # the reason wraps; every other cell stays on one line
    body = (f"<style>{align}{{text-align:right}}{wrap}</style>"
            f'{controls}<div class="scroll"><table class="trials"><thead>{head}</thead><tbody>\n'
            + "\n".join(rows) + "\n</tbody></table></div>")
    return _section("trials", f"Trials ({len(trials)})", body)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return text.strip() == text and text != ""


@cache
def _asset(name: str) -> str:
    return files("hpo_bridge.results").joinpath("assets", name).read_text(encoding="utf-8")


def _head(name: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(name)} \u2014 hpo-bridge report</title>\n"
            f"<style>{_asset('report.css')}</style>"
            f"</head><body>")


def _foot() -> str:
    # Hover any trial (line, point or row): highlight it everywhere and show its row below.
    return f'<div id="info"></div>\n<script>{_asset("report.js")}</script>\n</body></html>'
