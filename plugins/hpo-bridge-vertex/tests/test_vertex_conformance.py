"""The kit's conformance tests, run by both Google backends against `hpo-bridge emulate
vertex` (in this process): compile = golden, submit/follow/collect, cancel, attach, retries,
no retry on access denied, rollback of a failed upload."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_vertex.ml_backend import AiPlatformBackend
from hpo_bridge_vertex.vertex_backend import VertexBackend
from vertex_helpers import BUCKET, DATA, point_at

from hpo_bridge.backends import RetryPolicy
from hpo_bridge.backends.testing import BackendConformance
from hpo_bridge.loading import validate_spec
from hpo_bridge.spec import TuningSpec

SCRIPT = """\
import argparse, time
import hypertune
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
parser.add_argument("--slow", type=int, default=0)
args, _ = parser.parse_known_args()
tuner = hypertune.HyperTune()
for step in (1, 2):
    tuner.report_hyperparameter_tuning_metric(
        hyperparameter_metric_tag="accuracy", metric_value=round(args.lr * 10 * step, 6),
        global_step=step)
time.sleep(300 if args.slow else 0)
"""
OPERATIONS = {
    "vertex": {"create": "CreateHyperparameterTuningJob",
               "status": "GetHyperparameterTuningJob",
               "list": "GetHyperparameterTuningJob",  # the trials come inside the job
               "upload": "storage:upload",
               "stop": "CancelHyperparameterTuningJob"},
    "aiplatform": {"create": "ml.projects.jobs.create", "status": "ml.projects.jobs.get",
                   "list": "ml.projects.jobs.get", "upload": "storage:upload",
                   "stop": "ml.projects.jobs.cancel"},
}


class GoogleHarness:
    def __init__(self, backend_class: Any, emulator: Any, folder: Path) -> None:
        self.emulator = emulator
        self.folder = folder
        self.backend = backend_class(retry=RetryPolicy(attempts=6, sleep=lambda _: None))
        self.name = self.backend.name
        self.golden = DATA / f"conformance-golden-{self.name}.json"
        (folder / "code").mkdir(exist_ok=True)
        (folder / "code" / "train.py").write_text(SCRIPT)

    def spec(self, *, trials: int = 3, slow: bool = False) -> TuningSpec:
        return validate_spec({
            "name": "conformance",
            "objective": {"metric": "accuracy", "goal": "maximize"},
            "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1,
                                    "scale": "log"}},
            "strategy": {"algorithm": "random"},
            "limits": {"max_trials": trials, "max_parallel": trials},
            "trial": {"command": ["python", "train.py"], "code": "code",
                      "contract": "vertex", "args": {"slow": int(slow)}},
            "backends": {self.name: {"staging_bucket": f"gs://{BUCKET}/conformance"}},
        }, base_dir=self.folder)

    def inject(self, operation: str, kind: str, count: int = 1) -> None:
        self.emulator.inject_fault(OPERATIONS[self.name][operation], kind, count)

    def calls(self, operation: str) -> int:
        return int(self.emulator.stats()["calls"].get(OPERATIONS[self.name][operation], 0))

    def jobs(self) -> int:
        book = self.emulator.frontend.book
        api = "vertex" if self.name == "vertex" else "ml"
        return sum(1 for key in book.jobs if key[0] == api)

    def reset(self) -> None:
        self.emulator.faults.clear()
        self.emulator.reset_stats()


class TestVertexConformance(BackendConformance):
    @pytest.fixture
    def harness(self, vertex_emulator: Any, monkeypatch: pytest.MonkeyPatch,
                tmp_path: Path) -> GoogleHarness:
        point_at(vertex_emulator, monkeypatch, tmp_path)
        return GoogleHarness(VertexBackend, vertex_emulator, tmp_path)


class TestAiPlatformConformance(BackendConformance):
    @pytest.fixture
    def harness(self, vertex_emulator: Any, monkeypatch: pytest.MonkeyPatch,
                tmp_path: Path) -> GoogleHarness:
        point_at(vertex_emulator, monkeypatch, tmp_path)
        return GoogleHarness(AiPlatformBackend, vertex_emulator, tmp_path)
