"""trial.check_args (Vega's enable_arg_check): the options a script accepts, from its --help."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from hpo_bridge.contracts.arg_check import ArgCheckError, accepted_options, options_in
from hpo_bridge.contracts.base import ContractError, TrialContext
from hpo_bridge.loading import validate_spec
from hpo_bridge.plugins import registry

ARGPARSE_HELP = """\
usage: train.py [-h] [--lr LR] [--batch_size BATCH_SIZE] [--pretrained]
                [--config-file CONFIG_FILE]

options:
  -h, --help            show this help message and exit
  --lr LR               learning rate (see also --batch_size.)
  --batch_size BATCH_SIZE
  --pretrained
  --config-file CONFIG_FILE
"""


def test_options_are_read_from_an_argparse_help():
    assert options_in(ARGPARSE_HELP) == {"lr", "batch_size", "pretrained", "config-file"}
    assert options_in("Usage: x [OPTIONS]\n  --epochs INTEGER\n  --no-cuda / --cuda\n") == {
        "epochs", "no-cuda", "cuda"}
    assert options_in("no options here -- at all") == frozenset()


def script(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "train.py"
    path.write_text(body)
    return [sys.executable, str(path)]


def test_the_script_runs_with_help_and_is_never_imported(tmp_path):
    argv = script(tmp_path, "import argparse, os\n"
                            "open(os.path.join(os.getcwd(), 'ran'), 'w').write('1')\n"
                            "p = argparse.ArgumentParser()\n"
                            "p.add_argument('--lr')\np.add_argument('--pretrained',"
                            " action='store_true')\np.parse_args()\n")
    assert accepted_options(argv, tmp_path, {}) == {"lr", "pretrained"}
    assert (tmp_path / "ran").exists()  # it ran as a process, in the code folder


@pytest.mark.parametrize(("body", "message"), [
    ("import sys\nprint('boom', file=sys.stderr)\nsys.exit(3)\n", "exited 3: boom"),
    ("print('I take no options')\n",
     "lists no --option: cannot tell which arguments the script accepts"),
])
def test_a_help_that_cannot_be_read_is_one_line(tmp_path, body, message):
    argv = script(tmp_path, body)
    with pytest.raises(ArgCheckError) as info:
        accepted_options(argv, tmp_path, {})
    assert str(info.value) == f"`{Path(sys.executable).name} train.py --help` {message}"


def spec_for(tmp_path: Path, check: bool, contract: str = "vega"):
    (tmp_path / "train.py").write_text(
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr')\n"
        "p.add_argument('--pretrained', action='store_true')\np.parse_args()\n")
    return validate_spec({
        "name": "t", "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.1, "high": 1},
                         "wd": {"type": "float", "low": 0.1, "high": 1}},
        "trial": {"command": ["python", "train.py"], "contract": contract,
                  "args": {"pretrained": None, "momentum": 0.9}, "check_args": check},
    }, base_dir=tmp_path)


@pytest.mark.parametrize("contract", ["vega", "local"])
def test_only_accepted_arguments_reach_the_script(tmp_path, contract):
    spec = spec_for(tmp_path, check=True, contract=contract)
    chosen = registry().require("contracts", contract).create()
    chosen.setup(spec, tmp_path)
    ctx = TrialContext(spec, 1, {"lr": 0.5, "wd": 0.2}, tmp_path, tmp_path)
    assert chosen.launch(ctx).argv[2:] == ["--lr=0.5", "--pretrained"]
    unchecked = registry().require("contracts", contract).create()
    unchecked.setup(spec_for(tmp_path, check=False, contract=contract), tmp_path)
    assert unchecked.launch(ctx).argv[2:] == ["--lr=0.5", "--wd=0.2", "--pretrained",
                                              "--momentum=0.9"]


def test_a_missing_script_is_named_before_its_help_is_asked(tmp_path):
    spec = spec_for(tmp_path, check=True)
    (tmp_path / "train.py").unlink()
    with pytest.raises(ContractError, match=r"^trial.command: script train.py not found"):
        registry().require("contracts", "vega").create().setup(spec, tmp_path)
