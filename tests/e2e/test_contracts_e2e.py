"""Each contract's example, run unchanged by `hpo-bridge run`: the metrics in `results --json`
are the ones the script printed, wrote or logged, read the way its cloud reads them."""

from __future__ import annotations

import json
import re
from pathlib import Path

from e2e_helpers import EXAMPLES, copy_example, needs, results

DONE = ("completed", "stopped")


def _run(hpo, spec: Path, study: Path) -> list[dict]:
    out = hpo("run", spec, "--study-dir", study)
    assert out.returncode == 0, out.stderr
    assert "study finished" in out.stdout
    assert "Traceback" not in out.stderr
    trials = results(hpo, study)
    assert trials and all(t["status"] in DONE for t in trials), trials
    return trials


def _received(trial: dict, metric: str, logged: list[float]) -> None:
    """What the tuner kept is what the script reported: all of it, or (for a trial the
    stopping rule ended) the reports before the stop."""
    kept = trial["metrics"][metric]
    assert kept, trial
    if trial["status"] == "completed":
        assert kept == logged
    else:
        assert kept == logged[: len(kept)]


def test_sagemaker_metrics_come_from_the_regexes_over_its_log(hpo, tmp_path):
    study = tmp_path / "study"
    trials = _run(hpo, EXAMPLES / "sagemaker" / "spec.yaml", study)
    assert len(trials) == 9
    for t in trials:
        log = (study / "trials" / str(t["id"]) / "stdout.log").read_text()
        losses = [float(x) for x in re.findall(r"Test set: Average loss: ([0-9.]+)", log)]
        accuracies = [float(x) for x in re.findall(r"Accuracy: [0-9]+/[0-9]+ \(([0-9]+)%\)", log)]
        assert len(losses) == 3
        _received(t, "average test loss", losses)
        _received(t, "test accuracy", accuracies)
        assert t["objective"] == losses[-1]


def test_vertex_metrics_come_from_the_hypertune_file(hpo, tmp_path):
    needs("hypertune")
    study = tmp_path / "study"
    trials = _run(hpo, EXAMPLES / "vertex" / "spec.yaml", study)
    assert len(trials) == 6
    for t in trials:
        folder = study / "trials" / str(t["id"])
        lines = (folder / "hypertune" / "output.metrics").read_text().splitlines()
        written = [json.loads(line) for line in lines]
        assert {w["trial"] for w in written} == {str(t["id"])}
        _received(t, "accuracy", [float(w["accuracy"]) for w in written])
        printed = re.findall(r"accuracy ([0-9.]+)", (folder / "stdout.log").read_text())
        assert [float(x) for x in printed] == [float(w["accuracy"]) for w in written]


def _mlflow_history(mlruns: Path, trial_id: int, metric: str) -> list[float]:
    """The metric history of the trial's MLflow run, read from the file store itself."""
    (run,) = [tag.parent.parent for tag in mlruns.glob("*/*/tags/hpo_bridge.trial")
              if tag.read_text().strip() == str(trial_id)]
    rows = [line.split() for line in (run / "metrics" / metric).read_text().splitlines()]
    return [float(value) for _, value, _ in sorted(rows, key=lambda r: int(r[2]))]


def test_azure_metrics_come_from_the_mlflow_run(hpo, tmp_path):
    needs("mlflow")
    spec = copy_example("azure", tmp_path, limits={"max_trials": 2, "max_parallel": 2})
    study = tmp_path / "study"
    trials = _run(hpo, spec, study)
    assert [t["id"] for t in trials] == [1, 2]
    for t in trials:
        for metric in ("accuracy", "loss"):
            _received(t, metric, _mlflow_history(study / "mlruns", t["id"], metric))
        stdout = (study / "trials" / str(t["id"]) / "stdout.log").read_text()
        assert stdout == f"5 samples; sweep value {t['params']['learning_rate']!r}\n"


def test_vega_json_file_then_the_fullytrain_stage(hpo, tmp_path):
    study = tmp_path / "study"
    trials = _run(hpo, EXAMPLES / "vega" / "spec.yaml", study)
    search, full = trials[:9], trials[9:]
    assert {t["stage"] for t in search} == {"hpo"} and len(full) == 1  # top_k: 1
    for t in trials:
        folder = study / "trials" / str(t["id"])
        printed = [float(x) for x in re.findall(r"accuracy ([0-9.]+)",
                                                (folder / "stdout.log").read_text())]
        last_written = json.loads((folder / "accuracy.json").read_text())["accuracy"]
        kept = t["metrics"]["accuracy"]
        # The file is rewritten each epoch: a poll may miss a value, never the last one.
        assert set(kept) <= set(printed) and kept == sorted(kept)
        if t["status"] == "completed":
            assert kept[-1] == printed[-1] == last_written
        launch = json.loads((folder / "launch.json").read_text())
        assert launch["env"].get("EPOCHS") == (str(t["resource"]) if t["resource"] else None)
    (ft,) = full
    best = max((t for t in search), key=lambda t: (t["objective"], -t["id"]))
    assert ft["id"] == 10 and ft["stage"] == "fullytrain" and ft["status"] == "completed"
    assert ft["params"] == best["params"] and ft["resource"] is None
    log = (study / "trials" / "10" / "stdout.log").read_text()
    assert log.startswith("stage fullytrain, 9 epochs, device -\n")
    assert json.loads((study / "trials/10/launch.json").read_text())["env"] == {
        "PIPESTEP": "fullytrain",
        "HPO_BRIDGE_CHECKPOINT_DIR": str(study.resolve() / "trials" / "10" / "checkpoints")}
    table = hpo("results", study)
    assert re.search(r"\n\s*10\s+fullytrain\s", table.stdout), table.stdout
    # The vega contract leaves Vega's task layout: each worker's EPOCHS budget and epochs run
    reports = json.loads((study / "output" / "reports.json").read_text())
    for record in reports["hpo"]:
        trial = trials[record["worker_id"] - 1]
        assert (record["num_epochs"], record["current_epoch"]) == (trial["resource"],
                                                                   trial["intervals"])
        assert record["performance"] == {"accuracy": trial["objective"]}
    assert json.loads((study / "output" / "hpo" / f"hps_{best['id']}.json").read_text()) == \
        best["params"]
    assert [r["worker_id"] for r in reports["fullytrain"]] == [best["id"]]


def test_quickstart_reports_through_hpo_bridge_report(hpo, tmp_path):
    needs("sklearn")
    spec = copy_example("quickstart", tmp_path, limits={"max_trials": 2, "max_parallel": 2},
                        trial={"args": {"epochs": 3}})
    study = tmp_path / "study"
    trials = _run(hpo, spec, study)
    assert [t["id"] for t in trials] == [1, 2]
    for t in trials:
        log = (study / "trials" / str(t["id"]) / "stdout.log").read_text()
        printed = [float(x) for x in re.findall(r"val_accuracy=([0-9.]+)", log)]
        assert len(printed) == 3 and t["intervals"] == 3
        # printed with 4 decimals, reported at full precision
        assert [round(v, 4) for v in t["metrics"]["val_accuracy"]] == printed
        assert t["objective"] == max(t["metrics"]["val_accuracy"])  # measurement: best
