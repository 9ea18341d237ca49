"""`hpo-bridge logs DIR TRIAL`: a trial's stdout and stderr, as the process wrote them (for a
study run on a cloud's tuner, the trial's log there, e.g. its CloudWatch stream)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from hpo_bridge.commands._support import fail, study_errors

BLOCK = 1 << 16


def register(app: typer.Typer) -> None:
    app.command()(logs)


def logs(
    directory: Annotated[Path, typer.Argument(help="The study directory.")],
    trial: Annotated[int, typer.Argument(help="The trial id.")],
    stream: Annotated[
        str, typer.Option("--stream", help="stdout, stderr or both (each under a header).")
    ] = "both",
    tail: Annotated[
        int | None, typer.Option("--tail", min=1, help="Only the last N lines of each.")
    ] = None,
) -> None:
    """Print a trial's stdout and stderr."""
    from hpo_bridge import study

    if stream not in ("stdout", "stderr", "both"):
        fail(f"--stream: {stream!r} is not one of stdout, stderr, both")
    with study_errors():
        found = study.logs(directory, trial)
        if found.lines is not None:  # a cloud's log stream: stdout and stderr together
            lines = list(found.lines)
    if found.lines is not None:
        for line in lines[-tail:] if tail else lines:
            typer.echo(line.rstrip("\n"))
        return
    out = sys.stdout.buffer
    for name, path in found.files:
        if stream not in ("both", name):
            continue
        if stream == "both":
            out.write(f"==> {path.name} <==\n".encode())
        if path.exists():
            _copy(path, out, tail)
    out.flush()


def _copy(path: Path, out: BinaryIO, tail: int | None) -> None:
    with open(path, "rb") as fh:
        if tail is not None:
            fh.seek(_tail_offset(fh, tail))
        data = b""
        while chunk := fh.read(BLOCK):
            out.write(chunk)
            data = chunk
        if data and not data.endswith(b"\n"):
            out.write(b"\n")


def _tail_offset(fh: BinaryIO, lines: int) -> int:
    """Where the last `lines` lines start, reading backwards block by block."""
    end = fh.seek(0, 2)
    pos, seen = end, 0
    while pos > 0:
        size = min(BLOCK, pos)
        pos -= size
        fh.seek(pos)
        block = fh.read(size)
        # A final newline ends the last line; it does not start a new one.
        stop = len(block) - 1 if pos + size == end and block.endswith(b"\n") else len(block)
        i = stop
        while True:
            i = block.rfind(b"\n", 0, i)
            if i < 0:
                break
            seen += 1
            if seen == lines:
                return pos + i + 1
    return 0
