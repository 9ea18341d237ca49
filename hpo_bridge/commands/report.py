"""report: a study as one self-contained HTML page (charts, best trial, trial table).

It reads the study's journal only (a native study shows what was last synced;
`status DIR` syncs it), so it works offline and never changes the study.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hpo_bridge.cli import fail

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
    """Write an HTML report: per-trial metric chart, parallel coordinates, scatter plots,
    the Pareto front (several objectives), the best trial and every trial."""
    from hpo_bridge.commands.study import _shown_status
    from hpo_bridge.results.html import StudyReport, render_report
    from hpo_bridge.spec import SpecError
    from hpo_bridge.store import Store, StoreError

    try:
        store = Store.open(directory)
    except StoreError as exc:
        fail(str(exc))
    except SpecError as exc:
        fail(exc.render())
    with store:
        status, reason = _shown_status(store)
        study = StudyReport(
            spec=store.spec, trials=store.trials(), status=status, reason=reason,
            backend=store.get_meta("backend", "local"), decisions=store.decisions(),
            elapsed=store.elapsed(),
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
