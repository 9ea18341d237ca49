"""compile, import, cancel: a spec to and from a cloud's native tuning job."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hpo_bridge.cli import fail, load_or_exit


def register(app: typer.Typer) -> None:
    app.command(name="compile")(compile_command)
    app.command(name="import")(import_command)
    app.command(name="cancel")(cancel_command)


def _backend(name: str, flag: str = "--backend") -> Any:
    from hpo_bridge.backend import BackendError
    from hpo_bridge.native import create_backend

    try:
        return create_backend(name)
    except BackendError as exc:
        fail(f"{flag}: {exc}")


def compile_command(
    spec: Annotated[Path, typer.Argument(help="The spec file (YAML or JSON).")],
    backend: Annotated[str, typer.Option("--backend", "-b", help="A native backend.")],
    approximate: Annotated[
        bool, typer.Option("--approximate", help="Approximate what the backend cannot express.")
    ] = False,
) -> None:
    """Print the native request the backend would send (JSON); warnings go to stderr."""
    from hpo_bridge.backend import BackendError, UnsupportedFeatures

    loaded = load_or_exit(spec)
    native = _backend(backend)
    try:
        compiled = native.compile(loaded, approximate=approximate)
    except UnsupportedFeatures as exc:
        hint = "" if approximate else "\n(--approximate maps what has a near equivalent)"
        fail(f"{exc}{hint}")
    except BackendError as exc:
        fail(str(exc))
    for warning in compiled.warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(json.dumps(compiled.request, indent=2))


def _read_native(path: Path) -> Any:
    from hpo_bridge.spec import SpecError, parse_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}")
    try:
        return json.loads(text)
    except ValueError as exc:
        if path.suffix.lower() == ".json":
            # A .json file is JSON: name JSON's own complaint, not YAML's.
            fail(f"{path}: not valid JSON: {exc}")
    try:  # YAML is accepted too (a superset of JSON, for hand-written jobs)
        return parse_yaml(text, str(path))
    except SpecError as exc:
        fail(exc.render())


def import_command(
    file: Annotated[Path, typer.Argument(help="A native job: request or description (JSON).")],
    source: Annotated[str, typer.Option("--from", help="The backend the job comes from.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the spec here (YAML).")
    ] = None,
) -> None:
    """Turn a cloud's native tuning job into a unified spec (YAML)."""
    from hpo_bridge.backend import BackendError
    from hpo_bridge.loading import validate_spec
    from hpo_bridge.spec import SpecError, dump_spec

    native = _backend(source, flag="--from")
    data = _read_native(file)
    try:
        spec_dict = native.import_native(data)
    except BackendError as exc:
        fail(f"{file}: {exc}")
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        fail(f"{file}: not a {source} tuning job ({type(exc).__name__}: {exc})")
    try:
        spec = validate_spec(spec_dict, source=f"{file} (imported)")
    except SpecError as exc:
        fail(exc.render())
    text = dump_spec(spec)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}", err=True)


def cancel_command(
    study_dir: Annotated[Path, typer.Argument(help="The study directory.")],
) -> None:
    """Stop the native tuning job of a study."""
    from hpo_bridge.backend import BackendError
    from hpo_bridge.native import cancel_native
    from hpo_bridge.store import StoreError

    try:
        handle = cancel_native(study_dir)
    except (BackendError, StoreError) as exc:
        fail(str(exc))
    typer.echo(f"stopping {handle}")
