"""6b. Azure ML API calls per poll for a large sweep, on the offline Azure emulator.

A sweep of N no-op trials runs on `hpo-bridge emulate azure` (in this process; it counts
every call by operation). The plugin's real azure-ai-ml / MLflow path submits it and follows
it to the end; a snapshot of the counts at every pause between polls gives each poll's calls.
Next to it, the naive way of following a sweep, with the same real clients: describe the
sweep, list every child and read each child's metric history
(`MlflowClient.get_metric_history`). The children are listed with MLflow's paged search:
`jobs.list(parent_job_name=...)` in azure-ai-ml 1.35 returns the first page of children only
(its run-history pager never follows `nextLink`).

Counted: the ARM, run history and MLflow calls of the follower. Not counted: the trials' own
calls (their metric reports), and the cloud metadata document and managed-identity token,
which azure-ai-ml fetches only for a custom cloud such as the emulator's
(ARM_CLOUD_METADATA_URL); the note gives their number.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks.common import HPO, Benchmark, Table, job_handle, require, scratch

PARALLEL = 10
# The custom cloud's document, the identity's token, and what the trials themselves send.
NOT_COUNTED = ("metadata", "msi", "mlflow:runs/log-metric")
NAIVE = "list children + every metric history"
# A trial that reports its metric with the standard library (MLflow's REST call, as
# `mlflow.log_metric` makes it), so 500 trials stay cheap on a small machine.
SCRIPT = """\
import json, os, ssl, sys, time, urllib.request
body = {"run_id": os.environ["MLFLOW_RUN_ID"], "key": "loss", "value": float(sys.argv[2]),
        "timestamp": int(time.time() * 1000), "step": 1}
request = urllib.request.Request(
    os.environ["MLFLOW_TRACKING_URI"].rstrip("/") + "/api/2.0/mlflow/runs/log-metric",
    json.dumps(body).encode(), {"Content-Type": "application/json"})
context = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
urllib.request.urlopen(request, context=context, timeout=60).read()
"""


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """The Azure clients pointed at the emulator only (azure-ai-ml also writes
    AZUREML_CURRENT_CLOUD into the environment: restored afterwards)."""
    saved = dict(os.environ)
    for name in [k for k in os.environ
                 if k.startswith(("AZURE", "MLFLOW", "IDENTITY_", "MSI_", "ARM_"))
                 or k == "REQUESTS_CA_BUNDLE"]:
        del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _spec(folder: Path, trials: int) -> Any:
    from hpo_bridge.spec import validate_spec

    (folder / "code").mkdir()
    (folder / "code" / "noop_azure.py").write_text(SCRIPT)
    return validate_spec({
        "name": "api-calls",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 1},
        "limits": {"max_trials": trials, "max_parallel": PARALLEL},
        "trial": {"command": "python noop_azure.py --x ${{search_space.x}}",
                  "code": "code", "contract": "azure"},
        "backends": {"azure": {"environment": "azureml:AzureML-sklearn-1.5@latest",
                               "compute": "cpu-cluster"}},
    }, base_dir=folder)


def _api(calls: dict[str, int]) -> int:
    """The follower's calls."""
    return sum(v for k, v in calls.items() if k not in NOT_COUNTED)


