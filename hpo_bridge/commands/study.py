"""run, resume, status, results, best: a study from start to results.

Exit codes: 0 the study finished (or runs on, detached); 1 it ended for a failure rule
(or was cancelled); 2 user error (bad spec, flag or directory: one line, no traceback);
130 interrupted with Ctrl-C (`resume DIR` continues it; the trials that ran are recorded
cancelled "interrupted (Ctrl-C)", not counted against max_trials, and re-proposed).

`status` and the `results` table show "interrupted" for such trials and for trials still
"running" in a study nothing runs any more (killed); `--json` keeps stored statuses.

`run` keeps the study in `--study-dir`, by default `./studies/<name>-<YYYYmmdd-HHMMSS>`
(a `-2`, `-3`... suffix if that exists already).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hpo_bridge.commands._support import exit_code, load_or_exit, study_errors

DirArg = Annotated[Path, typer.Argument(help="The study directory.")]


def register(app: typer.Typer) -> None:
    app.command()(run)
    app.command()(resume)
    app.command()(status)
    app.command()(results)
    app.command()(best)


# -- printing ----------------------------------------------------------------------------
def _fmt_value(v: Any) -> str:
    return f"{v:.6g}" if isinstance(v, float) else json.dumps(v) if v is None else str(v)


def _fmt_obj(obj: Any) -> str:
    if isinstance(obj, dict):
        return ", ".join(f"{k}={_fmt_value(v)}" for k, v in obj.items())
    return _fmt_value(obj)


def _fmt_params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={_fmt_value(v)}" for k, v in params.items())


def _print_best(directory: Path) -> None:
    from hpo_bridge import study

    with study_errors():
        out = study.best(directory)
    if "pareto" in out:
        typer.echo(f"pareto set: {len(out['pareto'])} trial(s)")
        for t in out["pareto"]:
            typer.echo(f"  trial {t['id']}: {_fmt_obj(t['objective'])} {_fmt_params(t['params'])}")
    elif out["best"] is not None:
        t = out["best"]
        typer.echo(f"best: trial {t['id']} {_fmt_obj(t['objective'])} {_fmt_params(t['params'])}")
    else:
        typer.echo("best: no trial has a result")


def _finish(outcome: Any, directory: Path) -> int:
    """Print how the run ended; the exit code."""
    if outcome.status == "interrupted":
        typer.echo(f"{outcome.reason}; resume with: hpo-bridge resume {directory}", err=True)
        return exit_code(outcome.status, outcome.signal)
    if outcome.status == "running":  # detached: the cloud runs on
        return exit_code(outcome.status)
    typer.echo(f"study {outcome.status}" + (f": {outcome.reason}" if outcome.reason else ""))
    _print_best(directory)
    typer.echo(f"study directory: {directory}")
    return exit_code(outcome.status)


def _width() -> int | None:
    """The width to fit: the terminal's; when not a terminal, COLUMNS if set, else none
    (a file or a pipe gets every column)."""
    import os
    import shutil

    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def _view() -> Any:
    from hpo_bridge.results.progress import ProgressView

    return ProgressView()


# -- commands ----------------------------------------------------------------------------
def run(
    spec: Annotated[Path, typer.Argument(help="The spec file (YAML or JSON).")],
    backend: Annotated[
        str, typer.Option(help="Where to run: local or an installed backend (see `plugins`).")
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
    from hpo_bridge import study
    from hpo_bridge.backends.base import RunOptions

    loaded = load_or_exit(spec)
    if seed is not None:
        loaded = study.with_seed(loaded, seed)
    options = RunOptions(simulate=simulate, sim_speed=sim_speed, detach=detach,
                         poll_interval=poll_interval, approximate=approximate)
    with study_errors():
        outcome, directory = study.run(loaded, backend=backend, study_dir=study_dir,
                                       options=options, view=_view())
    raise typer.Exit(_finish(outcome, directory))


def resume(directory: DirArg) -> None:
    """Continue a study that was interrupted (killed, crashed or stopped with Ctrl-C)."""
    from hpo_bridge import study

    with study_errors():
        outcome = study.resume(directory, view=_view())
    if outcome.ended_before:
        typer.echo(f"study already {outcome.status}: {outcome.reason}")
        raise typer.Exit(exit_code(outcome.status))
    raise typer.Exit(_finish(outcome, directory))


def status(
    directory: DirArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The study's status, trial counts and best trial."""
    from hpo_bridge import study
    from hpo_bridge.core.ranking import best_trial
    from hpo_bridge.results.results import shown_status, trial_dict

    with study_errors():
        snap = study.snapshot(directory)
    for warning in snap.warnings:
        typer.echo(f"warning: {warning}", err=True)
    spec, trials = snap.spec, snap.trials
    top = None if spec.multi_objective else best_trial(spec, trials)
    from collections import Counter

    counts = Counter(shown_status(t, snap.live) for t in trials)
    if as_json:  # the same statuses as every view (see results/results.py)
        typer.echo(json.dumps({
            "name": spec.name, "status": snap.status, "reason": snap.reason,
            "backend": snap.backend, "trials": len(trials), "max_trials": spec.max_trials,
            "counts": dict(counts),
            "best": trial_dict(spec, top) if top is not None else None,
            "timing": snap.timing.as_dict() if snap.timing else None,
        }, indent=2))
        return
    typer.echo(f"study {spec.name} ({snap.backend}): {snap.status}"
               + (f" - {snap.reason}" if snap.reason else ""))
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items()))
    rerun = sum(1 for t in trials if t.stage != "hpo")  # Vega's fullytrain: beyond max_trials
    typer.echo(f"trials: {len(trials) - rerun} of {spec.max_trials}"
               + (f" + {rerun} fullytrain" if rerun else "") + (f" ({parts})" if parts else ""))
    if top is not None:
        typer.echo(f"best: trial {top.id} {spec.primary.metric}="
                   f"{_fmt_value(top.objective(spec.primary.goal, spec.primary.measurement))}"
                   f" {_fmt_params(top.params)}")
    if snap.timing is not None:
        typer.echo(_timing_line(snap.timing))


