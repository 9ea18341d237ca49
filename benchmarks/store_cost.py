"""5. Store: what keeping a trial durably costs, with its metric events.

Each trial is journaled the way a study writes it as it happens: created and
started, METRICS intermediate reports, then its final result, each step
committed before the next (as a study of real processes commits every tuner
step). hpo-bridge's SQLite store (WAL) against optuna's RDB storage on SQLite
and its JournalStorage on a file, both driven by optuna's ask/report/tell.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.common import (
    HPO,
    OPTUNA,
    Benchmark,
    Table,
    cell,
    quiet_optuna,
    ratio,
    scratch,
    unavailable,
)

NAME = "store_cost"
TITLE = "5. Store (cost per trial with its metric events)"
METRICS = 10


def _spec() -> Any:
    from hpo_bridge.spec import validate_spec

    return validate_spec({
        "name": "store-cost",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "limits": {"max_trials": 100_000},
    })


def _hpo_store(folder: Path, n: int) -> float:
    from hpo_bridge.core.events import (
        MetricReported,
        TrialCreated,
        TrialStarted,
        TrialStatusChanged,
    )
    from hpo_bridge.core.trial import TrialStatus
    from hpo_bridge.store import Store

    store = Store.create(folder / "hpo", _spec())
    t0 = time.perf_counter()
    clock = 0.0
    for trial_id in range(1, n + 1):
        clock += 1.0
        store.record(TrialCreated(trial_id, clock, {"x": trial_id / n}))
        store.record(TrialStarted(trial_id, clock))
        store.record(TrialStatusChanged(trial_id, clock, TrialStatus.RUNNING))
        store.commit()
        for k in range(1, METRICS + 1):
            store.record(MetricReported(trial_id, clock + k, "loss", 1.0 / k))
            store.commit()
        store.record(TrialStatusChanged(trial_id, clock + METRICS, TrialStatus.COMPLETED,
                                        exit_code=0))
        store.commit()
    seconds = time.perf_counter() - t0
    store.close()
    return seconds


def _optuna_storage(kind: str, folder: Path) -> Any:
    import optuna

    if kind == "sqlite":
        return optuna.storages.RDBStorage(f"sqlite:///{folder / 'optuna.db'}")
    from optuna.storages.journal import JournalFileBackend

    return optuna.storages.JournalStorage(JournalFileBackend(str(folder / "optuna.log")))


def _optuna_store(kind: str, folder: Path, n: int) -> float:
    import optuna

    quiet_optuna()
    space = {"x": optuna.distributions.FloatDistribution(0.0, 1.0)}
    study = optuna.create_study(storage=_optuna_storage(kind, folder),
                                sampler=optuna.samplers.RandomSampler(seed=1))
    t0 = time.perf_counter()
    for _ in range(n):
        trial = study.ask(space)
        for k in range(1, METRICS + 1):
            trial.report(1.0 / k, k)
        study.tell(trial, 1.0 / METRICS)
    return time.perf_counter() - t0


def run(quick: bool) -> Benchmark:
    bench = Benchmark(NAME, TITLE)
    # optuna's storages cost ~0.1-0.6 s per trial on this machine's disk: fewer trials
    # for them (which, if anything, favours them: optuna's ask reads every earlier trial)
    reps, n, n_peer = (2, 40, 8) if quick else (5, 200, 40)
    bench.settings = {"repetitions": reps, "trials per repetition": f"hpo-bridge {n}, optuna "
                      f"{n_peer}", "metric events per trial": METRICS}
    trials = {f"{HPO} SQLite store": n, f"{OPTUNA} RDBStorage (SQLite)": n_peer,
              f"{OPTUNA} JournalStorage (file)": n_peer}
    systems = {
        f"{HPO} SQLite store": lambda f: _hpo_store(f, n),
        f"{OPTUNA} RDBStorage (SQLite)": lambda f: _optuna_store("sqlite", f, n_peer),
        f"{OPTUNA} JournalStorage (file)": lambda f: _optuna_store("journal", f, n_peer),
    }
    costs: dict[str, list[float]] = {label: [] for label in systems}
    errors: dict[str, tuple[str, str]] = {}
    for rep in range(reps):  # interleaved, so load changes hit every system alike
        for label, measure in systems.items():
            if label in errors:
                continue
            with scratch(f"hpo-bench-store-{rep}-") as folder:
                try:
                    costs[label].append(measure(folder) / trials[label] * 1e3)
                except Exception as exc:  # noqa: BLE001 - reported in the table
                    errors[label] = unavailable(exc)
    table = Table(
        "Store cost per trial",
        f"Milliseconds per trial (created, started, {METRICS} metric reports, result), each "
        "step committed as it happens; hpo-bridge aims under 2 ms.",
        ["store", "ms per trial", "vs hpo-bridge"],
    )
    for label in systems:
        if label not in errors:
            bench.record(label, "ms_per_trial", costs[label], "ms")
    mine = bench.get(f"{HPO} SQLite store", "ms_per_trial")
    for label in systems:
        if label in errors:
            table.rows.append([label, errors[label][0], "-"])
            table.notes.append(f"{label}: {errors[label][0]}: {errors[label][1]}")
            table.status = "partial"
            continue
        entry = bench.get(label, "ms_per_trial")
        table.rows.append([label, cell(entry, 3), ratio(entry, mine)])
    table.notes.append("hpo-bridge's store runs SQLite in WAL mode with synchronous=NORMAL; "
                       "optuna's RDBStorage uses SQLAlchemy's defaults (rollback journal).")
    bench.tables.append(table)
    return bench
