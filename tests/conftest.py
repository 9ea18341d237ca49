"""Fixtures shared across the test suite (keep this small; sub-folders have their own)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def minimal_spec_dict() -> dict[str, Any]:
    """The smallest valid spec, as a fresh dict a test may change."""
    return {
        "name": "demo",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "scale": "log"}},
        "trial": {"command": ["python", "train.py"]},
    }


@pytest.fixture
def spec_dict() -> dict[str, Any]:
    return minimal_spec_dict()


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return REPO / "examples"


@pytest.fixture(scope="session")
def cli_exe() -> Path:
    """The installed `hpo-bridge` console script of the running interpreter's environment."""
    exe = Path(sys.executable).parent / "hpo-bridge"
    if not exe.exists():
        pytest.fail(f"console script not installed next to {sys.executable}; run `make install`")
    return exe
