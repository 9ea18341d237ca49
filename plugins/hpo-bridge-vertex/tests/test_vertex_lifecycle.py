"""Both backends' lifecycle details on the emulator (in-process): every trial collected with
typed parameters and its intermediate measurements, ties shown as ties, retries on 429,
503 and dropped connections but never on 400, 403 or 404, logs, a missing project."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_vertex.ml_backend import AiPlatformBackend
from hpo_bridge_vertex.vertex_backend import VertexBackend
from vertex_helpers import base_spec, make, point_at

from hpo_bridge import study
from hpo_bridge.backends import BackendError, ErrorKind, QuietView, RetryPolicy, RunOptions
from hpo_bridge.backends.native import CloudCallError
from hpo_bridge.store import Store

SCRIPT = """\
import argparse, hypertune
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float); p.add_argument("--layers", type=int)
p.add_argument("--units", type=int)
a, _ = p.parse_known_args()
h = hypertune.HyperTune()
value = 0.9 if a.units in (16, 32) else 0.5   # two configurations tie
for step in (1, 2, 3):
    h.report_hyperparameter_tuning_metric(hyperparameter_metric_tag="accuracy",
                                          metric_value=round(value * step / 3, 4),
                                          global_step=step)
"""
BACKENDS = {"vertex": VertexBackend, "aiplatform": AiPlatformBackend}
GETS = {"vertex": "GetHyperparameterTuningJob", "aiplatform": "ml.projects.jobs.get"}


@pytest.fixture
def pointed(vertex_emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    point_at(vertex_emulator, monkeypatch, tmp_path)
    vertex_emulator.faults.clear()
    vertex_emulator.reset_stats()
    return vertex_emulator


def spec_for(backend: str, folder: Path, name: str) -> Any:
    (folder / "train.py").write_text(SCRIPT)
    data = base_spec(name=name, strategy={"algorithm": "grid"}, limits={"max_parallel": 2},
                     search_space={"units": {"type": "discrete", "values": [16, 32, 64]},
                                   "layers": {"type": "categorical", "values": [2]}})
    return make(data, folder)


@pytest.mark.parametrize("backend", BACKENDS)
def test_every_trial_with_typed_params_and_measurements_and_ties(
        pointed: Any, tmp_path: Path, backend: str) -> None:
    runner = BACKENDS[backend](retry=RetryPolicy(sleep=lambda _: None))
    directory = tmp_path / "study"
    outcome = runner.run(spec_for(backend, tmp_path, f"typed-{backend}"), directory,
                         RunOptions(poll_interval=0.05), QuietView())
    assert outcome.status == "finished"
    with Store.open(directory) as store:
        trials = {t.id: t for t in store.trials()}
    assert {i: (t.params, t.values, t.status.value) for i, t in trials.items()} == {
        1: ({"units": 16, "layers": 2}, [0.3, 0.6, 0.9], "completed"),
        2: ({"units": 32, "layers": 2}, [0.3, 0.6, 0.9], "completed"),
        3: ({"units": 64, "layers": 2}, [0.1667, 0.3333, 0.5], "completed"),
    }
    assert all(t.started_at and t.ended_at and t.started_at <= t.ended_at
               for t in trials.values())
    best = study.best(directory)
    assert (best["best"]["id"], best["ties"]) == (1, [2])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("kind", ["throttle", "error", "drop"])
def test_transient_errors_are_retried(pointed: Any, backend: str, kind: str,
                                      tmp_path: Path) -> None:
    retried: list[BaseException] = []
    runner = BACKENDS[backend](retry=RetryPolicy(sleep=lambda _: None), on_retry=retried.append)
    pointed.inject_fault(GETS[backend], kind, 2)
    with pytest.raises(CloudCallError) as info:
        runner.job_status("no-such-job")  # retried twice, then the 404 is final
    assert info.value.kind is ErrorKind.NOT_FOUND
    # httplib2 (the discovery client's transport) retries a dropped connection once itself.
    assert len(retried) == (1 if (backend, kind) == ("aiplatform", "drop") else 2)
    assert pointed.stats()["calls"][GETS[backend]] == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_not_found_and_refused_requests_are_not_retried(pointed: Any, backend: str) -> None:
    retried: list[BaseException] = []
    runner = BACKENDS[backend](retry=RetryPolicy(sleep=lambda _: None), on_retry=retried.append)
    with pytest.raises(CloudCallError) as info:
        runner.job_status("no-such-job")
    assert info.value.kind is ErrorKind.NOT_FOUND and retried == []
    assert len(str(info.value).splitlines()) == 1
    assert str(info.value).startswith(f"{backend}: get ")


@pytest.mark.parametrize("backend", BACKENDS)
def test_logs_name_where_they_are(pointed: Any, backend: str) -> None:
    runner = BACKENDS[backend]()
    handle = ("projects/p/locations/us-central1/hyperparameterTuningJobs/7"
              if backend == "vertex" else "projects/p/jobs/job_7")
    with pytest.raises(BackendError, match="trial logs are in Cloud Logging: gcloud "):
        list(runner.trial_logs(handle, "1"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_project_comes_from_the_settings_first(pointed: Any, tmp_path: Path,
                                                   backend: str) -> None:
    from google.auth.credentials import AnonymousCredentials
    from hpo_bridge_vertex.clients import Identity

    spec = make(base_spec(backends={backend: {"staging_bucket": "gs://b", "project": "other"}}),
                tmp_path)
    assert BACKENDS[backend]().project_of(spec) == "other"
    spec = make(base_spec(backends={backend: {"staging_bucket": "gs://b"}}), tmp_path)
    no_project = BACKENDS[backend](identity=Identity(AnonymousCredentials(), None))
    with pytest.raises(BackendError) as info:
        no_project.check_access(spec)
    assert str(info.value) == (f"{backend}: no Google Cloud project: set backends.{backend}"
                               ".project in the spec, or GOOGLE_CLOUD_PROJECT, or `gcloud"
                               " config set project`")
