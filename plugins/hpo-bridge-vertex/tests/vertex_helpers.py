"""Shared helpers of the Vertex plugin's tests (a unique module name: the root test run
collects several test folders)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hpo_bridge.loading import validate_spec
from hpo_bridge.spec import TuningSpec

DATA = Path(__file__).parent / "data"
BUCKET = "hpo-bridge-examples"
PROJECT = "hpo-bridge-local"
# Google's chain, pointed at the emulator: an external-account ADC file (its token
# exchange is the emulator's) and the project. Variables a developer's machine may set
# are cleared, so the tests never see real credentials.
CLEARED = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG",
           "GCE_METADATA_HOST", "GCE_METADATA_IP", "STORAGE_EMULATOR_HOST",
           "CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM", "CLOUDSDK_API_ENDPOINT_OVERRIDES_ML")


def point_at(emulator: Any, monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Google's default chain and the plugin's endpoints -> the emulator (in-process:
    google-auth reads the metadata variables once per process, so the ADC file is used)."""
    for name in CLEARED:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(folder / "gcloud"))  # no gcloud ADC file
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS",
                       str(emulator.frontend.adc_file(folder / "adc")))
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", PROJECT)
    for key, value in emulator.env().items():
        if not key.startswith("GCE_METADATA"):
            monkeypatch.setenv(key, value)


def base_spec(**changes: Any) -> dict[str, Any]:
    """A small spec both backends express fully."""
    spec: dict[str, Any] = {
        "name": "small",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "scale": "log"},
                         "layers": {"type": "int", "low": 1, "high": 4}},
        "strategy": {"algorithm": "random"},
        "limits": {"max_trials": 4, "max_parallel": 2},
        "trial": {"command": ["python", "train.py"], "contract": "vertex"},
        "backends": {"vertex": {"staging_bucket": f"gs://{BUCKET}/staging"},
                     "aiplatform": {"staging_bucket": f"gs://{BUCKET}/staging"}},
    }
    spec.update(copy.deepcopy(changes))
    return spec


def make(data: dict[str, Any], folder: Path) -> TuningSpec:
    if not (folder / "train.py").exists():
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "train.py").write_text("print('train')\n")
    return validate_spec(data, base_dir=folder)


@contextlib.contextmanager
def running_emulator(**options: Any) -> Iterator[Any]:
    from hpo_bridge_localstack.testing import emulator

    with emulator("vertex", **options) as emu:
        yield emu
