"""The `results` table: one row per trial, one column per parameter, values kept short.

Columns: id, the stage (only when some trial ran in Vega's fullytrain stage),
one per parameter (the spec's order, then conditional ones a trial added),
status (as `shown_status`: "interrupted" for a trial an orchestrator exit cut
short), intervals, the objective(s), and why the trial ended (truncated: the
full reason is in `results --json`). Rows by id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table

from hpo_bridge.core.trial import HPO, Trial
from hpo_bridge.results.results import objective_of, shown_status

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

MAX_TEXT = 16  # characters of a categorical value shown
MAX_REASON = 48
MIN_PARAM = 8  # characters a parameter column keeps in a narrow terminal
MIN_REASON = 16


def compact(value: Any, digits: int = 4) -> str:
    """A value in few characters: floats to `digits` significant digits, long text cut."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return shorten(str(value), MAX_TEXT)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())  # one line: a reason may quote a multi-line message
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _param_names(spec: TuningSpec, trials: list[Trial]) -> list[str]:
    names = list(spec.search_space)
    for trial in trials:
        names += [p for p in trial.params if p not in names]
    return names


def _origin(trial: Trial) -> str:
    """The checkpoint it continued: "3@6" (trial 3 after interval 6), "3@0" when it had to
    start from scratch instead (`results --json` says why)."""
    restore = trial.restore
    return "" if restore is None else f"{restore.source}@{restore.start}"


def results_table(spec: TuningSpec, trials: list[Trial], study_runs: bool = True) -> Table:
    """The table. In a narrow terminal the reason wraps first, then parameter values are
    cut (to MIN_PARAM characters); id, status, intervals and objective stay whole, and a
    reason that no longer fits is left out (`--json` has it). `study_runs`: False when no
    orchestrator runs the study (its running trials are shown "interrupted")."""
    trials = sorted(trials, key=lambda t: t.id)
    params = _param_names(spec, trials)
    staged = any(t.stage != HPO for t in trials)
    restored = any(t.restore is not None for t in trials)  # checkpoints: a "from" column
    objectives = (
        [o.metric for o in spec.all_objectives] if spec.multi_objective else ["objective"]
    )
    rows = []
    for trial in trials:
        objective = objective_of(spec, trial)
        values = list(objective.values()) if isinstance(objective, dict) else [objective]
        rows.append([
            str(trial.id),
            *([trial.stage] if staged else []),
            *(compact(trial.params.get(p)) if p in trial.params else "" for p in params),
            shown_status(trial, study_runs),
            str(trial.intervals),
            *(compact(v, 6) for v in values),
            *([_origin(trial)] if restored else []),
            shorten(trial.reason or "", MAX_REASON),
        ])
    headers = ["id", *(["stage"] if staged else []), *params, "status", "intervals",
               *objectives, *(["from"] if restored else [])]
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False)
    for i, header in enumerate(headers):
        natural = max([len(header), *(len(row[i]) for row in rows)])
        is_param = header in params and i > (1 if staged else 0)
        table.add_column(
            header, justify="left" if header in ("stage", "status") else "right",
            no_wrap=True, overflow="ellipsis",
            min_width=min(natural, MIN_PARAM) if is_param else natural,
        )
    table.add_column("reason", overflow="fold", min_width=MIN_REASON)  # wraps first
    for row in rows:
        table.add_row(*row)
    return table
