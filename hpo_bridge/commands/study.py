"""run, resume, status, results, best: a study from start to results.

Exit codes: 0 the study finished (or runs on, detached; or paused by this run's
--time-budget / --max-new-trials: the next run continues it); 1 it ended for a failure rule
(or was cancelled); 2 user error (bad spec, flag or directory: one line, no traceback);
3 the CI gate failed (`--fail-if`, see commands/ci.py); 130 interrupted with Ctrl-C (or
because where its trials run stopped answering: a Ray cluster), 143 with SIGTERM (`resume
DIR` continues it; the trials cut short run again, same id).
`status` exits 1 for a failed or cancelled study, else 0; `best` exits 1 when no trial has a
result.

Continuing across CI runs is explicit: `run SPEC --study-dir D --resume-if-exists`
continues the study in D (a raised max_trials extends it even when it had finished) and
refuses a spec whose changes make its trials incomparable. A flag rather than continuing
whenever the spec is unchanged: a mistyped --study-dir must not quietly add trials to
another study, and the command line says what the CI job means.

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

from hpo_bridge.commands import ci
from hpo_bridge.commands._support import (
    EXIT_FAILED,
    EXIT_OK,
    duration_or_exit,
    exit_code,
    load_or_exit,
    study_errors,
)

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


def _print_best(directory: Path) -> bool:
    """Print the best trial (or the Pareto set); False when no trial has a result."""
    from hpo_bridge import study

    with study_errors():
        out = study.best(directory)
    if out.get("pareto"):
        typer.echo(f"pareto set: {len(out['pareto'])} trial(s)")
        for t in out["pareto"]:
            typer.echo(f"  trial {t['id']}: {_fmt_obj(t['objective'])} {_fmt_params(t['params'])}")
    elif out.get("best") is not None:
        t = out["best"]
        typer.echo(f"best: trial {t['id']} {_fmt_obj(t['objective'])} {_fmt_params(t['params'])}")
    else:
        typer.echo("best: no trial has a result")
        return False
    return True


def _finish(outcome: Any, directory: Path) -> int:
    """Print how the run ended; the exit code."""
    if outcome.paused:
        typer.echo(f"study paused: {outcome.reason}; the next `run --resume-if-exists` (or"
                   f" `hpo-bridge resume {directory}`) continues it")
        _print_best(directory)
        return EXIT_OK
    if outcome.status == "interrupted":
        typer.echo(f"{outcome.reason}; resume with: hpo-bridge resume {directory}", err=True)
        return exit_code(outcome.status, outcome.signal)
    if outcome.ended_before:
        typer.echo(f"study already {outcome.status}: {outcome.reason}")
        _print_best(directory)
        return exit_code(outcome.status)
    if outcome.status == "running":  # detached: the cloud runs on
        return exit_code(outcome.status)
    typer.echo(f"study {outcome.status}" + (f": {outcome.reason}" if outcome.reason else ""))
    _print_best(directory)
    typer.echo(f"study directory: {directory}")
    return exit_code(outcome.status)


def _view() -> Any:
    from hpo_bridge.results.progress import ProgressView

    return ProgressView()


# -- commands ----------------------------------------------------------------------------
TimeBudget = Annotated[
    str | None,
    typer.Option(metavar="DURATION",
                 help="This run's time (e.g. 50m, under the CI job's timeout): trials are"
                      " launched only while they can end in time, the rest run next time."),
]
MaxNewTrials = Annotated[
    int | None, typer.Option(min=1, metavar="N", help="Start at most N new trials in this run.")
]


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
        bool, typer.Option("--detach",
                           help="Native backends: submit and return (`status DIR` follows).")
    ] = False,
    poll_interval: Annotated[
        float, typer.Option(help="Native backends: seconds between status polls.", min=0.1)
    ] = 30.0,
    approximate: Annotated[
        bool, typer.Option("--approximate",
                           help="Native backends: approximate what the cloud cannot express.")
    ] = False,
    resume_if_exists: Annotated[
        bool, typer.Option("--resume-if-exists",
                           help="Continue the study already in --study-dir (the next CI run):"
                                " it takes this spec's limits; changes that make its trials"
                                " incomparable are refused.")
    ] = False,
    max_trials: Annotated[
        int | None, typer.Option(min=1, metavar="N",
                                 help="Override limits.max_trials (a smoke run; raised, it"
                                      " extends a study with --resume-if-exists).")
    ] = None,
    time_budget: TimeBudget = None,
    max_new_trials: MaxNewTrials = None,
    fail_if: ci.FailIf = None,
    junit: ci.Junit = None,
    summary: ci.Summary = None,
    summary_json: ci.SummaryJson = None,
    executor: Annotated[
        str | None,
        typer.Option(help="Local backend: where trials run: process (default), simulator,"
                          " ray, or an installed executor (see `plugins`)."),
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option(help="With --executor ray: the cluster (HOST:PORT, ray://HOST:PORT or"
                          " auto; default backends.ray.address, then RAY_ADDRESS)."),
    ] = None,
) -> None:
    """Run a tuning study to its end (live progress; results kept in the study directory).

    Exit codes: 0 finished or paused, 1 failed or cancelled, 2 user error, 3 the --fail-if
    gate failed, 130/143 interrupted.
    """
    from hpo_bridge import study
    from hpo_bridge.backends.base import RunOptions

    outputs = ci.CiOutputs(ci.parse_conditions(fail_if), junit, summary, summary_json)
    loaded = load_or_exit(spec)
    if seed is not None:
        loaded = study.with_seed(loaded, seed)
    if max_trials is not None:
        loaded = study.with_max_trials(loaded, max_trials)
    ci.precheck(loaded, outputs)
    regexes = {m.name for m in loaded.metrics}
    if simulate is None and any(o.metric not in regexes for o in loaded.all_objectives):
        # Only then is there something to say (the contract is not imported otherwise: it
        # would slow every start); errors: the contract refuses the spec as the study starts.
        for warning in study.metric_channels(loaded)[1]:
            typer.echo(f"warning: {warning}", err=True)
    options = RunOptions(executor=executor, simulate=simulate, sim_speed=sim_speed,
                         ray_address=ray_address, detach=detach, poll_interval=poll_interval,
                         approximate=approximate,
                         time_budget=duration_or_exit(time_budget, "--time-budget"),
                         max_new_trials=max_new_trials)
    with study_errors():
        outcome, directory = study.run(loaded, backend=backend, study_dir=study_dir,
                                       options=options, view=_view(),
                                       resume_if_exists=resume_if_exists)
    code = _finish(outcome, directory)
    if outcome.status != "running":  # a detached cloud study has no results yet
        code = ci.after_run(directory, code, outputs)
    raise typer.Exit(code)



def resume(
    directory: DirArg,
    time_budget: TimeBudget = None,
    max_new_trials: MaxNewTrials = None,
) -> None:
    """Continue a study that was interrupted (killed, crashed, stopped with Ctrl-C, or
    paused by a run's --time-budget / --max-new-trials)."""
    from hpo_bridge import study
    from hpo_bridge.backends.base import RunOptions

    options = RunOptions(time_budget=duration_or_exit(time_budget, "--time-budget"),
                         max_new_trials=max_new_trials)
    with study_errors():
        outcome = study.resume(directory, view=_view(), options=options)
    raise typer.Exit(_finish(outcome, directory))


def status(
    directory: DirArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The study's status, trial counts and best trial; exit code 1 when the study failed or
    was cancelled."""
    from hpo_bridge import study
    from hpo_bridge.core.ranking import best_trial
    from hpo_bridge.results.results import shown_status, trial_dict

    with study_errors(show_damage=True):
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
        }, indent=2))
        raise typer.Exit(_status_code(snap.status))
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
    raise typer.Exit(_status_code(snap.status))


def _status_code(status: str) -> int:
    """`status` tells a script whether the study went wrong: 1 failed or cancelled."""
    return EXIT_FAILED if status in ("failed", "cancelled") else EXIT_OK


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
        typer.echo(json.dumps(results_dict(snap.spec, snap.trials, snap.live), indent=2))
        return
    if as_csv:
        sys.stdout.write(results_csv(snap.spec, snap.trials, snap.live))
        return
    from rich.console import Console

    from hpo_bridge.results.table import results_table

    table = results_table(snap.spec, snap.trials, study_runs=snap.live)
    console = Console()
    if not console.is_terminal:  # a file or a pipe: the table at its natural width
        console = Console(width=10_000)
    console.print(table, crop=False, soft_wrap=False)
    _print_best(directory)


def best(
    directory: DirArg,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The best trial (the Pareto set for several objectives); exit code 1 when no trial
    has a result."""
    from hpo_bridge import study

    if as_json:
        with study_errors():
            out = study.best(directory)
        typer.echo(json.dumps(out, indent=2))
        raise typer.Exit(EXIT_OK if out.get("best") or out.get("pareto") else EXIT_FAILED)
    raise typer.Exit(EXIT_OK if _print_best(directory) else EXIT_FAILED)
