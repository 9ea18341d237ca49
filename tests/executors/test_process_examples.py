"""Each contract end to end: the example scripts in examples/ run under the process executor."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from executor_helpers import drive, finished, metrics, process_executor

from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.spec import load_spec

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _run(name: str, study: Path, params: dict, resource: int | None = None, stage="hpo"):
    executor = process_executor(load_spec(EXAMPLES / name / "spec.yaml"), study)
    try:
        executor.start(Trial(1, params, resource=resource), stage=stage)
        events = drive(executor)
    finally:
        executor.close()
    return events


def test_sagemaker_example_metrics_come_from_its_log_lines(study):
    events = _run("sagemaker", study, {"lr": 0.01, "momentum": 0.9})
    assert finished(events).status is TrialStatus.COMPLETED
    # loss = 0.03 + 0.5/(epoch+1) at the optimum; accuracy = round(100 * (1 - loss)) %
    assert metrics(events) == [
        ("average test loss", 0.28), ("test accuracy", 72.0),
        ("average test loss", 0.1967), ("test accuracy", 80.0),
        ("average test loss", 0.155), ("test accuracy", 84.0),
    ]
    trial = study / "trials" / "1"
    hps = json.loads((trial / "input/config/hyperparameters.json").read_text())
    assert hps == {"lr": "0.01", "momentum": "0.9", "epochs": "3"}
    assert json.loads((trial / "model/model.json").read_text()) == {"lr": 0.01, "momentum": 0.9}
    assert "Training on 5 samples" in (trial / "stdout.log").read_text()


def test_vertex_example_reports_through_cloudml_hypertune(study):
    pytest.importorskip("hypertune")
    events = _run("vertex", study, {"learning_rate": 0.01, "num_layers": 2})
    assert finished(events).status is TrialStatus.COMPLETED
    assert metrics(events) == [("accuracy", 0.83), ("accuracy", 0.88), ("accuracy", 0.905)]
    trial = study / "trials" / "1"
    assert json.loads((trial / "model/model.json").read_text())["num_layers"] == 2
    lines = (trial / "hypertune/output.metrics").read_text().splitlines()
    assert [json.loads(x)["trial"] for x in lines] == ["1", "1", "1"]


def test_azure_example_logs_to_its_mlflow_run(study):
    pytest.importorskip("mlflow")
    events = _run("azure", study, {"learning_rate": 0.01, "batch_size": 32})
    assert finished(events).status is TrialStatus.COMPLETED
    assert metrics(events) == [
        ("accuracy", 0.77), ("loss", 0.23), ("accuracy", 0.87), ("loss", 0.13),
        ("accuracy", 0.903333), ("loss", 0.096667),
    ]
    from mlflow.tracking import MlflowClient

    client = MlflowClient((study / "mlruns").as_uri())
    (run,) = client.search_runs(
        [client.get_experiment_by_name("azure-style").experiment_id],
        "tags.hpo_bridge.trial = '1'",
    )
    assert run.info.status == "FINISHED"
    assert run.data.params == {"learning_rate": "0.01", "batch_size": "32"}
    assert [m.value for m in client.get_metric_history(run.info.run_id, "accuracy")] == [
        0.77, 0.87, 0.903333]
    stdout = (study / "trials" / "1" / "stdout.log").read_text()
    assert stdout == "5 samples; sweep value 0.01\n"


def test_vega_example_epochs_budget_and_fullytrain(study):
    events = _run("vega", study, {"lr": 0.01, "batch_size": 32}, resource=3)
    assert finished(events).status is TrialStatus.COMPLETED
    # The file is rewritten each epoch; the last value (epoch 3, --pretrained) always arrives.
    values = [v for _, v in metrics(events)]
    assert values[-1] == 0.895 and set(values) <= {0.82, 0.87, 0.895}
    log = (study / "trials" / "1" / "stdout.log").read_text()
    assert log.startswith("stage hpo, 3 epochs, device -\n")

    events = _run("vega", study / "full", {"lr": 0.01, "batch_size": 32}, stage="fullytrain")
    assert [v for _, v in metrics(events)][-1] == 0.94  # 9 epochs: 0.97 - 0.3/10
    log = (study / "full" / "trials" / "1" / "stdout.log").read_text()
    assert log.startswith("stage fullytrain, 9 epochs, device -\n")
    assert not math.isnan(values[-1])
