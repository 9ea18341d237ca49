"""Entry point (group `hpo_bridge`): adds `hpo-bridge emulate` to the command."""

from __future__ import annotations

from typing import Any

from hpo_bridge.hookspecs import hookimpl


@hookimpl
def register_commands(cli: Any) -> None:
    from hpo_bridge_localstack.cli import emulate

    cli.command()(emulate)
