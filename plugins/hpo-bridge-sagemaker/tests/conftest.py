"""Fixtures for the SageMaker plugin's tests (helpers live in sagemaker_helpers.py)."""

from __future__ import annotations

import pytest
from sagemaker_helpers import DATA

from hpo_bridge.loading import load_spec
from hpo_bridge.spec import TuningSpec


@pytest.fixture
def mnist_spec() -> TuningSpec:
    return load_spec(DATA / "mnist" / "spec.yaml")
