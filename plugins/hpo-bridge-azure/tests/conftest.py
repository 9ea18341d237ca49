"""Fixtures: the Azure emulator (and its Azurite) once for the whole test session."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(scope="session")
def azure_emulator(pytestconfig: pytest.Config) -> Any:
    """Shared with localstack/tests: each test resets the faults and counts it uses."""
    testing = pytest.importorskip("hpo_bridge_localstack.testing")
    return testing.session_emulator(pytestconfig, "azure")


@pytest.fixture(scope="session")
def azure_process(pytestconfig: pytest.Config) -> Any:
    """`hpo-bridge emulate azure --port 0`, as a user starts it."""
    testing = pytest.importorskip("hpo_bridge_localstack.testing")
    return testing.session_process(pytestconfig, "azure")
