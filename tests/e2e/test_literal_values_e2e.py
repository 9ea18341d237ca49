"""Hyperparameter values holding shell syntax reach the script literally through
`hpo-bridge run`: nothing is ever run by a shell. Were one involved, the canary folder
would be deleted or a `pwned` file created."""

from __future__ import annotations

import json

import pytest
from e2e_helpers import results, write_study

# Reads argv itself: argparse would take some values (--help) for options of its own.
SCRIPT = """\
import json, sys
argv = sys.argv[1:]
value = argv[0].partition("=")[2] if argv[0].startswith("--value=") else argv[1]
with open("received.json", "w") as fh:
    json.dump({"argv": argv, "value": value}, fh)
print("acc=1.0")
"""


def _values(tmp_path) -> list[str]:
    return [
        f"; rm -rf {tmp_path / 'canary'}",
        f"$(touch {tmp_path / 'pwned1'})",
        f"`touch {tmp_path / 'pwned2'}`",
        "it's \"quoted\" \\ too",
        "--lr=5",
        "--help",
        "-1e-3",
        "a  b\tc | cat",
        f"${{HOME}} && touch {tmp_path / 'pwned3'}",
    ]


@pytest.mark.parametrize("contract", ["local", "sagemaker"])
def test_shell_syntax_arrives_literally(hpo, tmp_path, contract):
    (tmp_path / "canary").mkdir()
    values = _values(tmp_path)
    spec = write_study(tmp_path / "job", SCRIPT, {
        "name": "literal",
        "objective": {"metric": "acc", "goal": "maximize"},
        "metrics": [{"name": "acc", "regex": "acc=([0-9.]+)"}],
        "search_space": {"value": {"type": "categorical", "values": values}},
        "strategy": {"algorithm": "grid"},
        "limits": {"max_trials": 10, "max_parallel": 3},
        "trial": {"command": "python train.py", "contract": contract},
    })
    study = tmp_path / "study"
    out = hpo("run", spec, "--study-dir", study)
    assert out.returncode == 0, out.stderr
    trials = results(hpo, study)
    assert sorted(t["params"]["value"] for t in trials) == sorted(values)
    for t in trials:
        value = t["params"]["value"]
        assert t["status"] == "completed", t
        received = json.loads((study / "trials" / str(t["id"]) / "received.json").read_text())
        if contract == "local":
            assert received["argv"] == [f"--value={value}"]
            assert received["value"] == value
        else:  # the training toolkit's argv: `--value V`, V decoded as JSON where it parses
            shown = "-0.001" if value == "-1e-3" else value
            assert received["argv"] == ["--value", shown]
    assert (tmp_path / "canary").is_dir()
    assert not list(tmp_path.rglob("pwned*"))
