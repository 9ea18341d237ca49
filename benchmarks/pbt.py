"""8. Population-based training: PBT against random search at equal compute, and against
Syne Tune's PBT (simulated curves and the real task) and Ray Tune's (the real task) on the
same problems, side by side.

Simulated: the simulator's learning curves with its checkpoint model (a trial restored
from a checkpoint worth v continues its configuration's curve from the first epoch that
beats v; hpo_bridge/executors/simulator.py). hpo-bridge runs its real tuner loop on its
simulator executor; Syne Tune's PopulationBasedTraining scheduler is driven by a small
loop over the very same curves and model, trials in lockstep as on hpo-bridge's
simulator (Syne Tune's own tabulated simulator has no checkpoint model: a trial that
continues a checkpoint would start from scratch there). Equal compute: a population
of P members trains P x 27 epochs; random search trains P configurations x 27 epochs.

Real task: SGD on scikit-learn's digits (examples/pbt/train.py: partial_fit, a pickled
checkpoint after every epoch), 4 members at a time: hpo-bridge PBT and random search
through `hpo-bridge run` (PBT's segments are one process each), Syne Tune's PBT through
its LocalBackend (a trial that continues a checkpoint is a new process; the others run
on) with the same training code reporting through its Reporter, stopped after the same
number of epochs, and Ray Tune's PBT on a local Ray instance, the same training as a
function trainable that reports a checkpoint with every epoch.

The figure is the final value of the recommended configuration: the best value any
trial reported at the last epoch (the trained model a user takes), its regret against
the table's best final value where there is one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import (
    HPO,
    SYNE,
    Benchmark,
    Table,
    cell,
    have,
    quiet,
    ratio,
    scratch,
    unavailable,
)
from benchmarks.tables import EPOCHS, CurveTable, digits_sgd, simulator_curves

NAME = "pbt"
TITLE = ("8. Population-based training (against random search at equal compute, Syne Tune's"
         " and Ray Tune's PBT)")
INTERVAL = 3  # epochs between PBT's decisions
QUANTILE = RESAMPLE = 0.25  # Ray Tune's and Syne Tune's defaults, for both systems
EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "pbt"
SYNE_SCRIPT = Path(__file__).resolve().parent / "scripts" / "pbt_digits_syne.py"
RAY = "Ray Tune"
HARTMANN6_MIN = -3.32237


# -- simulated problems --------------------------------------------------------------------
@dataclass
class SimProblem:
    name: str
    goal: str
    metric: str
    space: dict[str, Any]  # hpo-bridge search space
    source: Any  # the simulator's source (a built-in name or a table)
    best: float  # the best final value there is
    curve: Callable[[dict[str, Any]], list[float]]  # a configuration's 27 values
    syne_space: Callable[[], dict[str, Any]]
    what: str

    @property
    def maximize(self) -> bool:
        return self.goal == "maximize"


def _table_problem(table: CurveTable) -> SimProblem:
    def syne_space() -> dict[str, Any]:
        from syne_tune.config_space import randint

        return {"config": randint(0, table.size - 1)}

    return SimProblem(
        table.name, table.goal, table.metric,
        {"config": {"type": "int", "low": 0, "high": table.size - 1}},
        table.as_simulator_table(), table.best_final(),
        lambda c: table.curves[int(c["config"])], syne_space, table.what)


def _hartmann_problem() -> SimProblem:
    from hpo_bridge.executors.benchmarks import BENCHMARKS

    bench = BENCHMARKS["hartmann6-mf"]

    def syne_space() -> dict[str, Any]:
        from syne_tune.config_space import uniform

        return {f"x{i}": uniform(0.0, 1.0) for i in range(1, 7)}

    return SimProblem(
        "hartmann6-mf", "minimize", "loss",
        {f"x{i}": {"type": "float", "low": 0.0, "high": 1.0} for i in range(1, 7)},
        "hartmann6-mf", HARTMANN6_MIN,
        lambda c: bench.curve(c, EPOCHS, EPOCHS), syne_space,
        "the simulator's hartmann6-mf function (6 floats, minimise), 27 epochs")


def _hpo_sim(problem: SimProblem, algorithm: str, seed: int, population: int,
             synch: bool = False) -> tuple[float, int]:
    """(final value of the recommended configuration, epochs trained)."""
    from hpo_bridge.spec import validate_spec
    from hpo_bridge.tuning import build_executor, build_tuner

    strategy: dict[str, Any] = {"algorithm": algorithm, "seed": seed}
    limits: dict[str, Any] = {"max_parallel": population}
    if algorithm == "pbt":
        strategy.update(population_size=population, perturbation_interval=INTERVAL,
                        quantile_fraction=QUANTILE, resample_probability=RESAMPLE,
                        synch=synch)
    else:
        limits["max_trials"] = population  # equal compute: P configurations x 27 epochs
    spec = validate_spec({
        "name": f"pbt-{problem.name}",
        "objective": {"metric": problem.metric, "goal": problem.goal},
        "search_space": problem.space,
        "strategy": strategy, "limits": limits,
        "trial": {"resource": {"name": "epochs", "min": 1, "max": EPOCHS}},
    })
    with scratch("hpo-bench-pbt-") as folder:
        executor = build_executor(spec, "simulator", study_dir=folder,
                                  options={"source": problem.source})
        tuner = build_tuner(spec, executor)
        tuner.run()
    finals = [t.values[-1] for t in tuner.trials.values() if len(t.values) == EPOCHS]
    trained = sum(len(t.values) - t.start for t in tuner.trials.values())
    return (max(finals) if problem.maximize else min(finals)), trained


def _syne_sim(problem: SimProblem, seed: int, population: int) -> tuple[float, int]:
    """Syne Tune's PBT scheduler over the same curves and checkpoint model (lockstep)."""
    import datetime

    from syne_tune.backend.trial_status import Trial
    from syne_tune.optimizer.scheduler import SchedulerDecision
    from syne_tune.optimizer.schedulers.pbt import PopulationBasedTraining

    from hpo_bridge.executors.simulator import continued

    scheduler = PopulationBasedTraining(
        config_space=problem.syne_space(), metric=problem.metric, time_attr="epoch",
        max_t=EPOCHS, do_minimize=not problem.maximize, random_seed=seed,
        population_size=population, perturbation_interval=INTERVAL,
        quantile_fraction=QUANTILE, resample_probability=RESAMPLE)
    running: dict[int, dict[str, Any]] = {}
    last: dict[int, tuple[int, float]] = {}  # trial -> (epoch, value) of its last report
    finals: list[float] = []
    created = trained = 0

    def start(trial_id: int) -> bool:
        nonlocal created
        suggestion = scheduler.suggest()
        source = suggestion.checkpoint_trial_id if suggestion is not None else None
        if suggestion is None or (source is None and created >= population):
            return False  # the population is complete: no fresh members at equal compute
        created += source is None
        config = dict(suggestion.config)
        trial = Trial(trial_id=trial_id, config=config,
                      creation_time=datetime.datetime.now())
        scheduler.on_trial_add(trial)
        values = problem.curve(config)
        epoch = 0
        if source is not None:
            epoch, value = last[source]
            values = [v for ((_, v),) in continued([[("m", x)] for x in values], value,
                                                   EPOCHS - epoch, problem.maximize)]
        running[trial_id] = {"trial": trial, "epoch": epoch, "values": values, "i": 0}
        return True

    next_id = 0
    for _ in range(population):
        start(next_id)
        next_id += 1
    with quiet():
        while running:
            for trial_id in sorted(running):
                run = running[trial_id]
                value = float(run["values"][run["i"]])
                run["i"] += 1
                run["epoch"] += 1
                trained += 1
                last[trial_id] = (run["epoch"], value)
                decision = scheduler.on_trial_result(
                    run["trial"], {"epoch": run["epoch"], problem.metric: value})
                if run["epoch"] >= EPOCHS:
                    finals.append(value)
                    del running[trial_id]
                elif decision == SchedulerDecision.STOP:
                    del running[trial_id]
            while len(running) < population and start(next_id):
                next_id += 1
    return (max(finals) if problem.maximize else min(finals)), trained


