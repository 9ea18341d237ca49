"""The `hpo-bridge` command: parse, call the study facade, print. Exit 0 ok, 1 failed,
2 user error, 130 interrupted.

This is the entry point: it imports the command modules (hpo_bridge/commands/), which
never import it back.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from hpo_bridge._version import __version__
from hpo_bridge.commands._support import EXIT_USAGE

app = typer.Typer(
    name="hpo-bridge",
    help="One hyperparameter-tuning spec for SageMaker, Vertex AI, Azure ML and a local emulator.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    # Plain help, as click writes it: no type tags (`<bool>`), no boxes that cut a
    # default or a flag's text at 80 columns.
    rich_markup_mode=None,
)


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


_builtins_registered = False


def _register_builtin_commands() -> None:
    """Add the built-in commands to `app`, once (tests and main() may both ask)."""
    global _builtins_registered
    if _builtins_registered:
        return
    import importlib

    from hpo_bridge.commands import MODULES

    for module in MODULES:
        importlib.import_module(module).register(app)
    _builtins_registered = True


def _needs_plugin_commands(argv: list[str]) -> bool:
    """Plugins' commands load only when the command line may name one (or asks for help).

    Loading them imports every plugin (and its SDK), which would tax every
    invocation, `--version` included.
    """
    from typer.main import get_command

    words = [a for a in argv if not a.startswith("-")]
    if not words:
        return "--version" not in argv
    builtin = set(get_command(app).commands)  # type: ignore[attr-defined]
    return words[0] not in builtin


def main() -> None:
    from hpo_bridge.plugins import register_commands

    _register_builtin_commands()
    if _needs_plugin_commands(sys.argv[1:]):
        register_commands(app)
    usage_error, no_args, abort = _usage_errors()
    try:
        code = app(standalone_mode=False)
    except no_args as exc:  # bare `hpo-bridge` or a group without its command: the help
        exc.show()  # type: ignore[attr-defined]
        sys.exit(EXIT_USAGE)
    except usage_error as exc:
        # One line naming the flag or argument, not click's framed usage block.
        ctx = exc.ctx  # type: ignore[attr-defined]
        command = ctx.command_path if ctx is not None else "hpo-bridge"
        message = " ".join(exc.format_message().split())  # type: ignore[attr-defined]
        typer.echo(f"{command}: {message} (see --help)", err=True)
        sys.exit(EXIT_USAGE)
    except abort:  # Ctrl-C in a command that does not handle it itself
        typer.echo("aborted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else 0)


def _usage_errors() -> tuple[type[Exception], type[Exception], type[BaseException]]:
    """Click's UsageError, no-args-is-help error, and typer's Abort.

    Newer typer releases vendor click as typer._click; older ones use click.
    """
    import importlib

    from typer import Abort

    try:
        module = importlib.import_module("typer._click.exceptions")
    except ImportError:
        module = importlib.import_module("click.exceptions")
    return module.UsageError, module.NoArgsIsHelpError, Abort
