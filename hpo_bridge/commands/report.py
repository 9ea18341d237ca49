"""report: a study as one self-contained HTML page (charts, best trial, trial table).

It reads the study's journal only (a native study shows what was last synced;
`status DIR` syncs it), so it works offline and never changes the study.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hpo_bridge.commands._support import fail, study_errors

DEFAULT_NAME = "report.html"


def register(app: typer.Typer) -> None:
    app.command()(report)


def report(
    directory: Annotated[Path, typer.Argument(help="The study directory.")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output",
                     help=f"Where to write the page (default DIR/{DEFAULT_NAME}; - for stdout)."),
    ] = None,
) -> None:
    """Write an HTML report: the best trial, best so far, any metric's curves, parallel
    coordinates, 2-D/3-D scatter, parameter importance, a timeline, the Pareto front
    (several objectives) and a sortable table of every trial."""
    from hpo_bridge import study as facade
    from hpo_bridge.results.html import StudyReport, render_report

    with study_errors():
        snap = facade.snapshot(directory, refresh=False)
    study = StudyReport(
        spec=snap.spec, trials=snap.trials, status=snap.status, reason=snap.reason,
        backend=snap.backend, decisions=snap.decisions, elapsed=snap.elapsed, live=snap.live,
        timing=snap.timing,
    )
    page = render_report(study)
    if output is not None and str(output) == "-":
        sys.stdout.write(page)
        return
    target = output if output is not None else directory / DEFAULT_NAME
    try:
        target.write_text(page, encoding="utf-8")
    except OSError as exc:
        fail(f"--output {target}: cannot write: {exc.strerror or exc}")
    typer.echo(f"report: {target}")
