"""Fixtures: the emulator in this process, and SageMaker requests to send it."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from emulate_requests import BASE_REQUEST
from hpo_bridge_localstack.framework import Emulator
from hpo_bridge_localstack.testing import sagemaker_emulator, session_emulator, session_process

_names = itertools.count(1)

def unique_name(prefix: str = "job") -> str:
    return f"{prefix}-{next(_names)}"


@pytest.fixture
def make_request() -> Callable[..., dict[str, Any]]:
    """A valid CreateHyperParameterTuningJob request with a fresh name."""

    def make(name: str | None = None, **config: Any) -> dict[str, Any]:
        request = copy.deepcopy(BASE_REQUEST)
        request["HyperParameterTuningJobName"] = name or unique_name()
        request["HyperParameterTuningJobConfig"].update(config)
        return request

    return make


@pytest.fixture(scope="module")
def api_emulator() -> Iterator[Emulator]:
    """Jobs are accepted and described but never run: for API-only tests."""
    with sagemaker_emulator(run_jobs=False) as emulator:
        yield emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """An emulator that runs tuning jobs (its trials end with it)."""
    with sagemaker_emulator() as emu:
        yield emu


@pytest.fixture(scope="session")
def azure(pytestconfig: pytest.Config) -> Emulator:
    """The Azure emulator and its Azurite, once per session (the plugin's tests share it)."""
    return session_emulator(pytestconfig, "azure")


@pytest.fixture(scope="session")
def azure_process(pytestconfig: pytest.Config) -> Any:
    """`hpo-bridge emulate azure --port 0`, as a user starts it (shared likewise)."""
    return session_process(pytestconfig, "azure")
