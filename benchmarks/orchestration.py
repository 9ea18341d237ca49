"""3. Orchestration cost: what running trials as processes costs beyond the processes.

The same no-op trial script (scripts/noop.py) is run N times, 2 at a time, by:
`hpo-bridge run` (the local emulator: process executor, regex contract, SQLite
store), bare `xargs -P2` (the floor: process launches only), and Syne Tune's
LocalBackend. Per-trial cost = wall time of the whole run / N. CLI start-up is
timed separately, against `python -c pass` and optuna's own CLI.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.common import (
    HPO,
    OPTUNA,
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

NAME = "orchestration"
TITLE = "3. Orchestration cost (local emulator against bare launches and Syne Tune)"
NOOP = Path(__file__).resolve().parent / "scripts" / "noop.py"
PARALLEL = 2
SYNE_SLEEP = 0.05  # Syne Tune's default loop sleep is 5 s; a short one measures its machinery


def _bin(name: str) -> str | None:
    """A console script of this interpreter's environment (venv), else from PATH."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else shutil.which(name)


def _hpo_spec_data(folder: Path, n: int) -> dict:
    return {
        "name": "noop",
        "objective": {"metric": "loss", "goal": "minimize"},
        "metrics": [{"name": "loss", "regex": r"loss=([0-9.]+)"}],
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 1},
        "limits": {"max_trials": n, "max_parallel": PARALLEL},
        "trial": {"command": ["python", str(NOOP)], "code": str(folder)},
    }


def _hpo_spec(folder: Path, n: int) -> Path:
    path = folder / "noop.json"
    path.write_text(json.dumps(_hpo_spec_data(folder, n)))
    return path


def _time_hpo(folder: Path, n: int, rep: int) -> float:
    exe = _bin("hpo-bridge")
    assert exe, "the hpo-bridge console script is not installed"
    spec = _hpo_spec(folder, n)
    study = folder / f"study-{rep}"
    t0 = time.perf_counter()
    done = subprocess.run([exe, "run", str(spec), "--study-dir", str(study)],
                          capture_output=True, text=True, cwd=folder)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"hpo-bridge run exited {done.returncode}: {tail[0]}")
    return seconds


def _time_hpo_inprocess(folder: Path, n: int, rep: int) -> float:
    """The same study through the library (as Syne Tune's Tuner runs: no CLI start-up)."""
    from hpo_bridge.backends.local import LocalBackend
    from hpo_bridge.spec import validate_spec

    spec = validate_spec(_hpo_spec_data(folder, n), base_dir=folder)
    t0 = time.perf_counter()
    ended = LocalBackend().start(spec, folder / f"lib-study-{rep}")
    seconds = time.perf_counter() - t0
    if ended.status != "finished":
        raise RuntimeError(f"the study ended {ended.status}: {ended.reason}")
    return seconds


def _time_xargs(n: int) -> float:
    lines = "".join(f"--x={i / n:.4f}\n" for i in range(n))
    t0 = time.perf_counter()
    subprocess.run(["xargs", "-P", str(PARALLEL), "-L", "1", sys.executable, str(NOOP)],
                   input=lines, capture_output=True, text=True, check=True)
    return time.perf_counter() - t0


def _time_syne(n: int, rep: int) -> float:
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend import LocalBackend
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.baselines import RandomSearch

    scheduler = RandomSearch({"x": uniform(0.0, 1.0)}, metrics=["loss"], random_seed=rep)
    tuner = Tuner(
        trial_backend=LocalBackend(entry_point=str(NOOP)),
        scheduler=scheduler,
        stop_criterion=StoppingCriterion(max_num_trials_finished=n - 1),
        n_workers=PARALLEL,
        sleep_time=SYNE_SLEEP,
        save_tuner=False,
        wait_trial_completion_when_stopping=True,
        results_update_interval=1e9,
        print_update_interval=1e9,
    )
    t0 = time.perf_counter()
    with quiet():
        tuner.run()
    return time.perf_counter() - t0


def _startup(cmd: list[str], reps: int) -> list[float]:
    out = []
    for _ in range(reps):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        out.append(time.perf_counter() - t0)
    return out


def run(quick: bool) -> Benchmark:
    bench = Benchmark(NAME, TITLE)
    reps, n = (1, 10) if quick else (10, 40)
    bench.settings = {"repetitions": reps, "trials per run": n, "parallel": PARALLEL,
                      "Syne Tune sleep_time": SYNE_SLEEP}
    table = Table(
        "Per-trial wall cost, no-op trial, 2 at a time",
        f"Wall seconds per trial (whole run / {n} trials) of the same no-op script; "
        "'vs xargs' is the overhead over bare process launches (hpo-bridge aims within 1.15x).",
        ["system", "s per trial", "vs xargs -P2", "vs hpo-bridge run"],
    )
    cli, lib, syne = f"{HPO} run (CLI)", f"{HPO} LocalBackend (library)", f"{SYNE} LocalBackend"
    timings: dict[str, list[float]] = {"xargs -P2": [], cli: [], lib: [], syne: []}
    measures = {
        "xargs -P2": lambda folder, rep: _time_xargs(n),
        cli: lambda folder, rep: _time_hpo(folder, n, rep),
        lib: lambda folder, rep: _time_hpo_inprocess(folder, n, rep),
    }
    if have("syne_tune"):
        measures[syne] = lambda folder, rep: _time_syne(n, rep)
    errors: dict[str, tuple[str, str]] = {}
    with scratch("hpo-bench-orch-") as folder:
        for rep in range(reps):  # interleaved, so load changes hit every system alike
            for label, measure in measures.items():
                if label in errors:
                    continue
                try:
                    timings[label].append(measure(folder, rep) / n)
                except Exception as exc:  # noqa: BLE001 - shown in the table
                    errors[label] = unavailable(exc)
    for label, values in timings.items():
        if values and label not in errors:
            bench.record(label, "seconds_per_trial", values, "s")
    base, mine = bench.get("xargs -P2", "seconds_per_trial"), bench.get(cli, "seconds_per_trial")
    for label in timings:
        entry = bench.get(label, "seconds_per_trial")
        if entry is None:
            kind, why = errors.get(label, ("pending", "not installed"))
            table.rows.append([label, kind, "-", "-"])
            table.notes.append(f"{label}: {kind}: {why}")
            table.status = "partial"
            continue
        table.rows.append([label, cell(entry, 3), ratio(entry, base), ratio(entry, mine)])
    table.notes.append("`hpo-bridge run` pays its CLI start-up (next table) once per run; the "
                       "library row is the same study through LocalBackend in this process, "
                       "as Syne Tune's Tuner runs.")
    bench.tables.append(table)
    bench.tables.append(_startup_table(bench, 5 if quick else 10))
    return bench


def _startup_table(bench: Benchmark, reps: int) -> Table:
    table = Table(
        "CLI start-up",
        "Wall seconds from launch to exit of `--version`, with `python -c pass` as the floor "
        "(the interpreter alone).",
        ["command", "seconds", "vs python -c pass"],
    )
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        f"{HPO} --version": [_bin("hpo-bridge") or "hpo-bridge", "--version"],
    }
    if _bin("optuna") and have("optuna"):
        commands[f"{OPTUNA} --version"] = [_bin("optuna") or "optuna", "--version"]
    for label, cmd in commands.items():
        bench.record(label, "startup_seconds", _startup(cmd, reps), "s")
    floor = bench.get("python -c pass", "startup_seconds")
    for label in commands:
        entry = bench.get(label, "startup_seconds")
        table.rows.append([label, cell(entry, 3), ratio(entry, floor)])
    return table
