"""`hpo-bridge logs DIR TRIAL`: a trial's stdout and stderr, as the process wrote them (for a
study run on a cloud's tuner, the trial's log there, e.g. its CloudWatch stream).

`--follow` goes on printing what the trial prints, as `tail -f` does (a `==> file <==`
header when the output switches between stdout and stderr), until the trial ends or
nothing runs the study any more; a trial not started yet is waited for. A cloud's log is
read again every `--interval` seconds (each read costs API calls)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, BinaryIO

import typer

from hpo_bridge.commands._support import fail, study_errors

BLOCK = 1 << 16
FILE_POLL = 0.2  # seconds between looks at a local trial's log files while following


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
    follow: Annotated[
        bool, typer.Option("--follow", "-f",
                           help="Go on printing until the trial ends (like tail -f).")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=0.5,
                            help="With --follow on a cloud's study: seconds between reads.")
    ] = 10.0,
) -> None:
    """Print a trial's stdout and stderr (--follow: as it goes on printing)."""
    from hpo_bridge import study

    if stream not in ("stdout", "stderr", "both"):
        fail(f"--stream: {stream!r} is not one of stdout, stderr, both")
    if follow:
        try:
            _follow(directory, trial, stream, tail, interval)
        except KeyboardInterrupt:
            raise typer.Exit(130) from None
        return
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


def _follow(directory: Path, trial: int, stream: str, tail: int | None,
            interval: float) -> None:
    from hpo_bridge import study

    while True:  # a trial that has not started yet has no logs: wait for them
        try:
            found = study.logs(directory, trial)
            break
        except study.StudyError:
            with study_errors():
                if not study.trial_may_write(directory, trial):
                    raise
            time.sleep(FILE_POLL)
    if found.lines is not None:
        _follow_cloud(directory, trial, tail, interval)
        return
    files = [(name, path) for name, path in found.files if stream in ("both", name)]

    def writing() -> bool:
        with study_errors():
            return study.trial_may_write(directory, trial)

    _follow_files(files, stream == "both", tail, writing)


def _follow_files(files: list[tuple[str, Path]], headers: bool, tail: int | None,
                  writing: Callable[[], bool]) -> None:
    out = sys.stdout.buffer
    offsets: dict[Path, int] = {}
    for _, path in files:  # what is there already, as without --follow
        if headers:
            out.write(f"{chr(10) if offsets else ''}==> {path.name} <==\n".encode())
        offsets[path] = _copy(path, out, tail, end_line=False) if path.exists() else 0
    out.flush()
    shown = files[-1][1] if files else None
    while True:
        ended = not writing()  # checked before the last read: nothing is missed
        for _, path in files:
            if not path.exists():
                continue
            with open(path, "rb") as fh:
                fh.seek(offsets[path])
                data = fh.read()
            if not data:
                continue
            if headers and path != shown:
                out.write(f"\n==> {path.name} <==\n".encode())
                shown = path
            out.write(data)
            offsets[path] += len(data)
        out.flush()
        if ended:
            return
        time.sleep(FILE_POLL)


def _follow_cloud(directory: Path, trial: int, tail: int | None, interval: float) -> None:
    """A cloud's log, read again every `interval` seconds; new lines printed."""
    from hpo_bridge import study

    printed = 0
    first = True
    while True:
        with study_errors():
            ended = not study.trial_may_write(directory, trial, refresh=not first)
            lines = list(study.logs(directory, trial).lines or [])
        if first and tail:
            printed = max(0, len(lines) - tail)
        for line in lines[printed:]:
            typer.echo(line.rstrip("\n"))
        printed, first = max(printed, len(lines)), False
        if ended:
            return
        time.sleep(interval)


def _copy(path: Path, out: BinaryIO, tail: int | None, end_line: bool = True) -> int:
    """Copy `path` (its last `tail` lines) to `out`; the offset reached."""
    with open(path, "rb") as fh:
        if tail is not None:
            fh.seek(_tail_offset(fh, tail))
        data = b""
        while chunk := fh.read(BLOCK):
            out.write(chunk)
            data = chunk
        if end_line and data and not data.endswith(b"\n"):
            out.write(b"\n")
        return fh.tell()


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
