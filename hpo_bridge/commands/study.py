"""run, resume, status, results, best: a study from start to results.

Exit codes: 0 the study finished; 1 it ended for a failure rule (or was cancelled);
2 user error (bad spec, flag or directory: one line, no traceback); 130 interrupted
with Ctrl-C (`resume DIR` continues it; the trials that ran are recorded cancelled
"interrupted (Ctrl-C)", not counted against max_trials, and re-proposed).

`status` and the `results` table show "interrupted" for such trials and for trials still
"running" in a study no orchestrator runs any more (killed); `--json` keeps stored statuses.

`run` keeps the study in `--study-dir`, by default `./studies/<name>-<YYYYmmdd-HHMMSS>`
(a `-2`, `-3`... suffix if that exists already).
"""

from __future__ import annotations

import json
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from hpo_bridge.cli import EXIT_FAILED, EXIT_OK, fail, load_or_exit

EXIT_INTERRUPTED = 130
ENDED = ("finished", "failed", "cancelled")


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(resume)
    app.command()(status)
    app.command()(results)
    app.command()(best)


DirArg = Annotated[Path, typer.Argument(help="The study directory.")]


# -- helpers ---------------------------------------------------------------------------
def default_study_dir(name: str, root: Path | None = None) -> Path:
    base = (root or Path("studies")) / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def _open_store(directory: Path):
    from hpo_bridge.spec import SpecError
    from hpo_bridge.store import Store, StoreError

    try:
        return Store.open(directory)
    except StoreError as exc:
        fail(str(exc))
    except SpecError as exc:
        fail(exc.render())


def store_meta_native(directory: Path) -> str | None:
    """The native backend a study runs on, or None for a local study."""
    from hpo_bridge.native import META_BACKEND, META_HANDLE

    with _open_store(directory) as store:
        if store.get_meta(META_HANDLE) is None:
            return None
        return store.get_meta(META_BACKEND)


def _exit_code(status: str) -> int:
    return EXIT_OK if status == "finished" else EXIT_FAILED


def _pid_alive(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _shown_status(store) -> tuple[str, str | None]:
    """The stored status, with a running study whose orchestrator is gone shown as such."""
    st = store.study_status()
    native = store.get_meta("native_handle") is not None  # the cloud runs it, not a pid
    if st.status == "running" and not native and not _pid_alive(st.pid):
        return "interrupted", "the orchestrator stopped before the study ended"
    return st.status, st.reason


def _trials_may_run(store) -> bool:
    """False when no orchestrator runs this local study: its "running" trials are dead
    (shown "interrupted"). A native study's trials are the cloud's: as synced."""
    return store.get_meta("native_handle") is not None or _shown_status(store)[0] == "running"


def _drive(directory: Path, spec, start) -> int:
    """Run `start(sink, on_tuner)` with live progress; print the outcome; the exit code."""
    from hpo_bridge.contracts.base import ContractError
    from hpo_bridge.executors.simulator import SimulationError
    from hpo_bridge.results.progress import ProgressView
    from hpo_bridge.spec import SpecError
    from hpo_bridge.store import Store, StoreError

    done = 0
    if Store.exists(directory):
        with Store.open(directory) as store:
            done = sum(1 for t in store.trials() if t.status.terminal)
    view = ProgressView(spec, total=spec.max_trials, done=done)
    view.start()
    try:
        ended = start(view, None)
    except KeyboardInterrupt:
        view.stop()
        typer.echo(f"interrupted; continue with: hpo-bridge resume {directory}", err=True)
        return EXIT_INTERRUPTED
    except (SimulationError, StoreError, ContractError, KeyError) as exc:
        view.stop()
        fail(str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc))
    except SpecError as exc:
        view.stop()
        fail(exc.render())
    finally:
        view.stop()
    typer.echo(f"study {ended.status}: {ended.reason}")
    _print_best(directory)
    typer.echo(f"study directory: {directory}")
    return _exit_code(ended.status)


