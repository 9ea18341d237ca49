"""Fixtures of the Vertex plugin's tests: one emulator per test module that needs one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from vertex_helpers import running_emulator


@pytest.fixture(scope="module")
def vertex_emulator() -> Iterator[Any]:
    pytest.importorskip("hpo_bridge_localstack.gcp")
    with running_emulator() as emu:
        yield emu
