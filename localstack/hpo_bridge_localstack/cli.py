"""`hpo-bridge emulate NAME`: serve an emulated cloud tuning API on a local port.

The first line of standard output is the endpoint's URL (so a parent process started with
`--port 0` can read it); point boto3 at it with AWS_ENDPOINT_URL. Ctrl-C or SIGTERM stops
every running tuning job and exits.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from typing import Annotated

import typer


def emulate(
    name: Annotated[str, typer.Argument(help="The cloud to emulate: sagemaker.")],
    port: Annotated[int, typer.Option(help="Port to listen on (0: any free port).")] = 4566,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    fault: Annotated[
        list[str] | None,
        typer.Option(
            help="OPERATION:KIND:COUNT - the first COUNT calls of OPERATION (* for any) fail;"
            " KIND is throttle (400 ThrottlingException), error (500 InternalFailure), deny"
            " (400 AccessDeniedException) or drop (connection closed without an answer)."
            " Repeatable.",
        ),
    ] = None,
    work_dir: Annotated[
        Path | None,
        typer.Option(help="Folder for tuning jobs' code and trials (default: a temporary one)."),
    ] = None,
    verbose: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Run an offline emulator of a cloud's tuning API (SageMaker, with moto's S3 and Logs)."""
    def fail(message: str) -> None:
        typer.echo(message, err=True)
        raise typer.Exit(2)

    from hpo_bridge_localstack.faults import FaultSpecError
    from hpo_bridge_localstack.server import EMULATORS, Emulator

    if name not in EMULATORS:
        fail(f"NAME: unknown emulator {name!r} (available: {', '.join(EMULATORS)})")
    if not 0 <= port <= 65535:
        fail(f"--port: {port} is not a port number (0..65535)")
    try:
        emulator = Emulator(
            name, host=host, port=port, faults=fault or [], work_dir=work_dir, verbose=verbose
        )
    except FaultSpecError as exc:
        fail(str(exc))
    try:
        emulator.start()
    except OSError as exc:
        fail(f"--port: cannot listen on {host}:{port} ({exc.strerror or exc})")

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    typer.echo(emulator.url)
    sys.stdout.flush()
    typer.echo(
        f"hpo-bridge emulate {name}: listening; export AWS_ENDPOINT_URL={emulator.url}"
        f" (stats: {emulator.url}/_emulator/stats). Ctrl-C stops.",
        err=True,
    )
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
