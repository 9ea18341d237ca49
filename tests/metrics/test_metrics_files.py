"""File channels: cloudml-hypertune's rewritten file, Vega's JSON files, MLflow's file store."""

from __future__ import annotations

import json
import math

import pytest

from hpo_bridge.metrics.hypertune import DEFAULT_METRIC, HypertuneSource
from hpo_bridge.metrics.json_file import JsonFileSource
from hpo_bridge.metrics.mlflow_store import MlflowFileStoreSource


def _values(readings):
    return [(r.name, r.value) for r in readings]


# -- cloudml-hypertune --------------------------------------------------------------------
@pytest.fixture
def hypertune_writer(tmp_path, monkeypatch):
    hypertune = pytest.importorskip("hypertune")
    path = tmp_path / "hypertune" / "output.metrics"
    monkeypatch.setenv("CLOUD_ML_HP_METRIC_FILE", str(path))
    monkeypatch.setenv("CLOUD_ML_TRIAL_ID", "7")
    return hypertune.HyperTune(), path


def test_hypertune_reports_are_read_once_each_in_order(hypertune_writer):
    writer, path = hypertune_writer
    source = HypertuneSource(path)
    assert source.read() == []
    writer.report_hyperparameter_tuning_metric("accuracy", 0.5, global_step=1)
    writer.report_hyperparameter_tuning_metric("accuracy", 0.6, global_step=2)
    assert _values(source.read()) == [("accuracy", 0.5), ("accuracy", 0.6)]
    assert source.read() == []
    writer.report_hyperparameter_tuning_metric("accuracy", 0.7, global_step=3)
    assert _values(source.read(final=True)) == [("accuracy", 0.7)]


def test_hypertune_default_tag_and_string_nan(hypertune_writer):
    writer, path = hypertune_writer
    writer.report_hyperparameter_tuning_metric("", 0.25)
    writer.report_hyperparameter_tuning_metric("loss", float("nan"))
    readings = HypertuneSource(path).read()
    assert readings[0].name == DEFAULT_METRIC == "training/hptuning/metric"
    assert readings[0].value == 0.25
    assert readings[1].name == "loss" and math.isnan(readings[1].value)
    assert readings[1].raw == "nan"


def test_hypertune_window_of_100_slid_between_reads(hypertune_writer):
    writer, path = hypertune_writer
    source = HypertuneSource(path)
    writer.report_hyperparameter_tuning_metric("m", 0, global_step=1)
    assert _values(source.read()) == [("m", 0.0)]
    for step in range(1, 151):  # the file keeps only the last 100
        writer.report_hyperparameter_tuning_metric("m", step, global_step=step)
    values = [r.value for r in source.read()]
    assert values == [float(s) for s in range(51, 151)]


def test_hypertune_file_caught_mid_rewrite_is_read_when_whole(tmp_path):
    path = tmp_path / "output.metrics"
    entry = {"m": "0.5", "checkpoint_path": "", "global_step": "1", "timestamp": 1.0,
             "trial": "1"}
    whole = json.dumps(entry, sort_keys=True) + "\n"
    path.write_text(whole[:20])
    source = HypertuneSource(path)
    assert source.read() == []
    path.write_text(whole)
    assert _values(source.read()) == [("m", 0.5)]


# -- Vega JSON ------------------------------------------------------------------------------
def test_json_file_is_read_when_it_changes(tmp_path):
    path = tmp_path / "accuracy.json"
    source = JsonFileSource(path, "accuracy")
    assert source.read() == []
    path.write_text(json.dumps({"accuracy": 0.83}))
    assert _values(source.read()) == [("accuracy", 0.83)]
    assert source.read() == []
    path.write_text(json.dumps({"accuracy": 0.9, "other": 1}))
    assert _values(source.read(final=True)) == [("accuracy", 0.9)]


def test_json_file_bare_number_and_invalid_contents(tmp_path):
    path = tmp_path / "accuracy.json"
    source = JsonFileSource(path, "accuracy")
    path.write_text("0.75")
    assert _values(source.read()) == [("accuracy", 0.75)]
    path.write_text('{"accuracy": ')  # being written: wait for the rest
    assert source.read() == []
    (reading,) = source.read(final=True)  # still broken after exit: invalid report
    assert not reading.valid and reading.raw == '{"accuracy": '
    path.write_text('{"loss": 1}')
    (reading,) = source.read(final=True)
    assert reading.name == "accuracy" and not reading.valid


# -- MLflow file store ----------------------------------------------------------------------
def test_mlflow_history_read_incrementally_matches_the_client(tmp_path, monkeypatch):
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    from mlflow.tracking import MlflowClient

    root = tmp_path / "mlruns"
    client = MlflowClient(root.as_uri())
    experiment = client.create_experiment("e")
    run_id = client.create_run(experiment).info.run_id
    source = MlflowFileStoreSource(root / experiment / run_id / "metrics")
    assert source.read() == []
    client.log_metric(run_id, "accuracy", 0.5, step=1, timestamp=1000)
    client.log_metric(run_id, "eval/loss", 0.9, step=1, timestamp=1001)
    assert _values(source.read()) == [("accuracy", 0.5), ("eval/loss", 0.9)]
    client.log_metric(run_id, "accuracy", 0.75, step=2, timestamp=1002)
    client.log_metric(run_id, "accuracy", float("nan"), step=3, timestamp=1003)
    new = source.read(final=True)
    assert _values(new)[0] == ("accuracy", 0.75)
    assert new[1].name == "accuracy" and not new[1].valid and new[1].raw == "nan"
    history = [m.value for m in client.get_metric_history(run_id, "accuracy")]
    assert history[:2] == [0.5, 0.75] and math.isnan(history[2])
