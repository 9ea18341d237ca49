"""Offline emulators of the clouds' APIs (`hpo-bridge emulate NAME`).

`framework/` is what every cloud shares (server, routing, faults, control routes, child
programs, the emulated tuning run, the registry); each cloud is a front end on it (`aws/`).
`Emulator` serves one on a local port; `hpo_bridge_localstack.testing` starts it from tests.
"""

from typing import Any

__all__ = ["Emulator"]


def __getattr__(name: str) -> Any:
    # Lazy: the entry point loads this package for every `hpo-bridge` command, and the
    # server pulls in werkzeug (and a front end its cloud's libraries).
    if name == "Emulator":
        from hpo_bridge_localstack.framework.server import Emulator

        return Emulator
    raise AttributeError(name)
