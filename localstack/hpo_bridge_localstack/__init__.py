"""Offline emulators of the clouds' tuning APIs (`hpo-bridge emulate NAME`).

`Emulator` serves one on a local port; `hpo_bridge_localstack.testing` starts it from tests.
"""

from typing import Any

__all__ = ["Emulator"]


def __getattr__(name: str) -> Any:
    # Lazy: the entry point loads this package for every `hpo-bridge` command, and the
    # server pulls in moto and botocore.
    if name == "Emulator":
        from hpo_bridge_localstack.server import Emulator

        return Emulator
    raise AttributeError(name)
