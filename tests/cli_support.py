"""Running the `hpo-bridge` typer app in-process, for CLI tests."""

from __future__ import annotations

from typing import Any

from typer.testing import CliRunner

from hpo_bridge import cli as cli_module


def cli_app() -> Any:
    """The app with its built-in commands registered (idempotent)."""
    cli_module._register_builtin_commands()
    return cli_module.app


def invoke(app: Any, *args: Any) -> Any:
    return CliRunner().invoke(app, [str(a) for a in args])
