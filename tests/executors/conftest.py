"""The study folder fixture of the executor tests (helpers: executor_helpers.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def study(tmp_path):
    path = tmp_path / "study"
    path.mkdir()
    return path
