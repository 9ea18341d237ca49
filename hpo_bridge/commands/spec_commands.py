"""validate, schema, plugins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hpo_bridge.commands._support import load_or_exit


def register(app: typer.Typer) -> None:
    app.command()(validate)
    app.command()(schema)
    app.command()(plugins)


SpecArgument = Annotated[
    Path, typer.Argument(help="The spec file (YAML or JSON).", metavar="SPEC")
]


def validate(spec: SpecArgument) -> None:
    """Check a spec; print every problem, one per line, with its field path.

    Also checks that the trial contract can read each objective metric: an error when it
    cannot (the sagemaker contract reads only the spec's regexes), a warning when only a
    report line could (the local contract, with regexes for other metrics)."""
    from hpo_bridge import study
    from hpo_bridge.commands._support import fail

    loaded = load_or_exit(spec)
    errors, warnings = study.metric_channels(loaded)
    if errors:
        fail("\n".join(f"{spec}: {line}" for line in errors))
    for warning in warnings:
        typer.echo(f"{spec}: warning: {warning}", err=True)
    typer.echo(f"{spec}: ok ({len(loaded.search_space)} parameters, "
               f"strategy {loaded.strategy.algorithm}, {loaded.max_trials} trials)")


def schema() -> None:
    """Print the spec's JSON Schema (for editors)."""
    from hpo_bridge.loading import spec_schema

    typer.echo(json.dumps(spec_schema(), indent=2))


def plugins(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List every registered backend, executor, searcher, stopping rule, contract and
    configuration format."""
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
    from rich.markup import escape
    from rich.table import Table

    table = Table("kind", "name", "distribution", "description")
    for kind in KINDS:
        for comp in reg.components[kind].values():
            table.add_row(kind.rstrip("s").replace("_", " "), escape(comp.name),
                          escape(comp.distribution), escape(comp.description))
    Console().print(table)
    # A broken plugin is reported, and everything else keeps working (exit code 0).
    errors = Console(stderr=True)
    for failure in reg.failures:
        errors.print(f"plugin {failure.plugin} ({failure.distribution}) failed to load:"
                     f" {failure.error}", style="red", markup=False, highlight=False,
                     soft_wrap=True)
