"""The kit's conformance tests, run by the SageMaker backend against the offline emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_sagemaker.backend import SageMakerBackend
from sagemaker_helpers import IMAGE, ROLE

from hpo_bridge.backends import RetryPolicy
from hpo_bridge.backends.testing import BackendConformance
from hpo_bridge.spec import TuningSpec, validate_spec

emulator_testing = pytest.importorskip("hpo_bridge_localstack.testing")

BUCKET = "hpo-bridge-conformance"
GOLDEN = Path(__file__).parent / "data" / "conformance-golden.json"
OPERATIONS = {
    "create": "CreateHyperParameterTuningJob",
    "status": "DescribeHyperParameterTuningJob",
    "list": "ListTrainingJobsForHyperParameterTuningJob",
    "upload": "s3:PUT",
    "stop": "StopHyperParameterTuningJob",
}
SCRIPT = """\
import argparse, time
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
parser.add_argument("--slow", type=int, default=0)
args, _ = parser.parse_known_args()
for epoch in range(1, 3):
    print(f"Test set: Average loss: {args.lr * 10 / epoch:.4f}", flush=True)
time.sleep(300 if args.slow else 0)
"""


class SageMakerHarness:
    def __init__(self, emulator: Any, folder: Path) -> None:
        self.emulator = emulator
        self.folder = folder
        self.golden = GOLDEN
        self.backend = SageMakerBackend(retry=RetryPolicy(attempts=6, sleep=lambda _: None))
        (folder / "code").mkdir(exist_ok=True)
        (folder / "code" / "train.py").write_text(SCRIPT)

    def spec(self, *, trials: int = 3, slow: bool = False) -> TuningSpec:
        return validate_spec({
            "name": "conformance",
            "objective": {"metric": "loss", "goal": "minimize"},
            "metrics": [{"name": "loss", "regex": "Test set: Average loss: ([0-9.]+)"}],
            "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1,
                                    "scale": "log"}},
            "strategy": {"algorithm": "random", "seed": 3},
            "limits": {"max_trials": trials, "max_parallel": trials},
            "trial": {"command": ["python", "train.py"], "code": "code",
                      "contract": "sagemaker", "args": {"slow": int(slow)}},
            "backends": {"sagemaker": {"role_arn": ROLE, "image_uri": IMAGE,
                                       "output_path": f"s3://{BUCKET}/output"}},
        }, base_dir=self.folder)

    def inject(self, operation: str, kind: str, count: int = 1) -> None:
        self.emulator.inject_fault(OPERATIONS[operation], kind, count)

    def calls(self, operation: str) -> int:
        return int(self.emulator.stats()["calls"].get(OPERATIONS[operation], 0))

    def jobs(self) -> int:
        listing = self.emulator.client("sagemaker").list_hyper_parameter_tuning_jobs(
            MaxResults=100)
        return len(listing["HyperParameterTuningJobSummaries"])

    def reset(self) -> None:
        self.emulator.faults.clear()
        self.emulator.reset_stats()


@pytest.fixture(scope="module")
def conformance_emulator():
    with emulator_testing.sagemaker_emulator() as emu:
        emu.client("s3").create_bucket(Bucket=BUCKET)
        yield emu


class TestSageMakerConformance(BackendConformance):
    @pytest.fixture
    def harness(self, conformance_emulator, monkeypatch, tmp_path) -> SageMakerHarness:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
        monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
        for key, value in conformance_emulator.env().items():
            monkeypatch.setenv(key, value)
        return SageMakerHarness(conformance_emulator, tmp_path)