def _regret(problem: SimProblem, value: float) -> float:
    return problem.best - value if problem.maximize else value - problem.best


def _sim_table(bench: Benchmark, problem: SimProblem, reps: int, population: int) -> Table:
    out = Table(
        f"PBT on simulated curves: {problem.name}",
        f"Regret of the recommended configuration (its value at epoch {EPOCHS} against the "
        f"best there is; lower is better) and epochs trained, population {population}, "
        f"perturbation every {INTERVAL} epochs; random search runs {population} "
        f"configurations x {EPOCHS} epochs (equal compute); {problem.what}.",
        ["system", "final regret", "epochs trained", "regret vs random"],
    )
    systems: dict[str, Callable[[int], tuple[float, int]]] = {
        f"{HPO} random": lambda s: _hpo_sim(problem, "random", s, population),
        f"{HPO} pbt": lambda s: _hpo_sim(problem, "pbt", s, population),
        f"{HPO} pbt synch": lambda s: _hpo_sim(problem, "pbt", s, population, synch=True),
    }
    if have("syne_tune"):
        systems[f"{SYNE} PBT"] = lambda s: _syne_sim(problem, s, population)
    for label, measure in systems.items():
        regrets, epochs = [], []
        try:
            for rep in range(reps):
                value, trained = measure(3000 + rep)
                regrets.append(_regret(problem, value))
                epochs.append(trained)
        except Exception as exc:  # noqa: BLE001 - a broken piece is reported, not fatal
            kind, why = unavailable(exc)
            out.rows.append([label, kind, "-", "-"])
            out.notes.append(f"{label}: {kind}: {why}")
            out.status = "partial"
            continue
        bench.record(label, f"{problem.name}/final_regret", regrets)
        bench.record(label, f"{problem.name}/epochs_trained", epochs, "epochs")
    base = bench.get(f"{HPO} random", f"{problem.name}/final_regret")
    for label in systems:
        regret = bench.get(label, f"{problem.name}/final_regret")
        if regret is None:
            continue
        out.rows.append([label, cell(regret, 3),
                         cell(bench.get(label, f"{problem.name}/epochs_trained"), 4),
                         ratio(regret, base)])
    return out


