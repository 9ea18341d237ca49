"""export: a study written in another tool's layout (Vega's task folder)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hpo_bridge.commands._support import study_errors


def register(app: typer.Typer) -> None:
    app.command(name="export")(export_command)


def export_command(
    study_dir: Annotated[Path, typer.Argument(help="The study directory.")],
    fmt: Annotated[str, typer.Option("--format", help="The layout to write (vega).")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Where to write it (default: the study directory)."),
    ] = None,
) -> None:
    """Write a study in another tool's layout (vega: logs/, output/, workers/ and the
    closing summary, which is printed)."""
    from hpo_bridge import study

    with study_errors():
        lines = study.export(study_dir, fmt, output)
    for line in lines:
        typer.echo(line)
