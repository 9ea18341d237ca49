"""A study's summary for a CI job: Markdown (a step summary, a merge-request note) and JSON.

Both hold the same facts: the study's status and why, its best trial (the Pareto set for
several objectives) with its objective and parameters, trial counts by status, the
stopping decisions, the gate's verdicts when a gate ran, and a compact table of trials
(the best first; at most `MAX_ROWS` rows in Markdown).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo_bridge.core.durations import format_duration
from hpo_bridge.core.ranking import best_trial, pareto_set, ranked
from hpo_bridge.results.results import objective_of, shown_status, trial_dict

if TYPE_CHECKING:
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.results.gate import GateResult
    from hpo_bridge.study import StudySnapshot

MAX_ROWS = 25
STATUS_ORDER = ("completed", "stopped", "failed", "timeout", "cancelled", "interrupted",
                "running", "pending")


def _number(value: Any) -> str:
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _cell(value: Any) -> str:
    """Text for a Markdown table cell: one line, pipes escaped."""
    return " ".join(_number(value).split()).replace("|", "\\|")


def _counts(snap: StudySnapshot) -> dict[str, int]:
    counts = snap.counts()
    order = [s for s in STATUS_ORDER if s in counts] + sorted(set(counts) - set(STATUS_ORDER))
    return {s: counts[s] for s in order}


def _objective_text(snap: StudySnapshot, trial: Trial) -> str:
    value = objective_of(snap.spec, trial)
    if isinstance(value, dict):
        return ", ".join(f"{k} = {_number(v)}" for k, v in value.items())
    return f"{snap.spec.primary.metric} = {_number(value)}"


def _params_text(trial: Trial) -> str:
    return ", ".join(f"{k}={_number(v)}" for k, v in trial.params.items())


def _table_order(snap: StudySnapshot) -> list[Trial]:
    with_result = ranked(snap.spec, snap.trials)
    seen = {t.id for t in with_result}
    rest = sorted((t for t in snap.trials if t.id not in seen), key=lambda t: t.id)
    return with_result + rest


def summary_markdown(snap: StudySnapshot, gate: GateResult | None = None) -> str:
    spec = snap.spec
    lines = [f"## hpo-bridge: {spec.name} ({snap.status})", ""]
    if snap.reason:
        lines += [snap.reason, ""]
    goals = ", ".join(f"{o.metric} ({o.goal}, {o.measurement})" for o in spec.all_objectives)
    lines += [f"Objective: {goals}. {len(snap.trials)} trial(s) of {spec.max_trials},"
              f" {format_duration(round(snap.elapsed))} of study time.", ""]
    if spec.multi_objective:
        front = pareto_set(spec, snap.trials)
        lines.append(f"**Pareto set**: {len(front)} trial(s)")
        lines += [f"- trial {t.id}: {_objective_text(snap, t)} ({_params_text(t)})"
                  for t in front]
    else:
        best = best_trial(spec, snap.trials)
        lines.append(f"**Best**: trial {best.id}, {_objective_text(snap, best)}"
                     f" ({_params_text(best)})" if best is not None
                     else "**Best**: no trial has a result")
    lines += ["", "| status | trials |", "| --- | ---: |"]
    lines += [f"| {status} | {n} |" for status, n in _counts(snap).items()]
    if gate is not None:
        lines += ["", f"**Gate**: {'passed' if gate.passed else 'FAILED'}"]
        lines += [f"- {'pass' if v.passed else 'FAIL'}: {v.line()}" for v in gate.verdicts]
    if snap.decisions:
        lines += ["", f"**Stopping decisions**: {len(snap.decisions)}"]
        lines += [f"- trial {d.trial_id} at interval {d.interval}: {d.reason}"
                  for d in snap.decisions[:MAX_ROWS]]
        if len(snap.decisions) > MAX_ROWS:
            lines.append(f"- ... {len(snap.decisions) - MAX_ROWS} more")
    lines += ["", *_trials_table(snap), ""]
    return "\n".join(lines)


def _trials_table(snap: StudySnapshot) -> list[str]:
    spec = snap.spec
    params = list(spec.search_space)
    objectives = [o.metric for o in spec.all_objectives]
    head = ["trial", "status", *objectives, *params, "reason"]
    rows = [
        "| " + " | ".join(head) + " |",
        "| " + " | ".join("---:" if h not in ("status", "reason") else "---" for h in head)
        + " |",
    ]
    order = _table_order(snap)
    for trial in order[:MAX_ROWS]:
        value = objective_of(spec, trial)
        values = list(value.values()) if isinstance(value, dict) else [value]
        cells = [trial.id, shown_status(trial, snap.live), *values,
                 *(trial.params.get(p) for p in params), trial.reason]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    title = f"Trials (best first{', first ' + str(MAX_ROWS) if len(order) > MAX_ROWS else ''})"
    return [f"<details><summary>{title}</summary>", "", *rows, "", "</details>"]


def summary_dict(snap: StudySnapshot, gate: GateResult | None = None) -> dict[str, Any]:
    spec = snap.spec
    out: dict[str, Any] = {
        "name": spec.name, "status": snap.status, "reason": snap.reason,
        "backend": snap.backend, "elapsed": snap.elapsed,
        "objectives": [{"metric": o.metric, "goal": o.goal, "measurement": o.measurement}
                       for o in spec.all_objectives],
        "max_trials": spec.max_trials, "trials": len(snap.trials), "counts": _counts(snap),
    }
    if spec.multi_objective:
        out["pareto"] = [trial_dict(spec, t, snap.live) for t in pareto_set(spec, snap.trials)]
    else:
        best = best_trial(spec, snap.trials)
        out["best"] = trial_dict(spec, best, snap.live) if best is not None else None
    out["decisions"] = [{"trial": d.trial_id, "interval": d.interval, "rule": d.rule,
                         "reason": d.reason} for d in snap.decisions]
    if gate is not None:
        out["gate"] = {"passed": gate.passed, "trial": gate.trial.id if gate.trial else None,
                       "conditions": [
                           {"subject": v.condition.subject, "op": v.condition.op,
                            "threshold": v.condition.threshold, "value": v.value,
                            "passed": v.passed, "where": v.where} for v in gate.verdicts]}
    out["table"] = [{"id": t.id, "status": shown_status(t, snap.live),
                     "objective": objective_of(spec, t), "params": t.params, "reason": t.reason}
                    for t in _table_order(snap)]
    return out