# -- the real task -------------------------------------------------------------------------
def _hpo_bin() -> str:
    candidate = Path(sys.executable).with_name("hpo-bridge")
    return str(candidate) if candidate.exists() else shutil.which("hpo-bridge") or "hpo-bridge"


def _hpo_real(folder: Path, algorithm: str, seed: int, population: int, epochs: int
              ) -> tuple[float, int, float]:
    """(final validation error of the recommended configuration, epochs trained, seconds)."""
    job = folder / f"{algorithm}-{seed}"
    shutil.copytree(EXAMPLE, job)
    strategy: dict[str, Any] = {"algorithm": algorithm, "seed": seed}
    limits: dict[str, Any] = {"max_parallel": population}
    if algorithm == "pbt":
        strategy.update(population_size=population, perturbation_interval=INTERVAL,
                        quantile_fraction=QUANTILE, resample_probability=RESAMPLE)
    else:
        limits["max_trials"] = population
    spec = {
        "name": "pbt-digits",
        "objective": {"metric": "error", "goal": "minimize"},
        "search_space": {
            "alpha": {"type": "float", "low": 1e-6, "high": 1e-1, "scale": "log"},
            "eta0": {"type": "float", "low": 1e-4, "high": 1.0, "scale": "log"}},
        "strategy": strategy, "limits": limits,
        "trial": {"command": ["python", "train.py"],
                  "resource": {"name": "epochs", "min": 1, "max": epochs}},
    }
    (job / "spec.yaml").write_text(json.dumps(spec))
    study = job / "study"
    t0 = time.perf_counter()
    done = subprocess.run([_hpo_bin(), "run", str(job / "spec.yaml"), "--study-dir",
                           str(study)], capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"hpo-bridge run exited {done.returncode}: {tail[0]}")
    listing = subprocess.run([_hpo_bin(), "results", str(study), "--json"],
                             capture_output=True, text=True, check=True)
    trials = json.loads(listing.stdout)["trials"]
    finals = [t["metrics"]["error"][-1] for t in trials if t["intervals"] == epochs]
    trained = sum(t["intervals"] - t["start"] for t in trials)
    return min(finals), trained, seconds


