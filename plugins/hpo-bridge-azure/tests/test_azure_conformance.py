"""The kit's conformance tests, run by the Azure backend against the offline emulator."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
from azure_helpers import SETTINGS, azure_env
from hpo_bridge_azure.backend import AzureBackend

from hpo_bridge.backends import BackendError, QuietView, RetryPolicy, RunOptions
from hpo_bridge.backends.testing import BackendConformance
from hpo_bridge.spec import TuningSpec, validate_spec

pytest.importorskip("hpo_bridge_localstack.testing")  # the emulator runs the jobs

GOLDEN = Path(__file__).parent / "data" / "conformance-golden.json"
WORKSPACES = (f"conformance-{i}" for i in itertools.count(1))
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


class TestAzureConformance(BackendConformance):
    @pytest.fixture
    def harness(self, azure_emulator, tmp_path) -> Any:
        # Each test in a workspace of its own: a job another test left behind under the same
        # name (same request) would be attached to, not created (the emulator makes any
        # workspace it is asked for).
        with azure_env({**azure_emulator.env(), "AZUREML_WORKSPACE_NAME": next(WORKSPACES)}):
            yield AzureHarness(azure_emulator, tmp_path)


@pytest.mark.parametrize("step", ["codes.startPendingUpload", "codes.createOrUpdate"])
def test_a_failed_upload_step_leaves_no_job_and_no_study(azure_emulator, tmp_path, step):
    """The code goes up inside jobs.create_or_update: every upload request comes before the
    job's PUT, so a failure at any step leaves no job (and the kit, no study)."""
    with azure_env({**azure_emulator.env(), "AZUREML_WORKSPACE_NAME": next(WORKSPACES)}):
        harness = AzureHarness(azure_emulator, tmp_path)
        harness.reset()
        azure_emulator.inject_fault(step, "deny", 1)  # 403: never retried
        study = tmp_path / "study"
        try:
            with pytest.raises(BackendError) as info:
                harness.backend.run(harness.spec(trials=1), study, RunOptions(), QuietView())
            calls = azure_emulator.stats()["calls"]
        finally:
            harness.reset()
    assert str(info.value).startswith("azure: access denied for jobs.create_or_update")
    assert len(str(info.value).splitlines()) == 1
    assert calls["codes.list"] == 1 and calls[step] == 1
    assert "jobs.createOrUpdate" not in calls
    assert not study.exists()
