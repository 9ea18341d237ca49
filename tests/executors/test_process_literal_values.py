"""Hyperparameter values with shell syntax reach the script literally, under every contract."""

from __future__ import annotations

import json

import pytest
from executor_helpers import drive, finished, process_executor, write_spec

from hpo_bridge.core.trial import Trial, TrialStatus

NASTY = {
    "p0": "; rm -rf ~",
    "p1": "$(touch pwned)",
    "p2": "`touch pwned`",
    "p3": "it's \"quoted\" \\ too",
    "p4": "--lr",
    "p5": "-1e-3",
    "p6": "a  b\tc",
    "p7": "",
    "p8": "${HOME} && echo | cat > pwned",
}

PARSES_ARGS = f"""
    import argparse, json, sys
    parser = argparse.ArgumentParser()
    for name in {sorted(NASTY)!r}:
        parser.add_argument("--" + name)
    args, _ = parser.parse_known_args()
    with open("args.json", "w") as fh:
        json.dump({{"argv": sys.argv[1:], "parsed": vars(args)}}, fh)
"""


@pytest.mark.parametrize("contract", ["local", "vertex", "vega"])
def test_values_arrive_literally(tmp_path, study, contract):
    top = {"metrics": [{"name": "accuracy", "regex": "acc=([0-9.]+)"}]}
    spec = write_spec(tmp_path, PARSES_ARGS, contract=contract, top=top)
    executor = process_executor(spec, study)
    executor.start(Trial(1, dict(NASTY)))
    assert finished(drive(executor)).status is TrialStatus.COMPLETED
    got = json.loads((study / "trials/1/args.json").read_text())
    assert got["parsed"] == NASTY  # argparse sees every value exactly
    assert got["argv"] == [f"--{k}={v}" for k, v in NASTY.items()]
    assert not list(tmp_path.rglob("pwned"))


def test_sagemaker_values_arrive_as_the_training_toolkit_passes_them(tmp_path, study):
    """No shell: each value is one argv word after its name, sorted by name, decoded as
    the toolkit decodes it (JSON where it parses: "-1e-3" is the number -0.001)."""
    top = {"metrics": [{"name": "accuracy", "regex": "acc=([0-9.]+)"}]}
    script = """
    import json, sys
    with open("args.json", "w") as fh:
        json.dump({"argv": sys.argv[1:]}, fh)
    """
    spec = write_spec(tmp_path, script, contract="sagemaker", top=top)
    executor = process_executor(spec, study)
    executor.start(Trial(1, dict(NASTY)))
    assert finished(drive(executor)).status is TrialStatus.COMPLETED
    got = json.loads((study / "trials/1/args.json").read_text())
    decoded = {**NASTY, "p5": "-0.001"}
    assert got["argv"] == [word for k in sorted(NASTY) for word in (f"--{k}", decoded[k])]
    assert not list(tmp_path.rglob("pwned"))


def test_azure_references_substitute_as_single_arguments(tmp_path, study):
    pytest.importorskip("mlflow")
    command = ("python train.py --p0 ${{search_space.p0}} --p4=${{search_space.p4}}"
               " --p8 ${{search_space.p8}} --p6 ${{search_space.p6}}")
    space = {k: {"type": "categorical", "values": [v, "other"]} for k, v in NASTY.items()}
    spec = write_spec(tmp_path, PARSES_ARGS, contract="azure", command=command,
                      top={"search_space": space})
    executor = process_executor(spec, study)
    try:
        executor.start(Trial(1, dict(NASTY)))
        assert finished(drive(executor)).status is TrialStatus.COMPLETED
    finally:
        executor.close()
    got = json.loads((study / "trials/1/args.json").read_text())
    assert got["argv"] == ["--p0", NASTY["p0"], "--p4=--lr", "--p8", NASTY["p8"],
                           "--p6", NASTY["p6"]]
    assert not list(tmp_path.rglob("pwned"))