def _syne_real(folder: Path, seed: int, population: int, epochs: int
               ) -> tuple[float, int, float]:
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend import LocalBackend
    from syne_tune.config_space import loguniform
    from syne_tune.optimizer.schedulers.pbt import PopulationBasedTraining
    from syne_tune.tuner_callback import TunerCallback

    space = {"alpha": loguniform(1e-6, 1e-1), "eta0": loguniform(1e-4, 1.0),
             "epochs": epochs}
    scheduler = PopulationBasedTraining(
        config_space=space, metric="error", time_attr="epoch", max_t=epochs,
        do_minimize=True, random_seed=seed, population_size=population,
        perturbation_interval=INTERVAL, quantile_fraction=QUANTILE,
        resample_probability=RESAMPLE)
    reports: list[tuple[int, float]] = []  # (epoch, error) of every result

    class Recorder(TunerCallback):
        def on_trial_result(self, trial, status, result, decision):  # noqa: ANN001
            reports.append((int(result["epoch"]), float(result["error"])))

    t0 = time.perf_counter()
    with quiet():
        tuner = Tuner(
            trial_backend=LocalBackend(entry_point=str(SYNE_SCRIPT)),
            scheduler=scheduler,
            # Equal compute: it stops once more than this many epochs were reported.
            stop_criterion=StoppingCriterion(max_num_evaluations=population * epochs - 1),
            n_workers=population, sleep_time=0.05, save_tuner=False,
            wait_trial_completion_when_stopping=False, callbacks=[Recorder()],
            results_update_interval=1e9, print_update_interval=1e9,
        )
        tuner.run()
    seconds = time.perf_counter() - t0
    top = max(epoch for epoch, _ in reports)
    return min(e for epoch, e in reports if epoch == top), len(reports), seconds


def _ray_trainable(config: dict[str, Any]) -> None:
    """The digits PBT trial for Ray Tune: the same training, its checkpoint handed to
    `tune.report` after every epoch and taken back with `tune.get_checkpoint`."""
    import os
    import pickle
    import tempfile

    import numpy as np
    from ray import tune
    from sklearn.linear_model import SGDClassifier

    sys.path.insert(0, str(EXAMPLE))
    from train import CHECKPOINT, digits  # the example's own data split

    x_train, x_val, y_train, y_val = digits(0)
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder, open(Path(folder) / CHECKPOINT, "rb") as fh:
            state = pickle.load(fh)
        model, rng, epoch = state["model"], state["rng"], state["epoch"]
        model.set_params(alpha=config["alpha"], eta0=config["eta0"])
    else:
        model = SGDClassifier(alpha=config["alpha"], eta0=config["eta0"],
                              learning_rate="invscaling", power_t=0.25, random_state=0)
        rng, epoch = np.random.default_rng(0), 0
    classes = np.unique(y_train)
    while epoch < config["epochs"]:
        order = rng.permutation(len(x_train))
        model.partial_fit(x_train[order], y_train[order], classes=classes)
        epoch += 1
        error = round(1.0 - float(model.score(x_val, y_val)), 6)
        with tempfile.TemporaryDirectory() as folder:
            with open(os.path.join(folder, CHECKPOINT), "wb") as fh:
                pickle.dump({"model": model, "rng": rng, "epoch": epoch}, fh)
            tune.report({"error": error, "epoch": epoch},
                        checkpoint=tune.Checkpoint.from_directory(folder))


def _ray_real(folder: Path, seed: int, population: int, epochs: int
              ) -> tuple[float, int, float]:
    import os
    import random

    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    import ray
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining

    random.seed(seed)  # Ray Tune's PBT draws from `random`
    scheduler = PopulationBasedTraining(
        time_attr="training_iteration", perturbation_interval=INTERVAL,
        hyperparam_mutations={"alpha": tune.loguniform(1e-6, 1e-1),
                              "eta0": tune.loguniform(1e-4, 1.0)},
        quantile_fraction=QUANTILE, resample_probability=RESAMPLE)
    with quiet():
        # A Ray instance of its own ("local"), never a cluster someone else runs here.
        ray.init(address="local", num_cpus=population, include_dashboard=False,
                 log_to_driver=False, object_store_memory=100 * 2**20)
    try:
        tuner = tune.Tuner(
            _ray_trainable,
            param_space={"alpha": tune.loguniform(1e-6, 1e-1),
                         "eta0": tune.loguniform(1e-4, 1.0), "epochs": epochs},
            tune_config=tune.TuneConfig(scheduler=scheduler, num_samples=population,
                                        metric="error", mode="min"),
            run_config=tune.RunConfig(storage_path=str(folder / f"ray-{seed}"), verbose=0,
                                      stop={"training_iteration": epochs}),
        )
        t0 = time.perf_counter()
        with quiet():
            grid = tuner.fit()
        seconds = time.perf_counter() - t0
    finally:
        ray.shutdown()
    if grid.num_errors:
        raise RuntimeError(f"{grid.num_errors} Ray Tune trial(s) failed")
    rows = [result.metrics_dataframe for result in grid]
    trained = sum(len(frame) for frame in rows)
    finals = [float(frame["error"].iloc[-1]) for frame in rows
              if int(frame["epoch"].iloc[-1]) == epochs]
    return min(finals), trained, seconds


