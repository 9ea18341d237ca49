"""4. Core cost: searcher ask+tell latency, stopping-rule decision cost, simulator throughput.

- ask+tell: one call of each per trial on the Hartmann6 space (the evaluation is
  outside the timer), over studies of 100 and 1,000 trials, against optuna's
  ask/tell with the matching sampler. Studies of both systems alternate, so load
  changes hit both alike.
- stopping rules: every trial reports every interval in lockstep (all reports of
  an interval, then every decision), the worst case for a rule's bookkeeping;
  cost per report = its report call + its decide call.
- simulator: a 100-configuration x 27-epoch table, 4 workers, ASHA with random
  search, 10 simulated hours, against Syne Tune's simulator backend.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from benchmarks.common import (
    HPO,
    OPTUNA,
    SYNE,
    Benchmark,
    Pending,
    Table,
    cell,
    fmt,
    have,
    percentile,
    quiet,
    quiet_optuna,
    ratio,
    scratch,
    searcher_factory,
    stopping_factory,
    unavailable,
)
from benchmarks.problems import HARTMANN6, tuning_spec
from benchmarks.tables import EPOCHS, SECONDS_PER_EPOCH, CurveTable, simulator_curves, syne_blackbox

NAME = "core_cost"
TITLE = "4. Core cost (searchers, stopping rules, simulator)"
PAIRS = (("random", "RandomSampler"), ("sobol", "QMCSampler"), ("bayesian", "TPESampler"))
SIM_HOURS = 10
SIM_WORKERS = 4
PEER_CAP = 60.0  # seconds: a peer slower than this is measured on the intervals it reached
PEER_CAP_QUICK = 5.0

logging.getLogger("syne_tune").setLevel(logging.ERROR)


# -- ask+tell --------------------------------------------------------------------------------
def _hpo_ask_tell(algorithm: str, seed: int, n: int) -> list[float]:
    from hpo_bridge.core.trial import TrialStatus

    spec = tuning_spec(HARTMANN6.spec_space(), algorithm, seed, n, name="cost")
    searcher = searcher_factory(algorithm).create(spec)
    costs = []
    clock = time.perf_counter
    for trial_id in range(1, n + 1):
        t0 = clock()
        suggestion = searcher.ask(trial_id)
        t1 = clock()
        value = HARTMANN6.evaluate(suggestion.params)
        t2 = clock()
        searcher.tell(trial_id, TrialStatus.COMPLETED, value)
        costs.append((t1 - t0) + (clock() - t2))
    return costs


def _optuna_ask_tell(kind: str, seed: int, n: int) -> list[float]:
    import optuna

    from benchmarks.quality import _optuna_sampler

    quiet_optuna()
    study = optuna.create_study(direction="minimize", sampler=_optuna_sampler(kind, seed))
    space = HARTMANN6.optuna_space()
    costs = []
    clock = time.perf_counter
    for _ in range(n):
        t0 = clock()
        trial = study.ask(space)
        t1 = clock()
        value = HARTMANN6.evaluate(trial.params)
        t2 = clock()
        study.tell(trial, value)
        costs.append((t1 - t0) + (clock() - t2))
    return costs


def _ask_tell(bench: Benchmark, quick: bool) -> Table:
    sizes = {name: (100,) if quick else (100, 1000) for name, _ in PAIRS}
    reps = {100: 4 if quick else 10, 1000: 2}
    table = Table(
        "Searcher ask+tell latency",
        "Milliseconds per trial for one ask and one tell (median [25-75%] over every call of "
        "the studies; mean in its own column), hpo-bridge against optuna's ask/tell with the "
        "matching sampler on the same space; the ratio compares the means (bayesian aims "
        "within 1.10x of raw optuna TPE).",
        ["searcher", "trials", "hpo-bridge ms", "optuna ms", "hpo-bridge mean", "optuna mean",
         "ratio of means"],
    )
    for algorithm, kind in PAIRS:
        for n in sizes[algorithm]:
            mine_costs: list[float] = []
            peer_costs: list[float] = []
            pending: tuple[str, str] | None = None
            try:  # warm-up: first calls pay for imports and caches, on both sides
                _hpo_ask_tell(algorithm, 1, 12)
            except Exception as exc:  # noqa: BLE001 - reported in the table
                pending = unavailable(exc)
            _optuna_ask_tell(kind, 1, 12)
            for r in range(reps[n]):
                # alternate who goes first, so a load change does not always hit one side
                order = ("mine", "peer") if r % 2 == 0 else ("peer", "mine")
                for side in order:
                    if side == "peer":
                        peer_costs += _optuna_ask_tell(kind, 3000 + r, n)
                    elif pending is None:
                        mine_costs += _hpo_ask_tell(algorithm, 3000 + r, n)
            mine_label, peer_label = f"{HPO} {algorithm}", f"{OPTUNA} {kind}"
            peer = bench.record(peer_label, f"ask_tell_ms@{n}", [c * 1e3 for c in peer_costs],
                                "ms")
            peer_mean = sum(peer_costs) / len(peer_costs) * 1e3
            bench.record(peer_label, f"ask_tell_mean_ms@{n}", [peer_mean], "ms")
            if pending is not None:
                table.rows.append([algorithm, n, pending[0], cell(peer, 3), "-", fmt(peer_mean),
                                   "-"])
                table.notes.append(f"{mine_label}: {pending[0]}: {pending[1]}")
                table.status = "partial"
                continue
            mine = bench.record(mine_label, f"ask_tell_ms@{n}", [c * 1e3 for c in mine_costs],
                                "ms")
            mine_mean = sum(mine_costs) / len(mine_costs) * 1e3
            bench.record(mine_label, f"ask_tell_mean_ms@{n}", [mine_mean], "ms")
            table.rows.append([
                algorithm, n, cell(mine, 3), cell(peer, 3), fmt(mine_mean), fmt(peer_mean),
                f"{mine_mean / peer_mean:.2f}x",
            ])
    return table


# -- stopping-rule decision cost ----------------------------------------------------------------
def _lockstep_values(trials: int, intervals: int, seed: int = 5) -> np.ndarray:
    """Accuracy-like curves, trials x intervals: each rises to its own ceiling."""
    rng = np.random.default_rng(seed)
    tops = rng.uniform(0.70, 0.96, trials)[:, None]
    gaps = rng.uniform(0.15, 0.60, trials)[:, None]
    rates = rng.uniform(0.3, 1.5, trials)[:, None]
    k = np.arange(1, intervals + 1, dtype=float)[None, :]
    return tops - gaps * k ** (-rates)


def _rule_spec(policy: str, intervals: int) -> Any:
    from hpo_bridge.spec import validate_spec

    every = {"evaluation_interval": 1, "delay_evaluation": 5}
    stopping = {
        "median": {"policy": "median", **every},
        "bandit": {"policy": "bandit", **every, "slack_factor": 0.1},
        "truncation": {"policy": "truncation", **every, "truncation_percentage": 20},
        "hyperband": {"policy": "hyperband"},
    }[policy]
    return validate_spec({
        "name": "rule-cost",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "early_stopping": stopping,
        "trial": {"resource": {"name": "epochs", "min": 1, "max": intervals}},
    })


def _hpo_rule_costs(policy: str, values: np.ndarray) -> tuple[list[float], int]:
    trials, intervals = values.shape
    rule = stopping_factory(policy).create(_rule_spec(policy, intervals))
    rows = values.tolist()
    costs = [0.0] * (trials * intervals)
    clock = time.perf_counter
    for k in range(intervals):
        interval = k + 1
        base = k * trials
        for t in range(trials):
            t0 = clock()
            rule.report(t + 1, interval, rows[t][k])
            costs[base + t] = clock() - t0
        for t in range(trials):
            t0 = clock()
            rule.decide(t + 1, interval)
            costs[base + t] += clock() - t0
    return costs, intervals


def _syne_rule_costs(kind: str, values: np.ndarray, cap: float) -> tuple[list[float], int]:
    """Syne Tune's schedulers' on_trial_result: its rules' per-report decision."""
    from datetime import datetime

    from syne_tune.backend.trial_status import Trial
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.baselines import ASHA, RandomSearch
    from syne_tune.optimizer.schedulers.median_stopping_rule import MedianStoppingRule

    trials, intervals = values.shape
    space = {"x": uniform(0.0, 1.0)}
    if kind == "ASHA":
        scheduler: Any = ASHA(space, metric="accuracy", time_attr="epoch", max_t=intervals,
                              do_minimize=False, random_seed=1)
    else:
        scheduler = MedianStoppingRule(
            RandomSearch(space, metrics=["accuracy"], do_minimize=False, random_seed=1),
            time_attr="epoch", metric="accuracy", grace_time=5, do_minimize=False,
        )
    now = datetime.now()
    handles = []
    for t in range(trials):
        trial = Trial(trial_id=t, config={"x": 0.5}, creation_time=now)
        scheduler.on_trial_add(trial)
        handles.append(trial)
    rows = values.tolist()
    costs: list[float] = []
    clock = time.perf_counter
    started = clock()
    reached = 0
    for k in range(intervals):
        for t in range(trials):
            result = {"accuracy": rows[t][k], "epoch": k + 1}
            t0 = clock()
            scheduler.on_trial_result(handles[t], result)
            costs.append(clock() - t0)
        reached = k + 1
        if clock() - started > cap:
            break
    return costs, reached