def _timing_line(timing: Any) -> str:
    """`time: started 2026-11-03 14:02:11 UTC, ran 5m 02s, compute 18m 40s (3.7x)`."""
    from hpo_bridge.results.table import seconds_text
    from hpo_bridge.store.timing import iso

    parts = []
    started = iso(timing.clock.started)
    if started is not None:
        parts.append(f"started {started[:19].replace('T', ' ')} UTC")
    simulated = " simulated" if timing.clock.simulated else ""
    parts.append(f"ran {seconds_text(timing.wall_time)}{simulated}")
    ratio = f" ({timing.compute / timing.wall_time:.1f}x)" if timing.wall_time > 0 else ""
    parts.append(f"compute {seconds_text(timing.compute)}{ratio}")
    return "time: " + ", ".join(parts)


def results(
    directory: DirArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print {\"trials\": [...]}.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV, one row per trial.")] = False,
) -> None:
    """Every trial: params, status, intervals, objective, reason; then the best trial."""
    from hpo_bridge import study
    from hpo_bridge.commands._support import fail
    from hpo_bridge.results.results import results_csv, results_dict

    if as_json and as_csv:
        fail("--json and --csv: choose one")
    with study_errors():
        snap = study.snapshot(directory, refresh=False)
    if as_json:
        typer.echo(json.dumps(results_dict(snap.spec, snap.trials, snap.live, snap.timing),
                              indent=2))
        return
    if as_csv:
        clock = snap.timing.clock if snap.timing else None
        sys.stdout.write(results_csv(snap.spec, snap.trials, snap.live, clock))
        return
    from hpo_bridge.results.table import results_table

    width = _width()
    table = results_table(snap.spec, snap.trials, study_runs=snap.live, width=width)
    for line in table.lines(width):
        typer.echo(line)
    _print_best(directory)


def best(
    directory: DirArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The best trial (the Pareto set for several objectives)."""
    from hpo_bridge import study

    if as_json:
        with study_errors():
            typer.echo(json.dumps(study.best(directory), indent=2))
        return
    _print_best(directory)
