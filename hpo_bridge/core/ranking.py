"""Which trials are best: the best trial of one objective, the Pareto set of several.

Only trials with a result count (completed, or stopped early: their values
still count). Each objective is read per its `measurement` (last or best
report). Ties in a single objective go to the cheaper trial (fewer intervals,
as AI Platform prefers the cheaper configuration), then to the earlier id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from hpo_bridge.core.pareto import pareto_front
from hpo_bridge.core.trial import Trial

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec


def objective_values(spec: TuningSpec, trial: Trial) -> list[float] | None:
    """The trial's value of every objective, or None when one is missing."""
    values = [trial.metric_value(o.metric, o.goal, o.measurement) for o in spec.all_objectives]
    if any(v is None for v in values):
        return None
    return [float(v) for v in values]  # type: ignore[arg-type]


def _scored(spec: TuningSpec, trials: Iterable[Trial]) -> list[tuple[Trial, list[float]]]:
    out = []
    for trial in trials:
        if trial.status.counts_as_result:
            values = objective_values(spec, trial)
            if values is not None:
                out.append((trial, values))
    return out


def ranked(spec: TuningSpec, trials: Iterable[Trial]) -> list[Trial]:
    """Trials with a result, best first by the first objective (ties as in `best_trial`)."""
    sign = 1.0 if spec.primary.goal == "maximize" else -1.0
    scored = sorted(_scored(spec, trials),
                    key=lambda tv: (-sign * tv[1][0], tv[0].intervals, tv[0].id))
    return [trial for trial, _ in scored]


def tied_with_best(spec: TuningSpec, trials: Iterable[Trial]) -> list[Trial]:
    """The other trials whose first objective equals the best one's, in ranking order: a
    tie is shown as one (AI Platform's advice is to prefer the cheaper configuration, which
    only the user can judge), not decided silently."""
    order = ranked(spec, trials)
    if not order:
        return []
    top = objective_values(spec, order[0])
    return [t for t in order[1:] if objective_values(spec, t)[0] == top[0]]  # type: ignore[index]


def best_trial(spec: TuningSpec, trials: Iterable[Trial]) -> Trial | None:
    """The best trial by the first objective."""
    order = ranked(spec, trials)
    return order[0] if order else None


def pareto_set(spec: TuningSpec, trials: Iterable[Trial]) -> list[Trial]:
    """Trials no other trial dominates, by id (A dominates B: at least as good in every
    objective and better in one)."""
    goals = [o.goal for o in spec.all_objectives]
    scored = sorted(_scored(spec, trials), key=lambda tv: tv[0].id)
    front = pareto_front([values for _, values in scored], goals)
    return [scored[i][0] for i in front]
