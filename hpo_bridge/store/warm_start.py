"""Warm start: the earlier trials a new study learns from, read from study directories.

`warm_start.from` names study directories (relative to the spec's folder). Their trials
are read once, when the new study is created, and kept in its journal (meta key
`warm_start_trials`), so the study stays whole when the earlier directories are gone
(another CI run, another machine): every `resume` feeds the searcher and the stopping
rule the same trials.

What is taken: trials that ended with a result (completed or stopped early) of the
search stage, whose configuration lies in the new spec's search space. They become
`Trial`s with negative ids (-1, -2, ...), their objective metrics' reports included, so
they never collide with the new study's trial ids. The earlier study must optimise the
same objective metric(s) with the same goal(s); anything else is refused, one line per
source naming `warm_start.from.N`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge.core import space
from hpo_bridge.core.searchers.base import result_of
from hpo_bridge.core.trial import HPO, Trial, TrialStatus
from hpo_bridge.store.sqlite import Store, StoreError

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

META_WARM_START = "warm_start_trials"


@dataclass
class Prior:
    """The earlier trials of a spec's warm start, and what was left out of them."""

    trials: list[Trial] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def source_path(spec: TuningSpec, source: str) -> Path:
    path = Path(source).expanduser()
    return path if path.is_absolute() else spec.base_dir / path


def study_sources(spec: TuningSpec) -> list[tuple[int, str, Path | None]]:
    """(index, source, study directory or None when it names no study) of `warm_start.from`."""
    if spec.warm_start is None:
        return []
    out = []
    for i, source in enumerate(spec.warm_start.sources):
        path = source_path(spec, source)
        out.append((i, source, path if Store.exists(path) else None))
    return out


def load_prior(spec: TuningSpec, study_dir: Path | None = None) -> Prior:
    """The trials `spec.warm_start` names, for the local backend; StoreError (one line per
    problem) for a source that is not a usable study directory."""
    prior, problems = Prior(), []
    for i, source, path in study_sources(spec):
        where = f"warm_start.from.{i}"
        if path is None:
            problems.append(f"{where}: {source}: no study there (the local backend warm-starts"
                            " from study directories; a cloud's job id is for its backend)")
            continue
        if study_dir is not None and path.resolve() == Path(study_dir).resolve():
            problems.append(f"{where}: {source} is this study's own directory")
            continue
        try:
            with Store.open(path) as earlier:
                mismatch = _objective_mismatch(earlier.spec, spec)
                if mismatch:
                    problems.append(f"{where}: {source}: {mismatch}")
                    continue
                taken, outside = _usable(spec, earlier.trials(), start=len(prior.trials))
        except StoreError as exc:
            problems.append(f"{where}: {exc}")
            continue
        prior.trials += taken
        if outside:
            prior.notes.append(f"{where}: {outside} trial(s) of {source} lie outside this"
                               " search space and are not used")
        prior.notes.append(f"warm start: {len(taken)} trial(s) from {source}")
    if problems:
        raise StoreError("\n".join(problems))
    return prior


def _objective_mismatch(earlier: TuningSpec, spec: TuningSpec) -> str | None:
    def shown(s: TuningSpec) -> str:
        return ", ".join(f"{o.metric!r} ({o.goal})" for o in s.all_objectives)

    mine = [(o.metric, o.goal) for o in spec.all_objectives]
    theirs = [(o.metric, o.goal) for o in earlier.all_objectives]
    if mine != theirs:
        return f"it optimises {shown(earlier)}, this spec {shown(spec)}"
    return None


def _usable(spec: TuningSpec, trials: list[Trial], start: int) -> tuple[list[Trial], int]:
    """The trials to learn from, renumbered -start-1, -start-2, ...; and how many results
    lay outside the search space."""
    metrics = [o.metric for o in spec.all_objectives]
    taken: list[Trial] = []
    outside = 0
    for trial in trials:
        if trial.stage != HPO or result_of(spec, trial) is None:
            continue
        if not space.in_space(spec, trial.params):
            outside += 1
            continue
        taken.append(Trial(
            id=-(start + len(taken) + 1), params=dict(trial.params), status=trial.status,
            values=list(trial.values),
            metrics={m: list(trial.metrics[m]) for m in metrics if m in trial.metrics}))
    return taken, outside


def save_prior(store: Store, trials: list[Trial]) -> None:
    store.set_meta(META_WARM_START, [
        {"id": t.id, "params": t.params, "status": t.status.value, "metrics": t.metrics}
        for t in trials])


def stored_prior(store: Store) -> list[Trial]:
    """The earlier trials kept in the study's journal (none without a warm start)."""
    primary = store.spec.primary.metric
    out = []
    for item in store.get_meta(META_WARM_START) or []:
        metrics: dict[str, Any] = item["metrics"]
        out.append(Trial(id=int(item["id"]), params=item["params"],
                         status=TrialStatus(item["status"]), values=list(metrics.get(primary, [])),
                         metrics={k: list(v) for k, v in metrics.items()}))
    return out
