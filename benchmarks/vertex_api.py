"""7. Cloud API efficiency: Vertex AI / AI Platform API calls per poll for a large job.

A tuning job of N trials (each reports one value through cloudml-hypertune) runs on the
offline Vertex emulator, which counts every API call by operation. Each backend's real
client path submits it and follows it to the end (`run`), then one poll cycle (job status
+ trial listing) is measured alone against the finished job. Vertex AI and AI Platform
return a job's trials inside its GET, so the plugin's aim is one GET per poll whatever N
is; the kit's plain template (status, then a second GET for the trials) is the peer.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import HPO, Benchmark, Table, job_handle, require, scratch, unavailable

NAME = "vertex_api"
TITLE = "7. Cloud API efficiency (Vertex AI emulator)"
PARALLEL = 10
SCRIPT = """\
import hypertune
hypertune.HyperTune().report_hyperparameter_tuning_metric(
    hyperparameter_metric_tag="accuracy", metric_value=0.5, global_step=1)
"""
GETS = {"vertex": "GetHyperparameterTuningJob", "aiplatform": "ml.projects.jobs.get"}
GOOGLE = ("GOOGLE_APPLICATION_CREDENTIALS", "GOOGLE_CLOUD_PROJECT", "CLOUDSDK_CONFIG",
          "GCE_METADATA_HOST", "GCE_METADATA_IP", "STORAGE_EMULATOR_HOST",
          "CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM", "CLOUDSDK_API_ENDPOINT_OVERRIDES_ML")


@contextlib.contextmanager
def _environment(emulator: Any, folder: Path) -> Iterator[None]:
    """Google's chain pointed at the emulator (an external-account ADC file), and at
    nothing of this machine's Google setup."""
    saved = dict(os.environ)
    for name in GOOGLE:
        os.environ.pop(name, None)
    os.environ.update({
        "CLOUDSDK_CONFIG": str(folder / "gcloud"),
        "GOOGLE_APPLICATION_CREDENTIALS": str(emulator.frontend.adc_file(folder / "adc")),
        "GOOGLE_CLOUD_PROJECT": "hpo-bench",
        **{k: v for k, v in emulator.env().items() if not k.startswith("GCE_")},
    })
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _spec(folder: Path, backend: str, trials: int) -> Any:
    from hpo_bridge.loading import validate_spec

    (folder / "code").mkdir(exist_ok=True)
    (folder / "code" / "noop.py").write_text(SCRIPT)
    return validate_spec({
        "name": f"api-calls-{backend}",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random"},
        "limits": {"max_trials": trials, "max_parallel": PARALLEL},
        "trial": {"command": ["python", "noop.py"], "code": "code", "contract": "vertex"},
        "backends": {backend: {"staging_bucket": "gs://hpo-bridge-examples/bench"}},
    }, base_dir=folder)


def _measure(bench: Benchmark, trials: int, poll_interval: float) -> Table:
    testing = require("hpo_bridge_localstack.testing")
    kit = require("hpo_bridge.backends")
    classes = {"vertex": require("hpo_bridge_vertex.vertex_backend").VertexBackend,
               "aiplatform": require("hpo_bridge_vertex.ml_backend").AiPlatformBackend}
    table = Table(
        f"API calls for a {trials}-trial tuning job",
        "Calls counted by the emulator: one poll cycle (job status + every trial) against "
        "the finished job, and the whole follow loop; aim: one GET per poll.",
        ["backend, way of following", "calls per poll cycle", "follow: GETs per poll",
         "bytes per GET"],
    )
    with scratch("hpo-bench-vertex-") as folder, testing.emulator("vertex") as emu, \
            _environment(emu, folder):
        for name, backend_class in classes.items():
            sleeps: list[float] = []

            def sleep(seconds: float, sleeps: list[float] = sleeps) -> None:
                sleeps.append(seconds)
                time.sleep(seconds)

            backend = backend_class(retry=kit.RetryPolicy(attempts=6, sleep=lambda _: None),
                                    sleep=sleep)
            study = folder / f"study-{name}"
            emu.reset_stats()
            t0 = time.perf_counter()
            outcome = backend.run(_spec(folder, name, trials), study,
                                  kit.RunOptions(poll_interval=poll_interval), kit.QuietView())
            wall = time.perf_counter() - t0
            if outcome.status != "finished":
                raise RuntimeError(f"the {name} job ended {outcome.status}: {outcome.reason}")
            during = dict(emu.stats()["calls"])
            handle = job_handle(study)
            emu.reset_stats()
            backend.job_status(handle)
            backend.list_trials(handle)
            cycle = sum(emu.stats()["calls"].values())
            emu.reset_stats()
            size = _get_bytes(backend, handle)
            emu.reset_stats()
            backend.job_status(handle)
            backend._seen.clear()  # the kit's plain template: a second GET for the trials
            backend.list_trials(handle)
            plain = sum(emu.stats()["calls"].values())
            polls = len(sleeps) + 1
            gets = during.get(GETS[name], 0)
            bench.record(f"{HPO} {name}", "calls_per_poll_cycle", [cycle], "calls")
            bench.record(f"status + separate trial GET ({name})", "calls_per_poll_cycle",
                         [plain], "calls")
            bench.record(f"{HPO} {name}", "follow_gets_per_poll", [gets / polls], "calls")
            bench.record(f"{HPO} {name}", "job_wall_s", [wall], "s")
            table.rows.append([f"{HPO} {name} (trials from the status GET)", cycle,
                               f"{gets / polls:.2f}", f"{size:,}"])
            table.rows.append([f"status, then a GET for the trials ({name})", plain, "", ""])
            table.notes.append(
                f"{name}: {trials} trials, {wall:.0f} s wall, {polls} polls at "
                f"--poll-interval {poll_interval} s with back-off; every call of the run: "
                + ", ".join(f"{k} {v}" for k, v in sorted(during.items())) + ".")
    return table


def _get_bytes(backend: Any, handle: str) -> int:
    """The size of the job's GET answer (its trials inside), as the client received it."""
    import json

    return len(json.dumps(backend.describe(handle)))


def run(quick: bool) -> Benchmark:
    bench = Benchmark(NAME, TITLE)
    trials = 100 if quick else 500
    bench.settings = {"trials": trials, "parallel trials": PARALLEL,
                      "trial": "a script reporting one value through cloudml-hypertune"}
    try:
        bench.tables.append(_measure(bench, trials, poll_interval=0.5))
    except Exception as exc:  # noqa: BLE001 - reported as the table's status
        kind, why = unavailable(exc)
        bench.tables.append(Table(f"API calls for a {trials}-trial tuning job",
                                  "Vertex AI / AI Platform API calls per poll.", [],
                                  status=kind, notes=[f"{kind}: {why}"]))
    if quick:
        bench.notes.append("Quick mode runs a 100-trial job (the full run: 500).")
    return bench
