"""A study as one self-contained HTML page (`hpo-bridge report`).

No JavaScript library, no network, no fonts: inline SVG charts (charts.py), a
stylesheet and a few lines of vanilla JS that highlight one trial across
charts and table on hover. The page is a pure function of the study: the same
journal gives the same bytes (no clock is read; the only time shown is the
study's own elapsed time). Every user string is escaped.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
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
from hpo_bridge.results.results import checkpoint_text, restarted_from_scratch, shown_status
from hpo_bridge.results.svg import esc, fmt_value

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec


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


def render_report(study: StudyReport) -> str:
    spec = study.spec
    trials = sorted(study.trials, key=lambda t: t.id)
    if spec.multi_objective:
        marked = {t.id for t in pareto_set(spec, trials)}
        top = None
    else:
        top = best_trial(spec, trials)
        marked = {top.id} if top is not None else set()
    parts = [
        _head(spec.name),
        f"<header><h1>{esc(spec.name)}</h1>",
        f'<p class="desc">{esc(spec.description)}</p>' if spec.description else "",
        _summary(study, trials),
        "</header>",
        _pareto_section(spec, trials, marked) if spec.multi_objective else _best_section(
            spec, top),
        _section("curves", "Objective over intervals", _legend() + "".join(
            metric_chart(trials, o, marked) for o in spec.all_objectives)),
        _section("parcoords", "Parallel coordinates",
                 _ramp_legend(spec) + parallel_coordinates(spec, trials, marked)),
        _section("scatter", "Objective against each hyperparameter",
                 scatter_grid(spec, trials, marked)),
    ]
    if spec.multi_objective:
        parts.append(_section("pareto", "Pareto front", pareto_chart(spec, trials, marked)))
    parts += [_trial_table(spec, trials, marked, study.live), _FOOT]
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
    if study.elapsed:
        rows.append(("study time", _duration(study.elapsed), None))
    items = "".join(
        f"<dt>{esc(key)}</dt><dd{_class(cls)}>{esc(value)}</dd>" for key, value, cls in rows)
    return f'<dl class="summary">{items}</dl>'


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


def _trial_table(spec: TuningSpec, trials: list[Trial], marked: set[int], live: bool) -> str:
    names = param_names(spec, trials)
    restored = any(t.restore is not None for t in trials)
    objectives = spec.all_objectives
    obj_heads = ([f"<th>{esc(o.metric)}</th>" for o in objectives] if spec.multi_objective
                 else [f"<th>objective ({esc(spec.primary.metric)})</th>"])
    head = ("<tr><th>id</th><th>status</th><th>intervals</th>" + "".join(obj_heads)
            + "".join(f"<th>{esc(n)}</th>" for n in names) + "<th>reason</th>"
            + ("<th>checkpoint</th>" if restored else "") + "</tr>")
    rows = []
    for t in trials:
        shown = shown_status(t, live)
        cls = f"st-{shown}" + (" best" if t.id in marked else "")
        cells = [str(t.id), shown, str(t.intervals),
                 *(fmt_value(objective_value(t, o)) for o in objectives),
                 *(fmt_value(t.params[n]) if n in t.params else "" for n in names),
                 t.reason or "", *([checkpoint_text(spec, t)] if restored else [])]
        rows.append(f'<tr class="{cls}" data-t="{t.id}">'
                    + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    body = (f'<table class="trials"><thead>{head}</thead><tbody>\n' + "\n".join(rows)
            + "\n</tbody></table>") if trials else '<p class="empty">No trial yet.</p>'
    return _section("trials", f"Trials ({len(trials)})", body)


def _head(name: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{esc(name)} \u2014 hpo-bridge report</title>\n<style>{_CSS}</style>"
            f"</head><body>")


_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em auto;max-width:1200px;padding:0 1em;
color:#222}
h1{margin:0 0 .3em}h2{margin:1.6em 0 .4em;border-bottom:1px solid #ddd}h3{margin:.3em 0}
dl.summary{display:grid;grid-template-columns:max-content 1fr;gap:.15em 1em;margin:0}
dt{font-weight:600;color:#555}dd{margin:0}
.status-finished{color:#1a7f37}.status-failed,.status-cancelled{color:#c23b3b}
.pair{display:flex;gap:2em;flex-wrap:wrap}
table{border-collapse:collapse}th,td{padding:1px 6px;text-align:left;vertical-align:top}
table.trials,table.pareto-set{font-size:12px}table.trials td,table.pareto-set td,
table.params td,table.metrics td{border-top:1px solid #eee}
table.trials tr.best td{background:#fde8e8;font-weight:600}
tr.st-failed td,tr.st-timeout td{color:#c23b3b}tr.hl td{background:#fff3b0}
.panels{display:flex;flex-wrap:wrap;gap:4px}.empty{color:#777;font-style:italic}
.legend{font-size:12px;color:#555}
.k{display:inline-block;width:18px;height:0;border-top:3px solid;vertical-align:middle}
.k-completed{border-color:#4a78b5}.k-stopped{border-color:#e08a2c;border-top-style:dashed}
.k-failed{border-color:#c23b3b}.k-best{border-color:#d6002a;border-top-width:4px}
svg{display:block;margin:.3em 0;overflow:visible;font-family:system-ui,sans-serif}
.tick{font-size:10px;fill:#555;paint-order:stroke;stroke:#fff;stroke-width:3px;
stroke-linejoin:round}.title{font-size:11px;fill:#222}
.axis{stroke:#888;stroke-width:1}.grid{stroke:#eee;stroke-width:1}
polyline{fill:none;stroke-linecap:round;stroke-linejoin:round}
.t{stroke:#4a78b5;stroke-width:1;opacity:.55}
.t.st-stopped{stroke:#e08a2c;stroke-dasharray:4 3}
.t.st-failed,.t.st-timeout{stroke:#c23b3b}.t.st-cancelled{stroke:#999}
.t.st-running,.t.st-pending{stroke:#2e9b5a}
.stop{fill:#e08a2c;opacity:.8}
.pc{stroke-width:1;opacity:.6}.pc.noobj{stroke:#bbb;stroke-dasharray:3 3}
.p{fill:#4a78b5;opacity:.6}.p.st-stopped{fill:#e08a2c}
.front-line{stroke:#d6002a;stroke-width:1.5;stroke-dasharray:5 3}
.t.best,.pc.best,.p.best,.p.front{stroke:#d6002a;opacity:1;stroke-dasharray:none}
.t.best,.pc.best{stroke-width:3}.p.best,.p.front{fill:#d6002a}
.hl{stroke:#000!important;stroke-width:3!important;opacity:1!important}
circle.hl{fill:#000!important}
#info{position:fixed;bottom:0;left:0;right:0;background:#fffbe6;border-top:1px solid #e6d98a;
font-size:12px;padding:3px 10px;min-height:1.4em;white-space:nowrap;overflow:hidden;
text-overflow:ellipsis}
"""

# Hover any trial (line, point or row): highlight it everywhere and show its row below.
_JS = """
(function(){var cur=null,info=document.getElementById('info'),
heads=Array.prototype.map.call(document.querySelectorAll('table.trials thead th'),
function(h){return h.textContent});
function mark(id){if(id===cur)return;cur=id;
document.querySelectorAll('.hl').forEach(function(n){n.classList.remove('hl')});
if(id===null){info.textContent='';return}
document.querySelectorAll('[data-t="'+id+'"]').forEach(function(n){n.classList.add('hl');
if(n.namespaceURI==='http://www.w3.org/2000/svg')n.parentNode.appendChild(n)});
var row=document.querySelector('table.trials tr[data-t="'+id+'"]');
info.textContent=row?Array.prototype.map.call(row.cells,function(c,i){
return heads[i]+': '+c.textContent}).join(' \\u00b7 '):'trial '+id}
document.addEventListener('mouseover',function(e){
var t=e.target.closest?e.target.closest('[data-t]'):null;
mark(t?t.getAttribute('data-t'):null)})})();
"""

_FOOT = f'<div id="info"></div>\n<script>{_JS}</script>\n</body></html>'