def _real_table(bench: Benchmark, reps: int, population: int, epochs: int) -> Table:
    out = Table(
        "PBT on a real task with checkpoints: SGD on digits",
        f"Validation error of the recommended model (best at epoch {epochs}; lower is "
        f"better), epochs trained and wall seconds, {population} members at a time, "
        f"perturbation every {INTERVAL} epochs; random search trains {population} "
        f"configurations x {epochs} epochs (equal compute); Syne Tune's PBT stops at "
        f"{population * epochs} reported epochs.",
        ["system", "final error", "epochs trained", "wall s", "error vs random",
         "wall vs hpo-bridge pbt"],
    )
    systems: dict[str, Callable[[Path, int], tuple[float, int, float]]] = {
        f"{HPO} random": lambda f, s: _hpo_real(f, "random", s, population, epochs),
        f"{HPO} pbt": lambda f, s: _hpo_real(f, "pbt", s, population, epochs),
    }
    if have("syne_tune"):
        systems[f"{SYNE} PBT"] = lambda f, s: _syne_real(f, s, population, epochs)
    if have("ray.tune"):
        systems[f"{RAY} PBT"] = lambda f, s: _ray_real(f, s, population, epochs)
    errors: dict[str, tuple[str, str]] = {}
    figures: dict[str, list[tuple[float, int, float]]] = {k: [] for k in systems}
    with scratch("hpo-bench-pbt-real-") as folder:
        for rep in range(reps):  # interleaved: load changes hit every system alike
            for label, measure in systems.items():
                if label in errors:
                    continue
                try:
                    figures[label].append(measure(folder, 4000 + rep))
                except Exception as exc:  # noqa: BLE001 - shown in the table
                    errors[label] = unavailable(exc)
    for label, runs in figures.items():
        if runs and label not in errors:
            bench.record(label, "digits/final_error", [r[0] for r in runs])
            bench.record(label, "digits/epochs_trained", [r[1] for r in runs], "epochs")
            bench.record(label, "digits/wall_seconds", [r[2] for r in runs], "s")
    base = bench.get(f"{HPO} random", "digits/final_error")
    mine = bench.get(f"{HPO} pbt", "digits/wall_seconds")
    for label in systems:
        error = bench.get(label, "digits/final_error")
        if error is None:
            kind, why = errors.get(label, ("pending", "not run"))
            out.rows.append([label, kind, "-", "-", "-", "-"])
            out.notes.append(f"{label}: {kind}: {why}")
            out.status = "partial"
            continue
        wall = bench.get(label, "digits/wall_seconds")
        out.rows.append([label, cell(error, 3), cell(bench.get(label, "digits/epochs_trained"), 4),
                         cell(wall, 3), ratio(error, base), ratio(wall, mine)])
    out.notes.append("hpo-bridge's PBT runs each member's segment of "
                     f"{INTERVAL} epochs as its own process (exact checkpoints, a process start "
                     "per segment); Syne Tune's keeps members running and restarts only the "
                     "exploited ones, copying a donor that is still training.")
    out.notes.append("Ray Tune's PBT restores an exploited trial in place from the donor's "
                     "last reported checkpoint (each report carries one); its wall time "
                     "includes starting and stopping a local Ray instance.")
    return out


def run(quick: bool) -> Benchmark:
    bench = Benchmark(NAME, TITLE)
    sim_reps, real_reps = (3, 1) if quick else (20, 3)
    population, real_epochs = 8, (9 if quick else 18)
    real_population = 4
    bench.settings = {
        "simulated repetitions": sim_reps, "population (simulated)": population,
        "epochs (simulated)": EPOCHS, "perturbation_interval": INTERVAL,
        "quantile_fraction": QUANTILE, "resample_probability": RESAMPLE,
        "real-task repetitions": real_reps, "population (real task)": real_population,
        "epochs (real task)": real_epochs, "seeds": "3000 + repetition (simulated), "
        "4000 + repetition (real task)",
    }
    problems = [_table_problem(simulator_curves()), _hartmann_problem(),
                _table_problem(digits_sgd(100, reuse=quick))]
    for problem in problems:
        bench.tables.append(_sim_table(bench, problem, sim_reps, population))
    bench.tables.append(_real_table(bench, real_reps, real_population, real_epochs))
    return bench

