"""Helpers of the Vertex emulator's tests: code packages, job bodies, waiting for a job."""

from __future__ import annotations

import io
import tarfile
import textwrap
import time
from typing import Any

BUCKET = "hpo-bridge-examples"
PARENT = "projects/p/locations/us-central1"
ENDED = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED")
ML_ENDED = ("SUCCEEDED", "FAILED", "CANCELLED")


def sdist(task: str, name: str = "trainer") -> bytes:
    """A source distribution holding `<name>/task.py` (what Vertex pip-installs)."""
    files = {f"pkg-0.1/{name}/__init__.py": "", f"pkg-0.1/{name}/task.py": textwrap.dedent(task),
             "pkg-0.1/setup.py": "from setuptools import setup\nsetup(name='pkg')\n"}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for path, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(path)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def upload(emulator: Any, name: str, task: str) -> str:
    """The package in the emulator's storage; its gs:// URI."""
    emulator.client("storage").bucket(BUCKET).blob(name).upload_from_string(sdist(task))
    return f"gs://{BUCKET}/{name}"


def hpt_job(package: str, parameters: list[dict[str, Any]], metric: str = "acc",
            trials: int = 3, parallel: int = 1, **study: Any) -> dict[str, Any]:
    """A HyperparameterTuningJob (GAPIC dict) running `trainer.task` from `package`."""
    return {
        "display_name": "test",
        "study_spec": {"metrics": [{"metric_id": metric, "goal": "MAXIMIZE"}],
                       "parameters": parameters, **study},
        "max_trial_count": trials, "parallel_trial_count": parallel,
        "trial_job_spec": {"worker_pool_specs": [{
            "machine_spec": {"machine_type": "n1-standard-4"}, "replica_count": 1,
            "python_package_spec": {
                "executor_image_uri": "us-docker.pkg.dev/vertex-ai/training/sklearn-cpu.1-0",
                "package_uris": [package], "python_module": "trainer.task"}}],
            "base_output_directory": {"output_uri_prefix": f"gs://{BUCKET}/out"}},
    }


def ml_job(job_id: str, package: str, **hyper: Any) -> dict[str, Any]:
    return {"jobId": job_id, "trainingInput": {
        "scaleTier": "BASIC", "region": "us-central1", "packageUris": [package],
        "pythonModule": "trainer.task", "hyperparameters": hyper}}


def wait_vertex(client: Any, name: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        job = client.get_hyperparameter_tuning_job(name=name)
        if job.state.name in ENDED:
            return job
        assert time.monotonic() < deadline, f"{name} still {job.state.name}"
        time.sleep(0.05)


def wait_ml(client: Any, project: str, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job: dict[str, Any] = client.projects().jobs().get(
            name=f"projects/{project}/jobs/{job_id}").execute()
        if job["state"] in ML_ENDED:
            return job
        assert time.monotonic() < deadline, f"{job_id} still {job['state']}"
        time.sleep(0.05)
