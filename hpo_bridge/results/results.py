"""A study's results as plain data: the `results --json` shape, CSV rows, the best trials.

`results_dict` gives `{"trials": [...]}` with, per trial (by id):
    id, params, status (see below), intervals (objective reports received),
    objective (per `measurement`: a number or null; for several objectives an object
               metric -> number or null, in the spec's order),
    metrics (name -> list of values), reason (why it stopped or failed, else null),
    resource (budget the searcher gave, or null), exit_code (or null),
    stage ("hpo"; "fullytrain" for a best configuration re-run after the search, Vega),
    attempt (1; 2, 3... for a trial run again after an interruption),
    started, ended (wall clock, ISO 8601 in UTC; null for a simulated study or when not
    yet), duration (seconds of its current attempt, or null): see results/timing.py,
    restored_from (the trial whose checkpoint it continued, itself for a resumed
                   attempt, or null), start (intervals that checkpoint held: its own
                   reports come after; 0 when it started from scratch), origin (why the
                   searcher proposed it: population-based training's decision, or null),
    checkpoint (what happened to its checkpoint, in words, or null; see `checkpoint_text`).
With the study's timing, `results_dict` adds `"study": {clock, started, wall_time,
compute}` (seconds; `compute` sums every attempt's running time).
One vocabulary of statuses everywhere (JSON, CSV, the table, the report, `status`):
`shown_status`, the stored status, except that a trial still pending or running in the
store while nothing runs the study any more (its orchestrator was killed) is
"interrupted", as `resume` will record it.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.ranking import best_trial, pareto_set, tied_with_best
from hpo_bridge.core.trial import HPO, Trial, is_interrupted
from hpo_bridge.results.timing import trial_times

if TYPE_CHECKING:
    from hpo_bridge.results.timing import StudyTiming
    from hpo_bridge.spec import TuningSpec
    from hpo_bridge.store.timing import StudyClock


def objective_of(spec: TuningSpec, trial: Trial) -> Any:
    values = {
        o.metric: trial.metric_value(o.metric, o.goal, o.measurement)
        for o in spec.all_objectives
    }
    return values if spec.multi_objective else values[spec.primary.metric]


def shown_status(trial: Trial, study_runs: bool = True) -> str:
    """The status everybody is shown (see the module's notes)."""
    if is_interrupted(trial) or (not study_runs and not trial.status.terminal):
        return "interrupted"
    return trial.status.value


def trial_dict(spec: TuningSpec, trial: Trial, study_runs: bool = True,
               clock: StudyClock | None = None) -> dict[str, Any]:
    return {
        "id": trial.id,
        "params": trial.params,
        "status": shown_status(trial, study_runs),
        "intervals": trial.intervals,
        "objective": objective_of(spec, trial),
        "metrics": {name: list(series) for name, series in trial.metrics.items()},
        "reason": trial.reason,
        "resource": trial.resource,
        "exit_code": trial.exit_code,
        "stage": trial.stage,
        "attempt": trial.attempt,
        **trial_times(trial, clock),
        "restored_from": trial.restore.source if trial.restore is not None else None,
        "start": trial.start,
        "origin": trial.origin,
        "checkpoint": checkpoint_text(spec, trial) or None,
    }


def checkpoint_text(spec: TuningSpec, trial: Trial) -> str:
    """What the trial's training continued, in words ("" when it started afresh as
    planned): "continued trial 3 after epoch 6", or why it resumed earlier than planned
    (e.g. "restarted from scratch: trial 3 saved no checkpoint ...")."""
    restore = trial.restore
    if restore is None:
        return ""
    if trial.restore_note:
        return trial.restore_note
    resource = spec.trial.resource
    unit = resource.name if resource is not None else "interval"
    unit = unit[:-1] if unit.endswith("s") else unit
    if restore.source == trial.id:
        return f"resumed its interrupted attempt after {unit} {restore.start}"
    return f"continued trial {restore.source} after {unit} {restore.start}"


def restarted_from_scratch(trials: list[Trial]) -> list[Trial]:
    """Trials meant to continue a checkpoint that trained from scratch instead."""
    return [t for t in trials if t.restore is not None and t.restore.start == 0]


def results_dict(spec: TuningSpec, trials: list[Trial], study_runs: bool = True,
                 timing: StudyTiming | None = None) -> dict[str, Any]:
    clock = timing.clock if timing is not None else None
    out: dict[str, Any] = {} if timing is None else {"study": timing.as_dict()}
    out["trials"] = [trial_dict(spec, t, study_runs, clock)
                     for t in sorted(trials, key=lambda t: t.id)]
    return out


def best_dict(spec: TuningSpec, trials: list[Trial]) -> dict[str, Any]:
    """`{"best": trial or null}`, or `{"pareto": [trials]}` for several objectives."""
    if spec.multi_objective:
        return {"pareto": [trial_dict(spec, t) for t in pareto_set(spec, trials)]}
    best = best_trial(spec, trials)
    out: dict[str, Any] = {"best": trial_dict(spec, best) if best is not None else None}
    ties = tied_with_best(spec, trials)
    if ties:  # equal objectives: said, not decided silently
        out["ties"] = [t.id for t in ties]
    return out


def _cell(value: Any) -> Any:
    return "" if value is None else value


def results_csv(spec: TuningSpec, trials: list[Trial], study_runs: bool = True,
                clock: StudyClock | None = None) -> str:
    """One row per trial: id, status, intervals, objective(s), params, last metric values,
    reason, started, ended, duration, and the stage when some trial ran in the fullytrain
    stage."""
    params: list[str] = list(spec.search_space)
    metrics: list[str] = []
    for trial in trials:
        params += [p for p in trial.params if p not in params]
        metrics += [m for m in trial.metrics if m not in metrics]
    objectives = (
        [f"objective:{o.metric}" for o in spec.all_objectives]
        if spec.multi_objective else ["objective"]
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    staged = any(t.stage != HPO for t in trials)
    writer.writerow(["id", "status", "intervals", *objectives, *params,
                     *(f"metric:{m}" for m in metrics), "reason", "started", "ended", "duration",
                     *(["stage"] if staged else [])])
    for trial in sorted(trials, key=lambda t: t.id):
        obj = objective_of(spec, trial)
        obj_cells = list(obj.values()) if isinstance(obj, dict) else [obj]
        writer.writerow([
            trial.id, shown_status(trial, study_runs), trial.intervals, *map(_cell, obj_cells),
            *(_cell(trial.params.get(p)) for p in params),
            *(_cell(trial.metrics[m][-1] if trial.metrics.get(m) else None) for m in metrics),
            _cell(trial.reason), *map(_cell, trial_times(trial, clock).values()),
            *([trial.stage] if staged else []),
        ])
    return out.getvalue()