def _rules(bench: Benchmark, quick: bool) -> Table:
    trials, intervals = (1000, 50) if quick else (10_000, 100)
    cap = PEER_CAP_QUICK if quick else PEER_CAP
    values = _lockstep_values(trials, intervals)
    table = Table(
        "Stopping-rule decision cost",
        f"Microseconds per report (its report + its decision), {trials:,} trials x "
        f"{intervals} intervals in lockstep, every trial reporting every interval; p99 aims "
        "under 1,000 us. Syne Tune's schedulers decide inside on_trial_result.",
        ["rule", "reports", "p50 us", "p99 us", "max us", "reports/s"],
    )
    systems: list[tuple[str, Any]] = [
        (f"{HPO} {p}", lambda v, p=p: _hpo_rule_costs(p, v))
        for p in ("median", "bandit", "truncation", "hyperband")
    ]
    if have("syne_tune"):
        systems += [(f"{SYNE} {k}", lambda v, k=k: _syne_rule_costs(k, v, cap))
                    for k in ("ASHA", "MedianStoppingRule")]
    for label, measure in systems:
        try:
            costs, reached = measure(values)
        except Exception as exc:  # noqa: BLE001 - reported in the table
            kind, why = unavailable(exc)
            table.rows.append([label, kind, "-", "-", "-", "-"])
            table.notes.append(f"{label}: {kind}: {why}")
            table.status = "partial"
            continue
        us = [c * 1e6 for c in costs]
        p50, p99 = percentile(us, 50), percentile(us, 99)
        bench.record(label, "rule_p50_us", [p50], "us")
        bench.record(label, "rule_p99_us", [p99], "us")
        bench.record(label, "rule_reports", [len(us)], "reports")
        table.rows.append([label, f"{len(us):,}", fmt(p50), fmt(p99), fmt(max(us)),
                           fmt(len(us) / sum(costs))])
        if reached < intervals:
            table.notes.append(f"{label}: stopped after {reached} intervals ({cap:.0f} s "
                               "cap); its figures cover the reports it made.")
    return table


