"""`hpo-bridge logs DIR TRIAL`: a trial's stdout and stderr, as the process wrote them (for a
study run on a cloud's tuner, the trial's log there, e.g. its CloudWatch stream)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from hpo_bridge.cli import fail

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
    from hpo_bridge.executors.process import STDERR, STDOUT, TRIALS_DIR

    if stream not in ("stdout", "stderr", "both"):
        fail(f"--stream: {stream!r} is not one of stdout, stderr, both")
    if not directory.is_dir():
        fail(f"DIR: {directory} is not a directory")
    from hpo_bridge.native import is_native

    if is_native(directory):
        _native_logs(directory, trial, tail)
        return
    trial_dir = directory / TRIALS_DIR / str(trial)
    if not trial_dir.is_dir() and _in_store(directory, trial):
        fail(f"TRIAL: trial {trial} has no logs (it printed nothing: simulated trials"
             " have no process)")
    if not trial_dir.is_dir():
        known = sorted(
            (int(p.name) for p in (directory / TRIALS_DIR).glob("*") if p.name.isdigit()),
        ) if (directory / TRIALS_DIR).is_dir() else []
        shown = ", ".join(map(str, known[:20])) + (" ..." if len(known) > 20 else "")
        fail(f"TRIAL: no trial {trial} in {directory}" + (f" (trials: {shown})" if known else ""))
    names = {"stdout": [STDOUT], "stderr": [STDERR], "both": [STDOUT, STDERR]}[stream]
    out = sys.stdout.buffer
    for name in names:
        if stream == "both":
            out.write(f"==> {name} <==\n".encode())
        path = trial_dir / name
        if path.exists():
            _copy(path, out, tail)
    out.flush()


def _native_logs(directory: Path, trial: int, tail: int | None) -> None:
    """A cloud-run trial's log (e.g. its CloudWatch stream: stdout and stderr together)."""
    from hpo_bridge.backend import BackendError
    from hpo_bridge.native import native_logs

    try:
        lines = list(native_logs(directory, str(trial)))
    except (BackendError, NotImplementedError) as exc:
        fail(f"TRIAL: {exc}" if "no trial" in str(exc) else str(exc))
    for line in lines[-tail:] if tail else lines:
        typer.echo(line.rstrip("\n"))


def _in_store(directory: Path, trial: int) -> bool:
    """Whether the study's store knows `trial` (a simulated trial has no folder)."""
    from hpo_bridge.store import Store, StoreError

    try:
        with Store.open(directory) as store:
            return any(t.id == trial for t in store.trials())
    except (StoreError, OSError):
        return False


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
