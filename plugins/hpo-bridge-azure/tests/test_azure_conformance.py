"""The kit's conformance tests, run by the Azure backend against the offline emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from azure_helpers import SETTINGS, azure_env
from hpo_bridge_azure.backend import AzureBackend

from hpo_bridge.backends import RetryPolicy
from hpo_bridge.backends.testing import BackendConformance
from hpo_bridge.spec import TuningSpec, validate_spec

emulator_testing = pytest.importorskip("hpo_bridge_localstack.testing")

GOLDEN = Path(__file__).parent / "data" / "conformance-golden.json"
OPERATIONS = {
    "create": "jobs.createOrUpdate",
    "status": "jobs.get",
    "list": "mlflow:runs/search",
    # the SDK looks the code asset up by its hash before any upload: the first call of one
    "upload": "codes.list",
    "stop": "jobs.cancel",
}
SCRIPT = """\
import argparse, time
import mlflow
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
parser.add_argument("--slow", type=int, default=0)
args = parser.parse_args()
with mlflow.start_run():
    for epoch in range(1, 3):
        mlflow.log_metric("loss", args.lr * 10 / epoch, step=epoch)
time.sleep(300 if args.slow else 0)
"""


class AzureHarness:
    def __init__(self, emulator: Any, folder: Path) -> None:
        self.emulator = emulator
        self.folder = folder
        self.golden = GOLDEN
        self.backend = AzureBackend(retry=RetryPolicy(attempts=6, sleep=lambda _: None))
        (folder / "code").mkdir(exist_ok=True)
        (folder / "code" / "train.py").write_text(SCRIPT)

    def spec(self, *, trials: int = 3, slow: bool = False) -> TuningSpec:
        return validate_spec({
            "name": "conformance",
            "objective": {"metric": "loss", "goal": "minimize"},
            "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1,
                                    "scale": "log"}},
            "strategy": {"algorithm": "random", "seed": 3},
            "limits": {"max_trials": trials, "max_parallel": trials},
            "trial": {"command": "python train.py --lr ${{search_space.lr}}"
                                 " --slow ${{inputs.slow}}",
                      "code": "code", "contract": "azure", "args": {"slow": int(slow)}},
            "backends": {"azure": dict(SETTINGS)},
        }, base_dir=self.folder)

    def inject(self, operation: str, kind: str, count: int = 1) -> None:
        self.emulator.inject_fault(OPERATIONS[operation], kind, count)

    def calls(self, operation: str) -> int:
        return int(self.emulator.stats()["calls"].get(OPERATIONS[operation], 0))

    def jobs(self) -> int:
        service = self.emulator.frontend.service
        return len(service.sweeps)

    def reset(self) -> None:
        self.emulator.faults.clear()
        self.emulator.reset_stats()


@pytest.fixture(scope="module")
def azure_emulator():
    with emulator_testing.emulator("azure") as emu:
        yield emu


class TestAzureConformance(BackendConformance):
    @pytest.fixture
    def harness(self, azure_emulator, tmp_path) -> Any:
        with azure_env(azure_emulator.env()):
            yield AzureHarness(azure_emulator, tmp_path)