def _minus(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def _naive_clients() -> tuple[Any, Any]:
    """azure-ai-ml's MLClient and an MlflowClient on the workspace's tracking URI."""
    from azure.ai.ml import MLClient
    from azure.identity import DefaultAzureCredential
    from mlflow.tracking import MlflowClient

    workspace = (os.environ["AZURE_SUBSCRIPTION_ID"], os.environ["AZURE_RESOURCE_GROUP"],
                 os.environ["AZUREML_WORKSPACE_NAME"])
    ml = MLClient(DefaultAzureCredential(), *workspace)
    return ml, MlflowClient(tracking_uri=ml.workspaces.get(workspace[2]).mlflow_tracking_uri)


def _naive_poll(ml: Any, tracking: Any, name: str) -> None:
    """One poll the naive way: the sweep, its children, every child's metric history."""
    job = ml.jobs.get(name)
    experiment = tracking.get_experiment_by_name(job.experiment_name).experiment_id
    token = None
    while True:
        page = tracking.search_runs([experiment], f"tags.mlflow.parentRunId = '{name}'",
                                    max_results=100, page_token=token)
        for child in page:
            tracking.get_metric_history(child.info.run_id, "loss")
        token = page.token
        if not token:
            return


def measure(bench: Benchmark, trials: int, poll_interval: float) -> Table:
    testing = require("hpo_bridge_localstack.testing")
    backend_mod = require("hpo_bridge_azure.backend")
    kit = require("hpo_bridge.backends")
    aim = 1 + math.ceil(trials / 100)
    table = Table(
        f"Azure ML API calls for a {trials}-trial sweep",
        f"ARM, run history and MLflow calls counted by the Azure emulator: the plugin's polls "
        f"(jobs.get, plus MLflow runs/search at 100 runs a page when the sweep moved) against "
        f"listing every child and reading each one's metric history; aim: at most one call "
        f"per 100 trials plus one ({aim} here).",
        ["way of following the sweep", "calls per poll", "per 100 trials"],
    )
    with scratch("hpo-bench-azure-") as folder, testing.emulator("azure") as emu, \
            _environment(emu.env()):
        per_poll: list[dict[str, int]] = []  # calls from one pause between polls to the next
        last: dict[str, int] = {}

        def sleep(seconds: float) -> None:
            nonlocal last
            now = dict(emu.stats()["calls"])
            per_poll.append(_minus(now, last))
            last = now
            time.sleep(seconds)

        backend = backend_mod.AzureBackend(
            retry=kit.RetryPolicy(attempts=6, sleep=lambda _: None), sleep=sleep)
        emu.reset_stats()
        t0 = time.perf_counter()
        outcome = backend.run(_spec(folder, trials), folder / "study",
                              kit.RunOptions(poll_interval=poll_interval), kit.QuietView())
        wall = time.perf_counter() - t0
        run_calls = dict(emu.stats()["calls"])
        tail = _minus(run_calls, last)  # the last poll and the one-time final collection
        if outcome.status != "finished":
            raise RuntimeError(f"the sweep ended {outcome.status}: {outcome.reason}")
        name = job_handle(folder / "study")
        ran = [s for (_, n), s in emu.frontend.service.sweeps.items() if n == name][0]
        if len(ran.children) != trials:
            raise RuntimeError(f"the sweep ran {len(ran.children)} trials, not {trials}")

        ml, tracking = _naive_clients()  # made, and the tracking URI read, before counting
        emu.reset_stats()
        _naive_poll(ml, tracking, name)
        naive_calls = dict(emu.stats()["calls"])

    # per_poll[0] is the submission (upload, job PUT) with the first poll: not a poll alone
    polls = per_poll[1:]
    if not polls:
        raise RuntimeError("the sweep ended before a second poll: nothing to measure")
    listing = [p for p in polls if p.get("mlflow:runs/search")]
    quiet = [p for p in polls if not p.get("mlflow:runs/search")]
    worst = max(_api(p) for p in polls)
    polling = sum(_api(p) for p in polls)
    naive = _api(naive_calls)
    bench.record(HPO, "azure_calls_per_poll_max", [worst], "calls")
    bench.record(HPO, "azure_follow_calls_per_poll", [polling / len(polls)], "calls")
    bench.record(HPO, "azure_sweep_wall_s", [wall], "s")
    bench.record(NAIVE, "azure_calls_per_poll", [naive], "calls")
    table.rows.append([f"{HPO} azure plugin: a poll after the sweep moved (the most of any"
                       " poll)", worst, f"{100 * worst / trials:.2f}"])
    if quiet:
        calm = max(_api(p) for p in quiet)
        table.rows.append([f"{HPO} azure plugin: a poll while nothing moved", calm,
                           f"{100 * calm / trials:.2f}"])
    table.rows.append([f"{NAIVE} (naive)", naive, f"{100 * naive / trials:.2f}"])
    table.notes.append(
        f"Following the whole sweep ({trials} trials, {PARALLEL} at a time, {wall:.0f} s "
        f"wall, --poll-interval {poll_interval} s with back-off): {len(polls)} polls between "
        f"the first and the last made {polling} calls, {polling / len(polls):.2f} per poll "
        f"({len(listing)} re-listed the trials, {len(quiet)} found nothing moved). The "
        f"submission with the first poll (code upload, job PUT, one-time lookups of the "
        f"workspace's tracking URI and the experiment's id): {_compact(per_poll[0])}. The "
        f"last poll with the final collection (every child's status and metric history, "
        f"once): {_compact(tail)}. Not counted: the trials' "
        f"{run_calls.get('mlflow:runs/log-metric', 0)} metric reports, and (custom-cloud "
        f"artefacts) {run_calls.get('metadata', 0)} cloud metadata reads and "
        f"{run_calls.get('msi', 0)} tokens over the run. The naive poll: "
        f"{_compact(naive_calls)}.")
    return table


def _compact(calls: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(calls.items())
                     if k not in NOT_COUNTED) or "none"
