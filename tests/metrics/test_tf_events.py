"""TensorFlow summary event files as a metric channel (`trial.summary_dir`), without TensorFlow."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from hpo_bridge.backends import QuietView, RunOptions
from hpo_bridge.backends.local import LocalBackend
from hpo_bridge.loading import validate_spec
from hpo_bridge.metrics.tf_events import SummarySource
from hpo_bridge.store import Store

tb = pytest.importorskip("tensorboard")
from tensorboard.compat.proto import event_pb2, summary_pb2  # noqa: E402
from tensorboard.plugins.scalar.summary_v2 import scalar_pb  # noqa: E402
from tensorboard.summary.writer.event_file_writer import EventFileWriter  # noqa: E402


def simple(tag: str, value: float) -> summary_pb2.Summary:
    """A TF1 summary (`FileWriter.add_summary`): a simple_value."""
    return summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag=tag, simple_value=value)])


def event(step: int, summary: summary_pb2.Summary, wall_time: float | None = None) -> Any:
    return event_pb2.Event(wall_time=wall_time or float(step), step=step, summary=summary)


def values(readings: list) -> list[tuple[str, float]]:
    return [(r.name, r.value) for r in readings]


def test_tf2_and_tf1_scalars_are_read_incrementally(tmp_path: Path) -> None:
    writer = EventFileWriter(str(tmp_path / "logs" / "eval"))
    source = SummarySource(tmp_path / "logs")
    assert source.read() == []  # nothing written yet (the file exists, no scalars)
    writer.add_event(event(1, scalar_pb("metric1", 0.5)))  # tf.summary.scalar (TF2)
    writer.add_event(event(2, simple("metric1", 0.75)))  # add_summary (TF1)
    writer.flush()
    assert values(source.read()) == [("metric1", 0.5), ("metric1", 0.75)]
    assert source.read() == []
    writer.add_event(event(3, scalar_pb("metric1", 0.8)))  # float32: read back as 0.8
    writer.add_event(event(3, scalar_pb("rmse", 0.25)))
    writer.close()
    assert values(source.read(final=True)) == [("metric1", 0.8), ("rmse", 0.25)]


def test_files_in_several_folders_come_in_time_order(tmp_path: Path) -> None:
    train = EventFileWriter(str(tmp_path / "train"))
    validation = EventFileWriter(str(tmp_path / "validation"))
    validation.add_event(event(1, scalar_pb("val_acc", 0.6), wall_time=20.0))
    train.add_event(event(1, scalar_pb("loss", 1.5), wall_time=10.0))
    for writer in (train, validation):
        writer.close()
    assert values(SummarySource(tmp_path).read()) == [("loss", 1.5), ("val_acc", 0.6)]


def test_a_half_written_record_is_read_once_complete(tmp_path: Path) -> None:
    writer = EventFileWriter(str(tmp_path))
    writer.add_event(event(1, scalar_pb("m", 1.0)))
    writer.close()
    path = next(tmp_path.glob("events.out.tfevents.*"))
    data = path.read_bytes()
    path.write_bytes(data[:-7])  # the last record cut mid-way
    source = SummarySource(tmp_path)
    assert source.read() == []
    path.write_bytes(data)
    assert values(source.read()) == [("m", 1.0)]


def test_non_scalar_summaries_are_ignored(tmp_path: Path) -> None:
    writer = EventFileWriter(str(tmp_path))
    text = summary_pb2.Summary(value=[summary_pb2.Summary.Value(tag="note")])
    text.value[0].metadata.plugin_data.plugin_name = "text"
    writer.add_event(event(1, text))
    writer.add_event(event(2, scalar_pb("m", 2.0)))
    writer.close()
    assert values(SummarySource(tmp_path).read()) == [("m", 2.0)]


SCRIPT = """\
import argparse, os, time
from tensorboard.plugins.scalar.summary_v2 import scalar_pb
from tensorboard.compat.proto import event_pb2
from tensorboard.summary.writer.event_file_writer import EventFileWriter
parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float)
args = parser.parse_args()
writer = EventFileWriter("tb/eval")
for step in (1, 2, 3):
    value = round(args.lr * step, 4)
    writer.add_event(event_pb2.Event(wall_time=time.time(), step=step,
                                     summary=scalar_pb("metric1", value)))
    writer.flush()
writer.close()
"""


@pytest.mark.parametrize("contract", ["local", "vega"])
def test_any_contract_reads_the_summary_dir(tmp_path: Path, contract: str) -> None:
    """The channel comes from the spec, whatever the contract (a TF trainer under the
    local contract reports through its summaries alone)."""
    (tmp_path / "train.py").write_text(textwrap.dedent(SCRIPT))
    spec = validate_spec({
        "name": "tf-summaries",
        "objective": {"metric": "metric1", "goal": "maximize"},
        "search_space": {"lr": {"type": "categorical", "values": [0.1, 0.2]}},
        "strategy": {"algorithm": "grid"},
        "limits": {"max_parallel": 2},
        "trial": {"command": [sys.executable, "train.py"], "contract": contract,
                  "summary_dir": "tb"},
    }, base_dir=tmp_path)
    study = tmp_path / "study"
    outcome = LocalBackend().run(spec, study, RunOptions(), QuietView())
    assert outcome.status == "finished", outcome.reason
    with Store.open(study) as store:
        trials = {t.params["lr"]: t.values for t in store.trials()}
    assert trials == {0.1: [0.1, 0.2, 0.3], 0.2: [0.2, 0.4, 0.6]}