# -- simulator throughput ---------------------------------------------------------------------
def _sim_spec(table: CurveTable) -> Any:
    from hpo_bridge.spec import validate_spec

    return validate_spec({
        "name": "sim-throughput",
        "objective": {"metric": table.metric, "goal": table.goal},
        "search_space": {"config": {"type": "int", "low": 0, "high": table.size - 1}},
        "strategy": {"algorithm": "hyperband", "seed": 11, "min_resource": 1,
                     "max_resource": EPOCHS, "reduction_factor": 3},
        "limits": {"max_trials": 1_000_000, "max_parallel": SIM_WORKERS,
                   "max_duration": f"{SIM_HOURS}h"},
        "trial": {"resource": {"name": "epochs", "min": 1, "max": EPOCHS}},
    })


def _hpo_sim(table: CurveTable) -> tuple[float, int]:
    try:
        from hpo_bridge.core.tuner import Tuner
        from hpo_bridge.executors.simulator import SimulatorExecutor
    except ImportError as exc:
        raise Pending(f"tuner or simulator not available ({exc})") from None
    spec = _sim_spec(table)
    t0 = time.perf_counter()
    searcher = searcher_factory("hyperband").create(spec)
    executor = SimulatorExecutor(spec, source=table.as_simulator_table())
    tuner = Tuner(spec, searcher, executor)  # the searcher brings its rung rule
    tuner.run()
    return time.perf_counter() - t0, len(tuner.trials)


