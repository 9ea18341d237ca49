"""7. Ray: what running trials on a Ray cluster costs per trial, against peers.

One local Ray cluster (`ray.cluster_utils.Cluster`: a head and a worker node, 1 CPU each,
so 2 trials run at once) serves every Ray system; the same two trials run on all of them:
a no-op (scripts/noop.py: a process that prints one metric) and a one-second trial
(scripts/sleep1.py: sleeps a second, then prints it). Systems, side by side in one run:
- hpo-bridge's process executor (this machine, 2 at a time): the floor without Ray;
- hpo-bridge's ray executor on the cluster (default scheduling: runners are reused);
- Ray Tune on the same cluster, its function trainable running the same script as a
  process (the same work per trial), and Ray Tune's own in-process trial
  (`time.sleep(1)` then `tune.report`), the setup of its published bookkeeping figure.
Each system runs a small and a large study; the per-trial overhead is the marginal cost
of a trial, (wall(large) - wall(small)) x parallel slots / (large - small) - the trial's
own duration, and the start-up is what the small study costs beyond its trials. The
anchor: Ray Tune's published bookkeeping benchmark, 10,000 one-second trials on 16 CPUs
in 715 s against a 625 s ideal: +14% over ideal.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import HPO, Benchmark, Table, cell, have, quiet, scratch, unavailable

NAME = "ray_overhead"
TITLE = "7. Ray: per-trial overhead on a local Ray cluster (hpo-bridge vs Ray Tune)"
SCRIPTS = Path(__file__).resolve().parent / "scripts"
TRIALS = {"no-op": SCRIPTS / "noop.py", "1 s": SCRIPTS / "sleep1.py"}
DURATION = {"no-op": 0.0, "1 s": 1.0}  # the trial's own work, beyond starting a process
PARALLEL = 2  # two nodes of one CPU each; the local executor runs two at a time
ANCHOR = {"trials": 10_000, "cpus": 16, "seconds": 715.0, "ideal": 625.0}
TUNE_NATIVE = "Ray Tune (function trial in-process)"
LOSS = re.compile(r"loss=([0-9.]+)")


def _spec_data(folder: Path, script: Path, n: int) -> dict[str, Any]:
    return {
        "name": "ray-bench",
        "objective": {"metric": "loss", "goal": "minimize"},
        "metrics": [{"name": "loss", "regex": r"loss=([0-9.]+)"}],
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 1},
        "limits": {"max_trials": n, "max_parallel": PARALLEL, "max_failed": n},
        "trial": {"command": ["python", str(script)], "code": str(folder)},
    }


def _time_hpo(folder: Path, script: Path, n: int, tag: str, executor: str = "process",
              address: str | None = None) -> float:
    from hpo_bridge.backends.base import RunOptions
    from hpo_bridge.backends.local import LocalBackend
    from hpo_bridge.spec import validate_spec

    spec = validate_spec(_spec_data(folder, script, n), base_dir=folder)
    backend = LocalBackend()
    name, options = backend.executor_for(spec, RunOptions(executor=executor,
                                                          ray_address=address))
    t0 = time.perf_counter()
    ended = backend.start(spec, folder / f"study-{tag}", executor=name,
                          executor_options=options)
    seconds = time.perf_counter() - t0
    if ended.status != "finished":
        raise RuntimeError(f"the study ended {ended.status}: {ended.reason}")
    return seconds


def _tune_process_trainable(script: str) -> Any:
    """A Tune function trainable that runs `script` as a process, as hpo-bridge does."""
    def trainable(config: dict[str, Any]) -> None:
        from ray import tune

        out = subprocess.run([sys.executable, script, f"--x={config['x']}"],
                             capture_output=True, text=True, check=True)
        tune.report({"loss": float(LOSS.findall(out.stdout)[-1])})
    return trainable


def _native_trainable(config: dict[str, Any]) -> None:
    from ray import tune

    time.sleep(1.0)
    tune.report({"loss": config["x"]})


def _time_tune(folder: Path, trainable: Any, n: int, tag: str) -> float:
    from ray import tune

    tuner = tune.Tuner(
        trainable,
        param_space={"x": tune.uniform(0.0, 1.0)},
        tune_config=tune.TuneConfig(num_samples=n, max_concurrent_trials=PARALLEL,
                                    metric="loss", mode="min"),
        run_config=tune.RunConfig(storage_path=str(folder / f"tune-{tag}"), verbose=0),
    )
    t0 = time.perf_counter()
    with quiet():
        grid = tuner.fit()
    seconds = time.perf_counter() - t0
    if grid.num_errors:
        raise RuntimeError(f"{grid.num_errors} Ray Tune trial(s) failed")
    return seconds


def _cluster() -> Any:
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "include_dashboard": False, "object_store_memory": 100 * 2**20})
    cluster.add_node(num_cpus=1, object_store_memory=100 * 2**20)
    cluster.wait_for_nodes()
    return cluster


def run(quick: bool) -> Benchmark:
    bench = Benchmark(NAME, TITLE)
    reps, sizes = (1, (3, 12)) if quick else (2, (10, 30))
    bench.settings = {"repetitions": reps, "trials per study (small, large)": list(sizes),
                      "parallel": PARALLEL,
                      "cluster": "head + 1 worker node, 1 CPU each (ray.cluster_utils)"}
    systems = [f"{HPO} process executor (local)", f"{HPO} ray executor",
               "Ray Tune (same script as a process)", TUNE_NATIVE]
    walls: dict[tuple[str, str, int], list[float]] = {}
    runs = itertools.count(1)
    errors: dict[str, tuple[str, str]] = {}
    if not have("ray"):
        raise RuntimeError("ray is not installed (make bench installs the bench extra)")
    cluster = _cluster()
    try:
        import ray

        ray.init(address=cluster.address, log_to_driver=False, logging_level="ERROR")
        with scratch("hpo-bench-ray-") as folder:
            for _ in range(reps):  # interleaved, so load changes hit every system alike
                for trial, script in TRIALS.items():
                    for n in sizes:
                        measures = _measures(systems, trial, script, n, cluster.address)
                        for label, measure in measures.items():
                            if label in errors:
                                continue
                            tag = str(next(runs))  # each study in a folder of its own
                            try:
                                wall = measure(folder, tag)
                            except Exception as exc:  # noqa: BLE001 - shown in the table
                                errors[label] = unavailable(exc)
                                continue
                            walls.setdefault((label, trial, n), []).append(wall)
        ray.shutdown()
    finally:
        cluster.shutdown()
    small, large = sizes
    for label in systems:
        for trial in TRIALS:
            low, high = walls.get((label, trial, small)), walls.get((label, trial, large))
            if not low or not high:
                continue
            bench.record(label, f"wall_{trial}_{large}", high, "s")
            marginal = [(h - lo) * PARALLEL / (large - small) - DURATION[trial]
                        for lo, h in zip(low, high, strict=True)]
            bench.record(label, f"overhead_{trial}", marginal, "s")
            startup = [lo - small * (DURATION[trial] + m) / PARALLEL
                       for lo, m in zip(low, marginal, strict=True)]
            bench.record(label, f"startup_{trial}", startup, "s")
            if trial == "1 s":
                bench.record(label, "over_ideal_1 s",
                             [h / (large * DURATION[trial] / PARALLEL) - 1 for h in high])
    bench.tables.append(_table(bench, systems, errors, large))
    return bench


def _measures(systems: list[str], trial: str, script: Path, n: int,
              address: str) -> dict[str, Any]:
    """How each system runs `n` trials of `script`: (folder, tag) -> wall seconds."""
    measures: dict[str, Any] = {
        systems[0]: lambda f, t: _time_hpo(f, script, n, t),
        systems[1]: lambda f, t: _time_hpo(f, script, n, t, "ray", address),
        systems[2]: lambda f, t: _time_tune(f, _tune_process_trainable(str(script)), n, t),
    }
    if trial == "1 s":
        measures[TUNE_NATIVE] = lambda f, t: _time_tune(f, _native_trainable, n, t)
    return measures


def _table(bench: Benchmark, systems: list[str], errors: dict, n: int) -> Table:
    anchor = ANCHOR["seconds"] / ANCHOR["ideal"] - 1
    table = Table(
        "Per-trial overhead, no-op and one-second trials, 2 at a time",
        f"Seconds of a parallel slot each further trial costs beyond its own work (the"
        f" marginal cost between the small and the large study), the start-up of a study,"
        f" and the large one-second study's wall time over its ideal ({n} x 1 s /"
        f" {PARALLEL}); Ray Tune's published anchor: "
        f"{ANCHOR['trials']:,} one-second trials on {ANCHOR['cpus']} CPUs in "
        f"{ANCHOR['seconds']:.0f} s vs {ANCHOR['ideal']:.0f} s ideal = +{anchor:.0%}.",
        ["system", "overhead/trial, no-op (s)", "overhead/trial, 1 s (s)",
         "start-up, 1 s study (s)", f"{n} x 1 s study vs ideal"],
    )
    for label in systems:
        if label in errors:
            kind, why = errors[label]
            table.rows.append([label, kind, "-", "-", "-"])
            table.notes.append(f"{label}: {kind}: {why}")
            table.status = "partial"
            continue
        ideal = bench.get(label, "over_ideal_1 s")
        table.rows.append([
            label,
            cell(bench.get(label, "overhead_no-op"), 3),
            cell(bench.get(label, "overhead_1 s"), 3),
            cell(bench.get(label, "startup_1 s"), 3),
            f"+{ideal['median']:.0%}" if ideal and ideal.get("median") is not None else "-",
        ])
    published = (ANCHOR["seconds"] - ANCHOR["ideal"]) * ANCHOR["cpus"] / ANCHOR["trials"]
    table.rows.append(["Ray Tune, published (16 CPUs, 10,000 trials)", "-",
                       f"{published:.3f}", "-", f"+{anchor:.0%}"])
    table.notes.append(
        "The process-trial rows include starting a Python process per trial (the no-op's "
        "whole cost); the in-process Ray Tune row is the setup of Ray Tune's published "
        "figure. Start-up: hpo-bridge's link process, ray.init, the code upload and the first "
        "runners; Tune's experiment set-up. Ray Tune's published figure spreads its start-up "
        "over 10,000 trials; the 'vs ideal' column here spreads it over a few dozen.")
    return table


if __name__ == "__main__":  # a quick look: python -m benchmarks.ray_overhead
    print(json.dumps(run(quick=True).to_dict(), indent=1))
