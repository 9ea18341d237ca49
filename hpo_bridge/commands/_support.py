"""What every command shares: one-line user errors, loading a spec, exit codes.

Only command modules import this (an import-linter contract says so); `cli.py` is the
entry point and imports the commands, never the other way round.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
# A CI gate's conditions were not met (`check`, `run --fail-if`): distinct from a study that
# failed (1), a user error (2) and a signal (128 + N).
EXIT_GATE = 3


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print `message` (one line per problem) to stderr and exit with `code`."""
    typer.echo(message, err=True)
    raise typer.Exit(code)


@contextmanager
def study_errors(show_damage: bool = False) -> Iterator[None]:
    """A StudyError of the facade ends the command: its lines, its exit code (2, or 1 for
    a study stopped by a fault); `show_damage` adds what a damaged journal still holds."""
    from hpo_bridge import study
    from hpo_bridge.study import StudyError

    try:
        yield
    except StudyError as exc:
        lines = [str(exc)]
        if exc.damaged is not None:
            if show_damage:
                lines += study.damage_survey(exc.damaged)
            else:
                lines[0] += f" (`hpo-bridge status {exc.damaged.parent}` shows what can" \
                            " still be read)"
        fail("\n".join(lines), exc.exit_code)


def load_or_exit(path: Path) -> TuningSpec:
    """The spec at `path` (unified, or in another tool's format: what that format says
    which the spec cannot hold is printed as one warning each), validated against the
    installed components, or exit 2."""
    from hpo_bridge.loading import load_document
    from hpo_bridge.spec import SpecError

    try:
        loaded = load_document(path)
    except SpecError as exc:
        fail(exc.render())
    for note in loaded.notes:
        typer.echo(f"warning: {note}", err=True)
    return loaded.spec


def exit_code(status: str, signal: int | None = None) -> int:
    """0 finished (or running on, detached); 128 + the signal when a signal stopped it
    (130 Ctrl-C, 143 SIGTERM); else 1."""
    if status in ("finished", "running"):
        return EXIT_OK
    if status == "interrupted":
        return 128 + signal if signal else EXIT_INTERRUPTED
    return EXIT_FAILED


def duration_or_exit(value: str | None, flag: str) -> float | None:
    """Seconds of a duration flag (`90s`, `30m`, `2h`, `1d`, `PT2H` or seconds), or exit 2."""
    if value is None:
        return None
    from hpo_bridge.spec import parse_duration

    try:
        return parse_duration(float(value) if _is_number(value) else value)
    except ValueError as exc:
        fail(f"{flag} {value!r}: {exc}")


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
