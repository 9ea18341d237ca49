"""compile, import, cancel: a spec to and from a cloud's native tuning job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hpo_bridge.commands._support import fail, load_or_exit, study_errors


def register(app: typer.Typer) -> None:
    app.command(name="compile")(compile_command)
    app.command(name="import")(import_command)
    app.command(name="cancel")(cancel_command)


def compile_command(
    spec: Annotated[Path, typer.Argument(help="The spec file (YAML or JSON).")],
    backend: Annotated[str, typer.Option("--backend", "-b", help="A native backend.")],
    approximate: Annotated[
        bool, typer.Option("--approximate", help="Approximate what the backend cannot express.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="The API request body (JSON), even where the cloud"
                           " has a job file format of its own (Azure ML's sweep YAML).")
    ] = False,
) -> None:
    """Print the native request the backend would send (its job file, or JSON); warnings go
    to stderr."""
    from hpo_bridge import study

    loaded = load_or_exit(spec)
    with study_errors():
        compiled = study.compile_spec(loaded, backend, approximate=approximate)
    for warning in compiled.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for note in compiled.notes:
        typer.echo(f"note: {note}", err=True)
    if compiled.document is not None and not as_json:
        typer.echo(compiled.document, nl=not compiled.document.endswith("\n"))
    else:
        typer.echo(json.dumps(compiled.request, indent=2))


def _read_native(path: Path) -> Any:
    """The job file as data: a .json file is JSON (JSON's own complaint names a problem);
    anything else JSON if it is, else YAML (hand-written jobs). Read within the limits of
    spec documents (a regular file of at most 1 MiB, bounded nesting and aliases)."""
    from hpo_bridge.spec import SpecError, parse_json, parse_yaml, read_document

    try:
        text = read_document(path, what="job")
        if path.suffix.lower() == ".json":
            return parse_json(text, str(path))
        try:
            return parse_json(text, str(path))
        except SpecError:
            return parse_yaml(text, str(path))
    except SpecError as exc:
        fail(exc.render())


def import_command(
    file: Annotated[Path, typer.Argument(
        help="A native job (request or description, JSON) or another tool's configuration"
             " file (e.g. a Vega hpo.yml).")],
    source: Annotated[str, typer.Option(
        "--from", help="The backend the job comes from, or the file's format (vega).")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the spec here (YAML).")
    ] = None,
    node: Annotated[
        str | None, typer.Option("--node", help="The node to import from a pipeline job that"
                                 " has several tuning nodes (azure).")
    ] = None,
) -> None:
    """Turn a cloud's native tuning job, or another tool's configuration, into a unified
    spec (YAML); what cannot be mapped is one warning each, naming its place in the file."""
    from hpo_bridge import study
    from hpo_bridge.spec import dump_spec

    with study_errors():
        kind = study.import_source(source)  # before reading: name the flag first
        spec = None
        if kind == "format":
            if node is not None:
                raise study.StudyError(f"--node: not taken by --from {source}")
            spec, notes = study.import_format_file(file, source)
            for note in notes:
                typer.echo(f"warning: {note}", err=True)
        elif file.is_file():
            # A backend may read the file itself (Python, files it refers to); else it is data.
            spec = study.import_file(file, source, {"node": node})
    if spec is None:
        data = _read_native(file)
        with study_errors():
            spec = study.import_job(data, source, str(file))
    text = dump_spec(spec)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


def cancel_command(
    study_dir: Annotated[Path, typer.Argument(help="The study directory.")],
) -> None:
    """Stop a study where it runs (a native study: its cloud job)."""
    from hpo_bridge import study

    with study_errors():
        handle = study.cancel(study_dir)
    typer.echo(f"stopping {handle}")
