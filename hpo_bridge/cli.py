"""The `hpo-bridge` command: parses, calls the library, prints. Exit 0 ok, 1 run failed, 2 user error."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from hpo_bridge._version import __version__

app = typer.Typer(
    name="hpo-bridge",
    help="One hyperparameter-tuning spec for SageMaker, Vertex AI, Azure ML and a local emulator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UserError(Exception):
    """A problem the user can fix: printed as lines, exit code 2, no traceback."""


def fail(message: str, code: int = EXIT_USAGE) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"hpo-bridge {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """hpo-bridge: tune anywhere from one spec."""


def load_or_exit(path: Path):
    from hpo_bridge.spec import SpecError, load_spec

    try:
        return load_spec(path)
    except SpecError as exc:
        fail(exc.render())


@app.command()
def validate(spec: Annotated[Path, typer.Argument(help="The spec file (YAML or JSON).")]) -> None:
    """Check a spec; print every problem, one per line, with its field path."""
    loaded = load_or_exit(spec)
    typer.echo(f"{spec}: ok ({len(loaded.search_space)} parameters, "
               f"strategy {loaded.strategy.algorithm}, {loaded.max_trials} trials)")


@app.command()
def schema() -> None:
    """Print the spec's JSON Schema (for editors)."""
    from hpo_bridge.spec.schema import spec_schema

    typer.echo(json.dumps(spec_schema(), indent=2))


@app.command()
def plugins(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List every registered backend, executor, searcher, stopping rule and contract."""
    from hpo_bridge.plugins import KINDS, registry

    reg = registry()
    if as_json:
        out = {
            kind: [
                {"name": c.name, "distribution": c.distribution, "plugin": c.plugin,
                 "description": c.description}
                for c in reg.components[kind].values()
            ]
            for kind in KINDS
        }
        out["failures"] = [f.__dict__ for f in reg.failures]  # type: ignore[assignment]
        typer.echo(json.dumps(out, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table("kind", "name", "distribution", "description")
    for kind in KINDS:
        for comp in reg.components[kind].values():
            table.add_row(kind.rstrip("s").replace("_", " "), comp.name, comp.distribution,
                          comp.description)
    console.print(table)
    for failure in reg.failures:
        console.print(f"[red]plugin {failure.plugin} ({failure.distribution}) failed to load:"
                      f" {failure.error}[/red]")


def main() -> None:
    from hpo_bridge.plugins import register_commands

    register_commands(app)
    try:
        app()
    except UserError as exc:
        typer.echo(str(exc), err=True)
        sys.exit(EXIT_USAGE)