def _hpo_sim_stored(table: CurveTable, folder: Any, rep: int) -> tuple[float, int]:
    try:
        from hpo_bridge.backends.local import LocalBackend
    except ImportError as exc:
        raise Pending(f"local backend not available ({exc})") from None
    spec = _sim_spec(table)
    searcher_factory("hyperband")  # Pending until the searcher exists
    t0 = time.perf_counter()
    study = folder / f"sim-{rep}"
    LocalBackend().start(spec, study, executor="simulator",
                       executor_options={"source": table.as_simulator_table()})
    seconds = time.perf_counter() - t0
    from hpo_bridge.store import Store

    with Store.open(study) as store:
        count = len(store.trials())
    return seconds, count


def _syne_sim(table: CurveTable, seed: int) -> tuple[float, int]:
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend.simulator_backend.simulator_callback import SimulatorCallback
    from syne_tune.blackbox_repository import UserBlackboxBackend
    from syne_tune.optimizer.baselines import ASHA

    blackbox, space, _ = syne_blackbox(table)
    t0 = time.perf_counter()
    tuner = Tuner(
        trial_backend=UserBlackboxBackend(blackbox=blackbox, elapsed_time_attr="elapsed"),
        scheduler=ASHA(space, metric=table.metric, time_attr="epoch", max_t=EPOCHS,
                       do_minimize=table.goal == "minimize", random_seed=seed),
        stop_criterion=StoppingCriterion(max_wallclock_time=SIM_HOURS * 3600),
        n_workers=SIM_WORKERS,
        sleep_time=0,
        callbacks=[SimulatorCallback()],
        save_tuner=False,
        results_update_interval=1e9,
        print_update_interval=1e9,
    )
    with quiet():
        tuner.run()
    return time.perf_counter() - t0, tuner.tuning_status.num_trials_started


def _simulator(bench: Benchmark, quick: bool) -> Table:
    reps = 1 if quick else 5
    table = simulator_curves()
    out = Table(
        "Simulator throughput",
        f"A {table.size}-configuration x {EPOCHS}-epoch table ({SECONDS_PER_EPOCH:.0f} simulated "
        f"s per epoch), {SIM_WORKERS} workers, ASHA (eta 3, rungs 1/3/9) over random search, "
        f"{SIM_HOURS} simulated hours (hpo-bridge: strategy hyperband; Syne Tune: ASHA): "
        "wall seconds, trials run and trials per wall second "
        "(hpo-bridge aims 10x Syne Tune).",
        ["system", "wall s", "trials", "trials per s", "speed vs syne-tune"],
    )
    systems: list[tuple[str, Any]] = [
        (f"{HPO} tuner + simulator", lambda r, f: _hpo_sim(table)),
        (f"{HPO} with SQLite store", lambda r, f: _hpo_sim_stored(table, f, r)),
    ]
    if have("syne_tune"):
        systems.append((f"{SYNE} simulator backend", lambda r, f: _syne_sim(table, 11 + r)))
    with scratch("hpo-bench-sim-") as folder:
        for label, measure in systems:
            seconds, counts, rates = [], [], []
            try:
                for r in range(reps):
                    s, c = measure(r, folder)
                    seconds.append(s)
                    counts.append(c)
                    rates.append(c / s)
            except Exception as exc:  # noqa: BLE001 - reported in the table
                kind, why = unavailable(exc)
                out.rows.append([label, kind, "-", "-", "-"])
                out.notes.append(f"{label}: {kind}: {why}")
                out.status = "partial"
                continue
            bench.record(label, "sim_wall_s", seconds, "s")
            bench.record(label, "sim_trials", counts, "trials")
            bench.record(label, "sim_trials_per_s", rates, "trials/s")
    peer = bench.get(f"{SYNE} simulator backend", "sim_trials_per_s")
    for label, _ in systems:
        rate = bench.get(label, "sim_trials_per_s")
        if rate is None:
            continue
        out.rows.append([label, cell(bench.get(label, "sim_wall_s"), 3),
                         cell(bench.get(label, "sim_trials"), 4), cell(rate, 4),
                         ratio(rate, peer)])
    out.notes.append("Trials differ between systems because each runs its own random "
                     "search: compare trials per second.")
    return out


def run(quick: bool) -> Benchmark:
    bench = Benchmark(NAME, TITLE)
    bench.settings = {"seeds": "3000 + repetition (searchers), 11 (simulator)"}
    bench.tables.append(_ask_tell(bench, quick))
    bench.tables.append(_rules(bench, quick))
    bench.tables.append(_simulator(bench, quick))
    return bench
