"""The real SageMaker Python SDK 2.x against the emulator: a `sagemaker.Session` on boto3
clients pointed at it, a script-mode `Estimator(entry_point=..., source_dir=...)`, and
what the SDK's users call: HyperparameterTuner fit/attach/best_training_job/
best_estimator/analytics, TrainingJobAnalytics, logs_for_job and Estimator.fit. Every
value asserted is one the script printed or computed.

One emulator and one tuning job serve the module: its fit waits with the SDK's own
5-second polling; Estimator.fit() with its default log tailing takes about 40 s (the
SDK describes the job every 30 s), so it runs once.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from aws_clients import (
    IMAGE,
    ROLE,
    client_environment,
    printed,
    sdk_session,
    tagged,
    training_jobs,
    untar,
)
from hpo_bridge_localstack.testing import emulator as start_emulator

sagemaker = pytest.importorskip("sagemaker")
from sagemaker.analytics import TrainingJobAnalytics  # noqa: E402
from sagemaker.estimator import Estimator  # noqa: E402
from sagemaker.tuner import (  # noqa: E402
    CategoricalParameter,
    ContinuousParameter,
    HyperparameterTuner,
)

# The loss depends only on the hyperparameters: every value below is recomputed from them.
TRAIN = '''
import argparse, json, os, sys
from pathlib import Path
p = argparse.ArgumentParser()
p.add_argument("--lr", type=float, default=0.05)
p.add_argument("--optimizer", default="sgd")
p.add_argument("--epochs", type=int, default=2)
p.add_argument("--layers", type=int, default=1)
a = p.parse_args()
config = Path(os.environ["SM_INPUT_CONFIG_DIR"], "hyperparameters.json")
print("ARGV " + json.dumps(sys.argv[1:]))
print("SM_HPS " + os.environ["SM_HPS"])
print("SM_HP_OPTIMIZER " + json.dumps(os.environ["SM_HP_OPTIMIZER"]))
print("HYPERPARAMETERS_JSON " + json.dumps(json.loads(config.read_text())))
penalty = {"adam": 0.0, "sgd": 0.5}[a.optimizer]
for epoch in range(1, a.epochs + 1):
    loss = round(a.lr * 10 + penalty + a.layers / 10 + 1 / epoch, 4)
    print(f"epoch={epoch} loss={loss}", flush=True)
model = {"lr": a.lr, "optimizer": a.optimizer, "layers": a.layers}
Path(os.environ["SM_MODEL_DIR"], "model.json").write_text(json.dumps(model))
Path(os.environ["SM_OUTPUT_DATA_DIR"], "summary.txt").write_text("epochs %d" % a.epochs)
'''
METRICS = [{"Name": "loss", "Regex": "loss=([0-9.]+)"}]
_buckets = itertools.count(1)


def losses(lr: float, optimizer: str, layers: int, epochs: int) -> list[float]:
    penalty = {"adam": 0.0, "sgd": 0.5}[optimizer]
    return [round(lr * 10 + penalty + layers / 10 + 1 / e, 4) for e in range(1, epochs + 1)]


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Any:
    folder = tmp_path_factory.mktemp("sdk")
    code = folder / "code"
    code.mkdir()
    (code / "train.py").write_text(TRAIN)
    with start_emulator("sagemaker") as emu, client_environment(emu, folder):
        session = sdk_session(emu, f"sdk-bucket-{next(_buckets)}")

        class World:
            pass

        world = World()
        world.emulator, world.session, world.code = emu, session, code
        world.sm, world.logs = emu.client("sagemaker"), emu.client("logs")
        world.s3 = emu.client("s3")
        yield world


def estimator(world: Any, **hyperparameters: Any) -> Any:
    return Estimator(
        image_uri=IMAGE, role=ROLE, instance_count=1, instance_type="ml.m5.large",
        entry_point="train.py", source_dir=str(world.code),
        sagemaker_session=world.session, metric_definitions=METRICS,
        hyperparameters=hyperparameters, max_run=600,
    )


@pytest.fixture(scope="module")
def tuner(world) -> Any:
    """One tuning job, fit with wait=True: static epochs and optimizer (the SDK
    JSON-encodes them), tuned lr and layers."""
    tuner = HyperparameterTuner(
        estimator(world, epochs=2, optimizer="adam"), "loss",
        {"lr": ContinuousParameter(0.01, 0.1), "layers": CategoricalParameter([1, 2])},
        metric_definitions=METRICS, objective_type="Minimize", strategy="Random",
        max_jobs=3, max_parallel_jobs=3, random_seed=11,
    )
    tuner.fit(wait=True)
    return tuner


def jobs_of(world: Any, tuner: Any) -> list[dict[str, Any]]:
    return training_jobs(world.sm, tuner.latest_tuning_job.name)


def expected_losses(job: dict[str, Any]) -> list[float]:
    tuned = job["TunedHyperParameters"]
    return losses(float(tuned["lr"]), "adam", int(tuned["layers"]), 2)


def test_fit_runs_every_training_job_and_finds_the_best(world, tuner):
    described = world.sm.describe_hyper_parameter_tuning_job(
        HyperParameterTuningJobName=tuner.latest_tuning_job.name)
    assert described["HyperParameterTuningJobStatus"] == "Completed"
    jobs = jobs_of(world, tuner)
    assert len(jobs) == 3 and {j["TrainingJobStatus"] for j in jobs} == {"Completed"}
    for job in jobs:
        assert job["FinalHyperParameterTuningJobObjectiveMetric"]["Value"] == \
            expected_losses(job)[-1]
    best = min(jobs, key=lambda j: expected_losses(j)[-1])
    assert tuner.best_training_job() == best["TrainingJobName"]


def test_the_script_gets_hyperparameters_as_the_training_toolkit_gives_them(world, tuner):
    for job in jobs_of(world, tuner):
        lines = printed(world.logs, job["TrainingJobName"])
        lr, layers = (json.loads(job["TunedHyperParameters"][k]) for k in ("lr", "layers"))
        assert tagged(lines, "ARGV") == ["--epochs", "2", "--layers", str(layers),
                                         "--lr", str(lr), "--optimizer", "adam"]
        assert tagged(lines, "SM_HPS") == {"epochs": 2, "layers": layers, "lr": lr,
                                           "optimizer": "adam"}
        assert tagged(lines, "SM_HP_OPTIMIZER") == "adam"
        raw = tagged(lines, "HYPERPARAMETERS_JSON")  # SageMaker's strings, as sent
        assert raw["optimizer"] == '"adam"' and raw["epochs"] == "2"
        assert raw["sagemaker_program"] == '"train.py"'
        assert raw["_tuning_objective_metric"] == "loss"
        assert raw["lr"] == job["TunedHyperParameters"]["lr"]
        assert [line for line in lines if line.startswith("epoch=")] == [
            f"epoch={e} loss={v}" for e, v in enumerate(expected_losses(job), start=1)]


def test_attach_rebuilds_the_tuner(world, tuner):
    attached = HyperparameterTuner.attach(tuner.latest_tuning_job.name,
                                          sagemaker_session=world.session)
    assert attached.objective_metric_name == "loss"
    assert attached.estimator.hyperparameters()["optimizer"] == '"adam"'
    assert "_tuning_objective_metric" not in attached.estimator.hyperparameters()
    assert attached.estimator.instance_type == "ml.m5.large"
    assert set(attached.hyperparameter_ranges()["ContinuousParameterRanges"][0].items()) >= {
        ("Name", "lr"), ("MinValue", "0.01"), ("MaxValue", "0.1")}
    assert attached.best_training_job() == tuner.best_training_job()


def test_best_estimator_and_its_model_artifacts(world, tuner):
    best = world.sm.describe_training_job(TrainingJobName=tuner.best_training_job())
    model = tuner.best_estimator()
    assert (model.instance_type, model.instance_count) == ("ml.m5.large", 1)
    assert model.model_data == best["ModelArtifacts"]["S3ModelArtifacts"]
    bucket, key = model.model_data[len("s3://"):].split("/", 1)
    files = untar(world.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    tuned = best["HyperParameters"]
    assert json.loads(files["model.json"]) == {
        "lr": json.loads(tuned["lr"]), "optimizer": "adam", "layers": int(tuned["layers"])}
    output = untar(world.s3.get_object(
        Bucket=bucket, Key=key.replace("model.tar.gz", "output.tar.gz"))["Body"].read())
    assert output == {"summary.txt": b"epochs 2"}


def test_analytics_dataframe(world, tuner):
    frame = tuner.analytics().dataframe()
    assert sorted(frame["TrainingJobName"]) == sorted(j["TrainingJobName"]
                                                     for j in jobs_of(world, tuner))
    for _, row in frame.iterrows():
        assert row["FinalObjectiveValue"] == losses(row["lr"], "adam", int(row["layers"]), 2)[-1]
        assert row["TrainingJobStatus"] == "Completed"


def test_training_job_analytics_reads_the_cloudwatch_metrics(world, tuner):
    name = tuner.best_training_job()
    job = next(j for j in jobs_of(world, tuner) if j["TrainingJobName"] == name)
    frame = TrainingJobAnalytics(name, sagemaker_session=world.session).dataframe()
    # Both epochs fall in one 60-second period (the SDK's default): their average.
    (row,) = frame.to_dict("records")
    assert row["metric_name"] == "loss"
    assert row["value"] == pytest.approx(sum(expected_losses(job)) / 2)


def test_logs_for_job_prints_the_status_messages_and_the_log(world, tuner, capsys):
    name = tuner.best_training_job()
    world.session.logs_for_job(name)
    out = capsys.readouterr().out
    for status, message in [("Starting", "Preparing the instances for training"),
                            ("Training", "Training image download completed."),
                            ("Completed", "Training job completed")]:
        assert f"{status} - {message}" in out
    assert "epoch=2 loss=" in out and "ARGV " in out


def test_estimator_fit_runs_a_training_job(world, capsys):
    model = estimator(world, lr=0.02, optimizer="sgd", epochs=3)
    model.fit()  # wait=True, logs="All": the SDK tails the job's CloudWatch log
    out = capsys.readouterr().out
    values = losses(0.02, "sgd", 1, 3)
    for epoch, value in enumerate(values, start=1):
        assert f"epoch={epoch} loss={value}" in out
    assert 'ARGV ["--epochs", "3", "--lr", "0.02", "--optimizer", "sgd"]' in out
    name = model.latest_training_job.name
    described = world.sm.describe_training_job(TrainingJobName=name)
    assert described["TrainingJobStatus"] == "Completed"
    assert "TuningJobArn" not in described
    assert [(m["MetricName"], m["Value"]) for m in described["FinalMetricDataList"]] == [
        ("loss", values[-1])]
    assert described["ModelArtifacts"]["S3ModelArtifacts"] == model.model_data
    bucket, key = model.model_data[len("s3://"):].split("/", 1)
    files = untar(world.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert json.loads(files["model.json"]) == {"lr": 0.02, "optimizer": "sgd", "layers": 1}
    assert name in {j["TrainingJobName"] for j in world.sm.list_training_jobs(
        NameContains=name)["TrainingJobSummaries"]}


def test_the_sdk_telemetry_is_off(world):
    from sagemaker.config.config_schema import TELEMETRY_OPT_OUT_PATH
    from sagemaker.utils import resolve_value_from_config

    # Read from the SDK's own config file (SAGEMAKER_USER_CONFIG_OVERRIDE), as users set it.
    assert resolve_value_from_config(None, TELEMETRY_OPT_OUT_PATH, False,
                                     world.session) is True
