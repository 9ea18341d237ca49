"""`hpo-bridge emulate NAME`: serve an emulated cloud API on a local port.

The first line of standard output is the endpoint's URL (so a parent process started with
`--port 0` can read it); then standard error gives the variables to export (the front end's
env()) as `export K=V` lines, and a line saying it listens. Ctrl-C or SIGTERM stops every
running job and exits 0. Without NAME it lists the installed emulators.
"""

from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer


def _fail(message: str) -> NoReturn:
    """A user error: one line on standard error, exit code 2, no traceback."""
    typer.echo(message, err=True)
    raise typer.Exit(2)


def emulate(
    name: Annotated[
        str | None,
        typer.Argument(metavar="NAME",
                       help="The emulator to run (without NAME: list the installed ones)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(help="Port to listen on (0: any free port; default: the emulator's own,"
                     " 4566 for sagemaker, 8090 for vertex)."),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help="OPERATION:KIND:COUNT - the first COUNT calls of OPERATION (* for any) fail;"
            " KIND is throttle (the cloud's rate limiting), error (an internal error), deny"
            " (a caller without the permission) or drop (connection closed without an"
            " answer), each in the cloud's own error shape. Repeatable.",
        ),
    ] = None,
    work_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for jobs' code and trials (default: a temporary one)."),
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Run an offline emulator of a cloud's API (sagemaker: SageMaker, S3 and Logs; vertex:
    Vertex AI, AI Platform Training, Cloud Storage and the GCE metadata server)."""
    from hpo_bridge_localstack.framework import registry

    if name is None:
        for entry in registry.entries():
            typer.echo(f"{entry.name}\t{entry.description}".rstrip())
        return
    try:
        registry.entry(name)
    except registry.UnknownEmulator as exc:
        _fail(f"NAME: {exc}")
    if port is not None and not 0 <= port <= 65535:
        _fail(f"--port: {port} is not a port number (0..65535)")

    from hpo_bridge_localstack.framework.children import ChildStartError
    from hpo_bridge_localstack.framework.faults import FaultSpecError
    from hpo_bridge_localstack.framework.server import Emulator

    try:
        emulator = Emulator(name, host=host, port=port, faults=fault or [],
                            work_dir=work_dir, verbose=verbose)
    except FaultSpecError as exc:
        _fail(str(exc))
    try:
        emulator.start()
    except ChildStartError as exc:
        typer.echo(f"hpo-bridge emulate {name}: {exc}", err=True)
        raise typer.Exit(1) from None
    except OSError as exc:
        _fail(f"--port: cannot listen on {host}:{emulator.port} ({exc.strerror or exc})")

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    typer.echo(emulator.url)
    sys.stdout.flush()
    for key, value in emulator.env().items():
        typer.echo(f"export {key}={shlex.quote(value)}", err=True)
    typer.echo(
        f"hpo-bridge emulate {name}: listening on {emulator.url}"
        f" (stats: {emulator.url}/_emulator/stats). Ctrl-C stops.",
        err=True,
    )
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
