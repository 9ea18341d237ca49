"""Hostile spec files (issue 10, items 10 and 11): each refused in one line naming the file,
exit code 2, no traceback and no hang; huge categorical domains validate in linear time.

The `timeout` of each command is a hang guard (a FIFO blocks forever, an alias bomb's
message never ends, a quadratic check of 50,000 values takes minutes), not a timing.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import yaml
from e2e_helpers import write_study

from hpo_bridge.spec import TuningSpec

GUARD = 60  # seconds: far beyond what any of these takes when refused properly

SPEC = {
    "name": "hostile",
    "objective": {"metric": "acc", "goal": "maximize"},
    "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1}},
    "limits": {"max_trials": 1},
    "trial": {"command": ["python", "train.py"]},
}
SCRIPT = "import hpo_bridge\nhpo_bridge.report(acc=0.5)\n"

# Nine levels of nine aliases each: 9**9 (387 million) values once expanded.
BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9) if prev else ', '.join(['lol'] * 9)}]\n"
    for prev, name in zip(["", *"abcdefgh"], "abcdefghi", strict=True)
)


def _one_line(out, line: str) -> None:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    assert out.stderr.splitlines() == [line]


def test_a_fifo_is_refused_without_reading_it(hpo, tmp_path):
    fifo = tmp_path / "spec.yaml"
    os.mkfifo(fifo)
    for command in ("validate", "run"):
        out = hpo(command, fifo, timeout=GUARD)
        _one_line(out, f"{fifo}: cannot read spec: a FIFO (named pipe), not a regular file")


def test_a_device_is_refused(hpo):
    out = hpo("validate", "/dev/zero", timeout=GUARD)
    _one_line(out, "/dev/zero: cannot read spec: a character device, not a regular file")


def test_a_spec_over_one_mebibyte_is_refused(hpo, tmp_path):
    path = tmp_path / "spec.yaml"
    text = yaml.safe_dump(SPEC)
    path.write_text(text + "#" * ((1 << 20) + 1 - len(text)) + "\n")
    out = hpo("validate", path, timeout=GUARD)
    _one_line(out, f"{path}: larger than 1,048,576 bytes (1 MiB), the most a spec file may hold")


def test_a_spec_that_is_not_utf8_is_refused(hpo, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    out = hpo("validate", path, timeout=GUARD)
    _one_line(out, f"{path}: not UTF-8 text: byte 0xe9 at line 1 (offset 9)")


@pytest.mark.parametrize("depth", [150, 1000, 100_000])
def test_yaml_nested_deeper_than_100_levels_is_refused(hpo, tmp_path, depth):
    path = tmp_path / "spec.yaml"
    path.write_text("name: x\ndescription: " + "[" * depth + "]" * depth + "\n")
    out = hpo("validate", path, timeout=GUARD)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    # Where the parser gave up: the 100th bracket, or further on where libyaml looks ahead
    # (it refuses 1,000 levels itself).
    (line,) = out.stderr.splitlines()
    column = re.fullmatch(rf"{re.escape(str(path))}: YAML error at line 2, column (\d+):"
                          r" nested more than 100 levels deep", line)
    assert column is not None, line
    assert int(column.group(1)) >= 113
    if depth == 150:
        assert int(column.group(1)) == 113


def test_json_nested_a_thousand_deep_is_refused(hpo, tmp_path):
    path = tmp_path / "spec.json"
    path.write_text('{"name": "x", "description": ' + "[" * 1000 + "]" * 1000 + "}")
    out = hpo("validate", path, timeout=GUARD)
    _one_line(out, f"{path}: JSON error: nested more than 100 levels deep")


def test_a_yaml_alias_bomb_is_refused(hpo, tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_text(BOMB + "name: bomb\nobjective: {metric: acc, goal: *i}\n")
    out = hpo("validate", path, timeout=GUARD)
    _one_line(out, f"{path}: YAML error: aliases expand it to more than 1,000,000 values"
                   " (an alias bomb?)")


def test_values_under_the_alias_limit_are_abbreviated_in_messages(hpo, tmp_path):
    # Five levels: 9**5 (59,049) values, under the limit; each message quotes a few.
    path = tmp_path / "spec.yaml"
    spec = {**SPEC, "objective": {"metric": "acc", "goal": "GOAL"}}
    text = yaml.safe_dump(spec).replace("GOAL", "*e")
    path.write_text("".join(BOMB.splitlines(keepends=True)[:5]) + text)
    out = hpo("validate", path, timeout=GUARD)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    goal = [line for line in out.stderr.splitlines() if "objective.goal" in line]
    assert goal == [
        f"{path}: objective.goal: Input should be 'maximize' or 'minimize' (got [[[[...],"
        " [...], [...], [...], ...], [[...], [...], [...], [...], ...], [[......)"
    ]


def test_a_json_key_over_1024_characters_is_a_json_matter(hpo, tmp_path):
    # PyYAML refuses implicit keys over 1,024 characters; JSON has no such limit.
    path = tmp_path / "spec.json"
    key = "k" * 1100
    path.write_text(json.dumps({**SPEC, key: 1}))
    out = hpo("validate", path, timeout=GUARD)
    keys = ", ".join(sorted(TuningSpec.model_fields))
    _one_line(out, f"{path}: {'k' * 40}...(1,100 characters): unknown key (valid keys:"
                   f" {keys})")


def test_a_json_spec_with_a_long_key_under_args_validates(hpo, tmp_path):
    folder = tmp_path / "job"
    write_study(folder, SCRIPT, SPEC)
    path = folder / "spec.json"
    path.write_text(json.dumps({**SPEC, "trial": {**SPEC["trial"], "env": {"K" * 2000: "1"}}}))
    out = hpo("validate", path, timeout=GUARD)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{path}: ok (1 parameters, strategy random, 1 trials)\n"


def _big_categorical(tmp_path, values: int):
    spec = {**SPEC, "search_space": {"c": {"type": "categorical",
                                           "values": [f"v{i}" for i in range(values)]}}}
    return write_study(tmp_path / "job", SCRIPT, spec)


def test_fifty_thousand_categorical_values_validate(hpo, tmp_path):
    # A quadratic duplicate check makes 1.25 billion comparisons here (minutes).
    path = _big_categorical(tmp_path, 50_000)
    out = hpo("validate", path, timeout=GUARD)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{path}: ok (1 parameters, strategy random, 1 trials)\n"


def test_a_duplicate_among_fifty_thousand_values_is_named(hpo, tmp_path):
    path = _big_categorical(tmp_path, 50_000)
    path.write_text(path.read_text().replace("- v49999\n", "- v17\n"))
    out = hpo("validate", path, timeout=GUARD)
    _one_line(out, f"{path}: search_space.c.values: duplicate value 'v17'")


def test_status_of_a_study_with_fifty_thousand_values(hpo, tmp_path):
    path = _big_categorical(tmp_path, 50_000)
    study = tmp_path / "study"
    out = hpo("run", path, "--study-dir", study, timeout=GUARD)
    assert out.returncode == 0, out.stderr
    out = hpo("status", study, "--json", timeout=GUARD)
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert (status["status"], status["counts"], status["best"]["objective"]) == (
        "finished", {"completed": 1}, 0.5)
