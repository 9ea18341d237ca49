"""1. Optimisation quality: simple regret after 25, 50 and 100 trials.

hpo-bridge's searchers are driven directly through ask/tell (as its tuner does);
optuna's samplers through optuna's own ask/tell on the same space. Trials run
one at a time, so both see every earlier result.
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks.common import (
    HPO,
    OPTUNA,
    Benchmark,
    Table,
    cell,
    quiet_optuna,
    ratio,
    searcher_factory,
    unavailable,
)
from benchmarks.problems import QUALITY_PROBLEMS, Problem, tuning_spec

NAME = "quality"
TITLE = "1. Optimisation quality (simple regret)"
CHECKPOINTS = (25, 50, 100)
PAIRS = (("random", "RandomSampler"), ("sobol", "QMCSampler"), ("bayesian", "TPESampler"))


def _hpo_trace(problem: Problem, algorithm: str, seed: int, n: int) -> list[float]:
    from hpo_bridge.core.trial import TrialStatus

    spec = tuning_spec(problem.spec_space(), algorithm, seed, n, name=f"q-{problem.name}")
    searcher = searcher_factory(algorithm).create(spec)
    values = []
    for trial_id in range(1, n + 1):
        suggestion = searcher.ask(trial_id)
        if suggestion is None:
            break
        value = problem.evaluate(suggestion.params)
        searcher.tell(trial_id, TrialStatus.COMPLETED, value)
        values.append(value)
    return values


def _optuna_sampler(kind: str, seed: int) -> Any:
    import optuna

    if kind == "RandomSampler":
        return optuna.samplers.RandomSampler(seed=seed)
    if kind == "QMCSampler":
        return optuna.samplers.QMCSampler(qmc_type="sobol", scramble=True, seed=seed)
    return optuna.samplers.TPESampler(seed=seed)


def _optuna_trace(problem: Problem, kind: str, seed: int, n: int) -> list[float]:
    import optuna

    quiet_optuna()
    study = optuna.create_study(direction="minimize", sampler=_optuna_sampler(kind, seed))
    space = problem.optuna_space()
    values = []
    for _ in range(n):
        trial = study.ask(space)
        value = problem.evaluate(trial.params)
        study.tell(trial, value)
        values.append(value)
    return values


def _best_so_far(values: list[float], k: int) -> float | None:
    return min(values[:k]) if len(values) >= k else None


def run(quick: bool) -> Benchmark:
    bench = Benchmark(NAME, TITLE)
    reps = {"branin": 3, "hartmann6": 3, "digits-sgd": 1} if quick else {
        "branin": 30, "hartmann6": 30, "digits-sgd": 10}
    horizon = {"branin": 100, "hartmann6": 100, "digits-sgd": 25 if quick else 100}
    bench.settings = {"repetitions": reps, "trials": horizon, "seeds": "1000 + repetition"}

    systems: list[tuple[str, str, Any]] = []
    for algorithm, kind in PAIRS:
        systems.append((f"{HPO} {algorithm}", algorithm, _hpo_trace))
        systems.append((f"{OPTUNA} {kind}", kind, _optuna_trace))

    for problem in QUALITY_PROBLEMS:
        n = horizon[problem.name]
        traces: dict[str, list[list[float]]] = {}
        pending: dict[str, tuple[str, str]] = {}
        # warm-up: the first evaluation loads the data set; no system should pay for it
        problem.evaluate({p.name: (p.low + p.high) / 2 for p in problem.params})
        for label, algorithm, runner in systems:
            runs, seconds = [], []
            try:
                for r in range(reps[problem.name]):
                    t0 = time.perf_counter()
                    runs.append(runner(problem, algorithm, 1000 + r, n))
                    seconds.append(time.perf_counter() - t0)
            except Exception as exc:  # noqa: BLE001 - a missing or broken piece is reported
                pending[label] = unavailable(exc)
                continue
            traces[label] = runs
            bench.record(label, f"{problem.name}/study_seconds", seconds, "s")
        optimum = problem.optimum
        if optimum is None:  # a real task: regret against the best value any system found
            optimum = min((min(v) for runs in traces.values() for v in runs), default=0.0)
            bench.notes.append(
                f"{problem.name}: regret is measured against the best validation error any "
                f"system found in this run ({optimum:.4f})."
            )
        checkpoints = [k for k in CHECKPOINTS if k <= n]
        for label, runs in traces.items():
            for k in checkpoints:
                regrets = [b - optimum for v in runs if (b := _best_so_far(v, k)) is not None]
                bench.record(label, f"{problem.name}/regret@{k}", regrets)
        bench.tables.append(_table(bench, problem, checkpoints, pending))
    return bench


def _table(bench: Benchmark, problem: Problem, checkpoints: list[int], pending: dict) -> Table:
    last = checkpoints[-1]
    table = Table(
        f"Quality on {problem.name}",
        f"Median simple regret [25-75%] after k trials, lower is better ({problem.what}); "
        f"the ratio is each hpo-bridge searcher's median regret over its optuna counterpart's at "
        f"{last} (below 1.00x: hpo-bridge's is lower).",
        ["system", *[f"regret@{k}" for k in checkpoints], f"vs peer @{last}", "s/study"],
    )
    for algorithm, kind in PAIRS:
        mine, peer = f"{HPO} {algorithm}", f"{OPTUNA} {kind}"
        for label in (mine, peer):
            if label in pending:
                kind, why = pending[label]
                table.rows.append([label, *[kind] * len(checkpoints), "-", "-"])
                table.notes.append(f"{label}: {kind}: {why}")
                table.status = "partial"
                continue
            row = [label]
            row += [cell(bench.get(label, f"{problem.name}/regret@{k}")) for k in checkpoints]
            row.append(
                ratio(bench.get(mine, f"{problem.name}/regret@{last}"),
                      bench.get(peer, f"{problem.name}/regret@{last}"))
                if label == mine else ""
            )
            row.append(cell(bench.get(label, f"{problem.name}/study_seconds"), 2))
            table.rows.append(row)
    return table
