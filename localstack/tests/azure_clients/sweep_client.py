"""Unchanged user code against the Azure emulator: run as a subprocess with only the
variables `hpo-bridge emulate azure` prints (and the polling interval settings), so the SDK's
process-wide state (AZUREML_CURRENT_CLOUD) stays out of the test process.

Prints one JSON document: what the real clients saw.
"""

import json
import os
import sys
import time

from azure.ai.ml import MLClient, command
from azure.ai.ml.sweep import Choice, LogUniform
from azure.identity import DefaultAzureCredential
from mlflow.tracking import MlflowClient

code, mode = sys.argv[1], sys.argv[2]
sub, rg, ws = (os.environ[k] for k in
               ("AZURE_SUBSCRIPTION_ID", "AZURE_RESOURCE_GROUP", "AZUREML_WORKSPACE_NAME"))
ml = MLClient(DefaultAzureCredential(), sub, rg, ws)
if mode == "bandit":  # seed 000: best 0.8 at interval 10, slack 0.2 -> below 0.667 stops
    from azure.ai.ml.sweep import BanditPolicy

    trial = command(code=code, command="python bandit.py --q ${{inputs.q}}",
                    environment="azureml:AzureML-sklearn-1.5@latest", inputs={"q": 0.8})
    sweep = trial(q=Choice([0.8, 0.7, 0.6, 0.5])).sweep(
        primary_metric="accuracy", goal="maximize", sampling_algorithm="grid",
        max_total_trials=4, max_concurrent_trials=1,
        early_termination_policy=BanditPolicy(slack_factor=0.2, evaluation_interval=10,
                                              delay_evaluation=10))
else:
    trial = command(code=code, command="python train.py --lr ${{inputs.lr}} --bs ${{inputs.bs}}"
                    " --slow ${{inputs.slow}}",
                    environment="azureml:AzureML-sklearn-1.5@latest", compute="cpu-cluster",
                    inputs={"lr": 0.01, "bs": 16, "slow": 1 if mode == "cancel" else 0})
    sweep = trial(lr=LogUniform(-6, -1), bs=Choice([16, 32])).sweep(
        primary_metric="accuracy", goal="maximize", sampling_algorithm="random",
        max_total_trials=3, max_concurrent_trials=3)
created = ml.jobs.create_or_update(sweep)
out = {"name": created.name}


def wait(done):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = ml.jobs.get(created.name)
        if done(job):
            return job
        time.sleep(0.2)
    raise SystemExit(f"timed out: {job.status}")


if mode == "cancel":
    wait(lambda j: len(list(ml.jobs.list(parent_job_name=created.name))) > 0)
    ml.jobs.begin_cancel(created.name).result()
    job = wait(lambda j: j.status in ("Completed", "Failed", "Canceled"))
    out["status"] = job.status
    out["children"] = {c.name: c.status for c in ml.jobs.list(parent_job_name=created.name)}
else:
    if mode == "stream":
        ml.jobs.stream(created.name)
    job = wait(lambda j: j.status in ("Completed", "Failed", "Canceled"))
    out["status"] = job.status
    out["best"] = job.properties.get("best_child_run_id")
    children = list(ml.jobs.list(parent_job_name=created.name))
    out["children"] = {c.name: c.status for c in children}
    tracking = MlflowClient(tracking_uri=ml.workspaces.get(ws).mlflow_tracking_uri)
    out["history"] = {
        c.name: [[m.step, m.value] for m in sorted(
            tracking.get_metric_history(c.name, "accuracy"), key=lambda m: m.step)]
        for c in children}
    out["params"] = {c.name: tracking.get_run(c.name).data.params for c in children}
print("RESULT " + json.dumps(out))
