"""Reading a training job's metric curves from its log with the job's MetricDefinitions
(SageMaker's way: one capture group, searched in every line)."""

from __future__ import annotations

from hpo_bridge_sagemaker.curves import compile_definitions, read_curves
from hypothesis import given
from hypothesis import strategies as st

DEFINITIONS = compile_definitions([
    {"Name": "loss", "Regex": "Test set: Average loss: ([0-9.]+)"},
    {"Name": "accuracy", "Regex": r"Accuracy: [0-9]+/[0-9]+ \(([0-9]+)%\)"},
    {"Name": "broken", "Regex": "([0-9"},  # Python cannot compile it: left out
    {"Name": "nogroup", "Regex": "epoch"},  # no capture group: never a value
])


def test_definitions_python_cannot_use_are_left_out():
    assert [name for name, _ in DEFINITIONS] == ["loss", "accuracy", "nogroup"]


def test_every_value_in_log_order_from_lines_and_multi_line_events():
    lines = [
        "Training on 100 samples",
        "epoch 1\nTest set: Average loss: 0.5000, Accuracy: 5000/10000 (50%)",
        "Test set: Average loss: nan",  # not a number the regex takes: no value
        "epoch 2",
        "Test set: Average loss: 0.2500, Accuracy: 7500/10000 (75%)",
    ]
    assert read_curves(lines, DEFINITIONS) == {"loss": [0.5, 0.25], "accuracy": [50.0, 75.0]}


losses = st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=30)
noise = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"),
                max_size=30).filter(lambda s: "Average loss" not in s and "Accuracy" not in s)


@given(values=losses, chatter=st.lists(noise, max_size=30))
def test_any_curve_comes_back_whole(values, chatter):
    lines = []
    for i, value in enumerate(values):
        lines += chatter[i % len(chatter):i % len(chatter) + 1] if chatter else []
        lines.append(f"Test set: Average loss: {value:.6f}")
    expected = [float(f"{v:.6f}") for v in values]
    assert read_curves(lines, DEFINITIONS).get("loss", []) == expected
