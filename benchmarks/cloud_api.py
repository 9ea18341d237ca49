"""6. Cloud API efficiency: API calls per poll for a large tuning job, per cloud.

SageMaker: a tuning job of N no-op trials runs on the offline SageMaker emulator (it counts
every API call by operation). The plugin's real boto3 path submits it and
follows it to the end (`run_native`); then one poll cycle (job status + trial
listing) is measured alone against the finished N-trial job, next to the naive
way of following a job: list the training jobs and describe each one.

Azure ML: the same for an N-trial sweep on the Azure emulator (benchmarks/azure_api.py).
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks import azure_api
from benchmarks.common import (
    HPO,
    Benchmark,
    Table,
    job_handle,
    require,
    scratch,
    searcher_factory,
    unavailable,
)

NAME = "cloud_api"
TITLE = "6. Cloud API efficiency (SageMaker and Azure ML emulators)"
BUCKET = "hpo-bench"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
IMAGE = "763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:1.8.0-cpu-py3"
SCRIPT = "print('Test set: Average loss: 0.5', flush=True)\n"
PARALLEL = 10


@contextlib.contextmanager
def _environment(values: dict[str, str], folder: Path) -> Iterator[None]:
    """boto3 pointed at the emulator, and at nothing of this machine's AWS setup."""
    saved = dict(os.environ)
    for name in [k for k in os.environ if k.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update({
        "AWS_CONFIG_FILE": str(folder / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(folder / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        **values,
    })
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _spec(folder: Path, trials: int) -> Any:
    from hpo_bridge.spec import validate_spec

    (folder / "noop_sm.py").write_text(SCRIPT)
    return validate_spec({
        "name": "api-calls",
        "objective": {"metric": "loss", "goal": "minimize"},
        "metrics": [{"name": "loss", "regex": r"Test set: Average loss: ([0-9.]+)"}],
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 1},
        "limits": {"max_trials": trials, "max_parallel": PARALLEL},
        "trial": {"command": ["python", "noop_sm.py"], "contract": "sagemaker"},
        "backends": {"sagemaker": {"role_arn": ROLE, "image_uri": IMAGE,
                                   "output_path": f"s3://{BUCKET}/output"}},
    }, base_dir=folder)


def _calls(emulator: Any) -> dict[str, int]:
    return dict(emulator.stats()["calls"])


def _measure(bench: Benchmark, trials: int, poll_interval: float) -> Table:
    testing = require("hpo_bridge_localstack.testing")
    backend_mod = require("hpo_bridge_sagemaker.backend")
    kit = require("hpo_bridge.backends")
    searcher_factory("random")  # the emulator's trials need it: Pending until it exists

    table = Table(
        f"API calls for a {trials}-trial tuning job",
        f"SageMaker API calls counted by the emulator; the plugin's poll cycle (status + "
        f"trial listing, 100 per page) against describing every training job; aim: at most "
        f"one call per 100 trials plus one ({1 + math.ceil(trials / 100)} here).",
        ["way of following the job", "calls per poll cycle", "per 100 trials"],
    )
    with scratch("hpo-bench-cloud-") as folder, testing.sagemaker_emulator() as emu:
        emu.client("s3").create_bucket(Bucket=BUCKET)
        with _environment(emu.env(), folder):
            sleeps: list[float] = []

            def sleep(seconds: float) -> None:
                sleeps.append(seconds)
                time.sleep(seconds)

            backend = backend_mod.SageMakerBackend(
                retry=kit.RetryPolicy(attempts=6, sleep=lambda _: None), sleep=sleep)
            emu.reset_stats()
            t0 = time.perf_counter()
            backend.run(_spec(folder, trials), folder / "study",
                        kit.RunOptions(poll_interval=poll_interval), kit.QuietView())
            wall = time.perf_counter() - t0
            status = backend.job_status(job_handle(folder / "study"))
            if status.native_state != "Completed":
                raise RuntimeError(f"the tuning job ended {status.native_state}: "
                                   f"{status.message}")
            during = _calls(emu)
            handle = job_handle(folder / "study")

            emu.reset_stats()
            backend.job_status(handle)
            backend.list_trials(handle)
            cycle = sum(_calls(emu).values())

            emu.reset_stats()
            name, _ = backend_mod.split_handle(handle)
            client = emu.client("sagemaker")
            client.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
            for summary in backend.training_jobs(handle):
                client.describe_training_job(TrainingJobName=summary["TrainingJobName"])
            naive = sum(_calls(emu).values())

    polls = len(sleeps) + 1
    polling = (during.get("DescribeHyperParameterTuningJob", 0)
               + during.get("ListTrainingJobsForHyperParameterTuningJob", 0))
    bench.record(HPO, "calls_per_poll_cycle", [cycle], "calls")
    bench.record("describe every training job", "calls_per_poll_cycle", [naive], "calls")
    bench.record(HPO, "follow_calls_per_poll", [polling / polls], "calls")
    bench.record(HPO, "job_wall_s", [wall], "s")
    table.rows.append([f"{HPO} sagemaker plugin (status + paginated listing)", cycle,
                       f"{100 * cycle / trials:.2f}"])
    table.rows.append(["describe every training job (naive)", naive,
                       f"{100 * naive / trials:.2f}"])
    table.notes.append(
        f"Following the whole job ({status.native_state}, {wall:.0f} s wall, {polls} polls at "
        f"--poll-interval {poll_interval} s with back-off) made {polling} polling calls, "
        f"{polling / polls:.2f} per poll: the listing is fetched only when the job's counters "
        f"moved. Every call of the run: {_compact(during)}.")
    return table


def _compact(calls: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))


def run(quick: bool) -> Benchmark:
    bench = Benchmark(NAME, TITLE)
    trials = 120 if quick else 500
    bench.settings = {"trials": trials, "parallel training jobs": PARALLEL,
                      "trial": "a script printing one SageMaker-style metric line",
                      "azure trial": "a script logging one metric with MLflow's REST call",
                      "azure parallel trials": azure_api.PARALLEL}
    try:
        bench.tables.append(_measure(bench, trials, poll_interval=0.5))
    except Exception as exc:  # noqa: BLE001 - reported as the table's status
        kind, why = unavailable(exc)
        bench.tables.append(Table(
            f"API calls for a {trials}-trial tuning job",
            "SageMaker API calls per poll cycle, counted by the emulator.",
            [], status=kind, notes=[f"{kind}: {why}"]))
    try:
        bench.tables.append(azure_api.measure(bench, trials, poll_interval=0.5))
    except Exception as exc:  # noqa: BLE001 - reported as the table's status
        kind, why = unavailable(exc)
        bench.tables.append(Table(
            f"Azure ML API calls for a {trials}-trial sweep",
            "Azure ML API calls per poll, counted by the Azure emulator.",
            [], status=kind, notes=[f"{kind}: {why}"]))
    if quick:
        bench.notes.append("Quick mode runs 120-trial jobs (the full run: 500); the calls per "
                           "poll cycle grow by one per 100 trials.")
    return bench

