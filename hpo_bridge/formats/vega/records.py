"""A study's trials as Vega's records: worker ids, hyperparameters, performance, sentinels.

Vega reads a task's objective values from the files its script wrote; a task that timed
out, or saved no value, is recorded with the sentinel 9e+16 as the worst value of each
objective: -9e+16 for a MAX objective, 9e+16 for a MIN one (SEEDS.md, 001). hpo-bridge
writes the sentinel for every objective of a trial that timed out (whatever it wrote
before its time ran out) and for every objective a trial has no value of.

Worker ids: a search trial is the worker of its own id; a fullytrain trial is the worker
of the search trial whose configuration it re-runs (Vega's fully-train step trains each
`hps_<id>.json` of the search's output as worker <id>).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hpo_bridge.core.fullytrain import config_key
from hpo_bridge.core.ranking import best_trial, pareto_set, ranked
from hpo_bridge.core.trial import FULLYTRAIN, HPO, Trial, TrialStatus

SENTINEL = 9e16
GOALS = {"maximize": "MAX", "minimize": "MIN"}
# hpo-bridge's statuses as Vega's (vega.common.consts.Status).
STATUS = {
    TrialStatus.PENDING: "unstarted", TrialStatus.RUNNING: "running",
    TrialStatus.COMPLETED: "finished", TrialStatus.STOPPED: "finished",
    TrialStatus.FAILED: "error", TrialStatus.TIMEOUT: "error",
    TrialStatus.CANCELLED: "stopped", TrialStatus.INTERRUPTED: "stopped",
}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # Vega's DatatimeFormatString


def sentinel(goal: str) -> float:
    """The worst value of an objective: what Vega records for a task without one."""
    return -SENTINEL if goal == "maximize" else SENTINEL


def performance(spec: Any, trial: Trial) -> dict[str, float]:
    """The trial's value of each objective key, or the sentinel (see the module docstring)."""
    out: dict[str, float] = {}
    for objective in spec.all_objectives:
        value = trial.metric_value(objective.metric, objective.goal, objective.measurement)
        if trial.status is TrialStatus.TIMEOUT or value is None:
            value = sentinel(objective.goal)
        out[objective.metric] = value
    return out


@dataclass
class Worker:
    """One trial as one of Vega's workers."""

    step: str  # "hpo" or "fullytrain"
    worker_id: int
    trial: Trial

    @property
    def hps(self) -> dict[str, Any]:
        return dict(self.trial.params)


def workers(spec: Any, trials: list[Trial]) -> dict[str, list[Worker]]:
    """The workers of each step, by worker id (see the module docstring)."""
    search = [t for t in trials if t.stage != FULLYTRAIN]
    source: dict[str, int] = {}
    for trial in [*ranked(spec, search), *sorted(search, key=lambda t: t.id)]:
        source.setdefault(config_key(trial.params), trial.id)
    fully = [Worker(FULLYTRAIN, source.get(config_key(t.params), t.id), t)
             for t in trials if t.stage == FULLYTRAIN]
    return {
        HPO: sorted((Worker(HPO, t.id, t) for t in search), key=lambda w: w.worker_id),
        FULLYTRAIN: sorted(fully, key=lambda w: w.worker_id),
    }


def best_workers(spec: Any, step_workers: list[Worker]) -> list[Worker]:
    """The search's best: the best trial, or the Pareto front of several objectives."""
    by_trial = {w.trial.id: w for w in step_workers}
    trials = [w.trial for w in step_workers]
    if spec.multi_objective:
        chosen = pareto_set(spec, trials)
    else:
        top = best_trial(spec, trials)
        chosen = [top] if top is not None else []
    return sorted((by_trial[t.id] for t in chosen), key=lambda w: w.worker_id)


def record(spec: Any, worker: Worker, wall: Any) -> dict[str, Any]:
    """The worker as a record of Vega's reports.json (vega/report/record.py's fields, and
    `trial`: hpo-bridge's id of the trial)."""
    trial = worker.trial
    values = performance(spec, trial)
    goals = {o.metric: GOALS[o.goal] for o in spec.all_objectives}
    original = [values[key] for key in goals]
    rewards = [-v if goals[key] == "MIN" else v for key, v in zip(goals, original, strict=True)]
    runtime = None
    if trial.started_at is not None and trial.ended_at is not None:
        runtime = round(trial.ended_at - trial.started_at, 3)
    return {
        "step_name": worker.step,
        "worker_id": worker.worker_id,
        "desc": worker.hps,
        "hps": worker.hps,
        "performance": values,
        "objectives": goals,
        "objective_keys": list(goals),
        "rewards": rewards[0] if len(rewards) == 1 else rewards,
        "original_rewards": original[0] if len(original) == 1 else original,
        "num_epochs": trial.resource if trial.resource is not None else trial.intervals,
        "current_epoch": trial.intervals,
        "runtime": runtime,
        "start_time": _time(wall, trial.started_at),
        "end_time": _time(wall, trial.ended_at),
        "status": STATUS[trial.status],
        "message": trial.reason,
        "uid": f"{worker.step}_{worker.worker_id}",
        "trial": trial.id,
    }


def _time(wall: Any, t: float | None) -> str | None:
    if t is None:
        return None
    moment: datetime = wall(t)
    return moment.strftime(TIME_FORMAT)
