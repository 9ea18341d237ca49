"""Shared helpers for the SageMaker plugin's tests (a unique module name: the root test run
collects several test folders)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hpo_bridge.loading import validate_spec
from hpo_bridge.spec import TuningSpec

DATA = Path(__file__).parent / "data"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:1.8.0-cpu-py3"
SETTINGS = {"role_arn": ROLE, "image_uri": IMAGE, "output_path": "s3://bucket/output"}


def base_spec(**changes: Any) -> dict[str, Any]:
    """A small spec SageMaker expresses fully (image mode, no script)."""
    spec: dict[str, Any] = {
        "name": "small",
        "objective": {"metric": "loss", "goal": "minimize"},
        "metrics": [{"name": "loss", "regex": "loss=([0-9.]+)"}],
        "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "scale": "log"}},
        "limits": {"max_trials": 4, "max_parallel": 2},
        "backends": {"sagemaker": dict(SETTINGS)},
    }
    for key, value in changes.items():
        spec[key] = value
    return copy.deepcopy(spec)


def make(data: dict[str, Any], base_dir: Path | None = None) -> TuningSpec:
    return validate_spec(data, base_dir=base_dir)