def _print_best(directory: Path) -> None:
    from hpo_bridge.results.results import best_dict

    with _open_store(directory) as store:
        out = best_dict(store.spec, store.trials())
    if "pareto" in out:
        typer.echo(f"pareto set: {len(out['pareto'])} trial(s)")
        for t in out["pareto"]:
            typer.echo(f"  trial {t['id']}: {_fmt_obj(t['objective'])} {_fmt_params(t['params'])}")
    elif out["best"] is not None:
        t = out["best"]
        typer.echo(f"best: trial {t['id']} {_fmt_obj(t['objective'])} {_fmt_params(t['params'])}")
    else:
        typer.echo("best: no trial has a result")


def _fmt_value(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else json.dumps(v) if v is None else str(v)


def _fmt_obj(obj: Any) -> str:
    if isinstance(obj, dict):
        return ", ".join(f"{k}={_fmt_value(v)}" for k, v in obj.items())
    return _fmt_value(obj)


def _fmt_params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={_fmt_value(v)}" for k, v in params.items())


# -- commands ----------------------------------------------------------------------------
def run(
    spec: Annotated[Path, typer.Argument(help="The spec file (YAML or JSON).")],
    backend: Annotated[
        str, typer.Option(help="Where to run: local or a native backend.")
    ] = "local",
    study_dir: Annotated[
        Path | None,
        typer.Option(help="Where the study is kept (default ./studies/<name>-<timestamp>)."),
    ] = None,
    simulate: Annotated[
        str | None,
        typer.Option(help="Simulate trials: a benchmark (branin, hartmann6, branin-mf,"
                          " hartmann6-mf, curves) or a table JSON file."),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Override strategy.seed.")] = None,
    sim_speed: Annotated[
        float | None,
        typer.Option(help="With --simulate: simulated seconds per real second (default: as"
                          " fast as possible).", min=0.0),
    ] = None,
    detach: Annotated[
        bool, typer.Option(help="Native backends: submit and return (`status DIR` follows).")
    ] = False,
    poll_interval: Annotated[
        float, typer.Option(help="Native backends: seconds between status polls.", min=0.1)
    ] = 30.0,
    approximate: Annotated[
        bool, typer.Option(help="Native backends: approximate what the cloud cannot express.")
    ] = False,
) -> None:
    """Run a tuning study to its end (live progress; results kept in the study directory)."""
    from hpo_bridge.plugins import registry

    loaded = load_or_exit(spec)
    if seed is not None:
        strategy = loaded.strategy.model_copy(update={"seed": seed})
        base = loaded.base_dir
        loaded = loaded.model_copy(update={"strategy": strategy})
        loaded._base_dir = base
    reg = registry()
    if reg.get("backends", backend) is None:
        installed = ", ".join(reg.names("backends"))
        fail(f"--backend: unknown backend {backend!r} (installed: {installed})")
    directory = study_dir or default_study_dir(loaded.name)
    if backend != "local":
        if simulate is not None:
            fail(f"--simulate runs on the local backend only (not --backend {backend})")
        raise typer.Exit(_native(lambda native: native.run_native(
            loaded, backend, directory, detach=detach, poll_interval=poll_interval,
            approximate=approximate,
        )))
    from hpo_bridge.store import Store

    if Store.exists(directory):
        fail(f"--study-dir {directory}: already holds a study;"
             f" continue it with `hpo-bridge resume {directory}`")
    executor, options = "process", {}
    if simulate is not None:
        from hpo_bridge.executors.simulator import SimulationError, load_source

        try:
            load_source(simulate, loaded)
        except SimulationError as exc:
            fail(str(exc))
        source = simulate if not Path(simulate).is_file() else str(Path(simulate).resolve())
        executor, options = "simulator", {"source": source}
        if sim_speed:
            options["speed"] = sim_speed
    elif sim_speed is not None:
        fail("--sim-speed applies only with --simulate")
    from hpo_bridge.local_backend import LocalBackend

    def start(sink, on_tuner):
        return LocalBackend().run(loaded, directory, executor=executor,
                                  executor_options=options, sink=sink, on_tuner=on_tuner)

    raise typer.Exit(_drive(directory, loaded, start))


def _native(call) -> int:
    """Run `call(hpo_bridge.native)`; native studies are followed by that module."""
    from hpo_bridge import native
    from hpo_bridge.backend import BackendError, UnsupportedFeatures
    from hpo_bridge.store import StoreError

    try:
        status = call(native)
    except (BackendError, UnsupportedFeatures, StoreError) as exc:
        fail(str(exc))
    return EXIT_OK if status.state in ("completed", "running", "stopping") else EXIT_FAILED


def resume(directory: DirArg) -> None:
    """Continue a study that was interrupted (killed, crashed or stopped with Ctrl-C)."""
    store = _open_store(directory)
    shown, reason = _shown_status(store)
    st = store.study_status()
    spec = store.spec
    store.close()
    if st.status in ENDED:
        typer.echo(f"study already {st.status}: {reason}")
        raise typer.Exit(_exit_code(st.status))
    native_backend = store_meta_native(directory)
    if native_backend is not None:  # follow the cloud's job again
        raise typer.Exit(_native(lambda native: native.run_native(spec, native_backend,
                                                                  directory)))
    if shown == "running":
        fail(f"{directory}: the study is running (orchestrator pid {st.pid})")
    from hpo_bridge.local_backend import LocalBackend

    def start(sink, on_tuner):
        return LocalBackend().resume(directory, sink=sink, on_tuner=on_tuner)

    raise typer.Exit(_drive(directory, spec, start))


def status(
    directory: DirArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The study's status, trial counts and best trial."""
    from collections import Counter

    from hpo_bridge.core.ranking import best_trial

    backend = store_meta_native(directory)
    if backend is not None:  # a native study: bring its trials up to date first
        from hpo_bridge.backend import BackendError
        from hpo_bridge.native import sync_native

        try:
            sync_native(directory)
        except BackendError as exc:
            typer.echo(f"warning: cannot reach {backend}: {exc}", err=True)
    with _open_store(directory) as store:
        spec, trials = store.spec, store.trials()
        shown, reason = _shown_status(store)
        runs = _trials_may_run(store)
        backend = backend or store.get_meta("backend", "local")
    top = None if spec.multi_objective else best_trial(spec, trials)
    if as_json:  # machine-readable: the stored statuses (see results/results.py)
        from hpo_bridge.results.results import trial_dict

        counts = Counter(t.status.value for t in trials)
        typer.echo(json.dumps({
            "name": spec.name, "status": shown, "reason": reason, "backend": backend,
            "trials": len(trials), "max_trials": spec.max_trials, "counts": dict(counts),
            "best": trial_dict(spec, top) if top is not None else None,
        }, indent=2))
        return
    from hpo_bridge.results.results import shown_status

    counts = Counter(shown_status(t, runs) for t in trials)
    typer.echo(f"study {spec.name} ({backend}): {shown}" + (f" - {reason}" if reason else ""))
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    rerun = sum(1 for t in trials if t.stage != "hpo")  # Vega's fullytrain: beyond max_trials
    typer.echo(f"trials: {len(trials) - rerun} of {spec.max_trials}"
               + (f" + {rerun} fullytrain" if rerun else "") + (f" ({parts})" if parts else ""))
    if top is not None:
        typer.echo(f"best: trial {top.id} {spec.primary.metric}="
                   f"{_fmt_value(top.objective(spec.primary.goal, spec.primary.measurement))}"
                   f" {_fmt_params(top.params)}")


def results(
    directory: DirArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print {\"trials\": [...]}.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV, one row per trial.")] = False,
) -> None:
    """Every trial: params, status, intervals, objective, reason; then the best trial."""
    from hpo_bridge.results.results import results_csv, results_dict

    if as_json and as_csv:
        fail("--json and --csv: choose one")
    with _open_store(directory) as store:
        spec, trials = store.spec, store.trials()
        runs = _trials_may_run(store)
    if as_json:
        typer.echo(json.dumps(results_dict(spec, trials), indent=2))
        return
    if as_csv:
        sys.stdout.write(results_csv(spec, trials))
        return
    from rich.console import Console

    from hpo_bridge.results.table import results_table

    table = results_table(spec, trials, study_runs=runs)
    console = Console()
    if not console.is_terminal:  # a file or a pipe: the table at its natural width
        console = Console(width=10_000)
    console.print(table, crop=False, soft_wrap=False)
    _print_best(directory)


def best(
    directory: DirArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The best trial (the Pareto set for several objectives)."""
    from hpo_bridge.results.results import best_dict

    with _open_store(directory) as store:
        out = best_dict(store.spec, store.trials())
    if as_json:
        typer.echo(json.dumps(out, indent=2))
        return
    _print_best(directory)
