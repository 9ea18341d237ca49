"""Offline emulators of the clouds' tuning APIs (`hpo-bridge emulate NAME`).

`Emulator` serves one on a local port; `hpo_bridge_localstack.testing` starts it from tests.
"""

from hpo_bridge_localstack.server import Emulator

__all__ = ["Emulator"]
