"""Names that become paths in a trial's folder are checked by `validate` (issue 10, item 13).

Azure's `${{outputs.NAME}}` is the folder outputs/NAME, a SageMaker channel the folder
input/data/CHANNEL, a Vega objective the file <metric>.json: a `..` or `/` in them reaches
outside the study, and a name over 255 bytes crashed the orchestrator (ENAMETOOLONG).
Each is one line naming the field, exit code 2, at `validate` and before `run` creates
anything.
"""

from __future__ import annotations

import pytest
from e2e_helpers import needs, write_study

BASE = {
    "name": "paths",
    "objective": {"metric": "acc", "goal": "maximize"},
    "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1}},
    "limits": {"max_trials": 1},
}
SCRIPT = "import hpo_bridge\nhpo_bridge.report(acc=0.5)\n"
LONG = "m" * 300

CASES = {
    "azure-outputs": (
        {"trial": {"contract": "azure",
                   "command": "python train.py --out ${{outputs.../../escaped}}"}},
        ["trial.command: ${{outputs.../../escaped}}: output name '../../escaped' has a '/'"
         " (or NUL): it must be one file or folder name"],
    ),
    "sagemaker-channels": (
        {"metrics": [{"name": "acc", "regex": "acc=([0-9.]+)"}],
         "trial": {"contract": "sagemaker", "command": ["python", "train.py"],
                   "inputs": {"..": "data", "up/../../x": "data", "train": "data"}}},
        ["trial.inputs: channel '..' is not a file or folder name",
         "trial.inputs: channel 'up/../../x' has a '/' (or NUL): it must be one file or"
         " folder name"],
    ),
    "vega-objective": (
        {"objective": {"metric": LONG, "goal": "maximize"},
         "trial": {"contract": "vega", "command": ["python", "train.py"]}},
        [f"objective.metric: '{'m' * 37}...{'m' * 38}' is 305 bytes long with .json; a file"
         " name has at most 255 (the vega contract reads <metric>.json)"],
    ),
    "vega-objectives": (
        {"objective": None,
         "objectives": [{"metric": "acc", "goal": "maximize"},
                        {"metric": "../loss", "goal": "minimize"}],
         "trial": {"contract": "vega", "command": ["python", "train.py"]}},
        ["objectives.1.metric: '../loss' has a '/' (or NUL): it must be one file or folder"
         " name (the vega contract reads <metric>.json)"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_name_that_would_escape_the_trial_folder(hpo, tmp_path, case):
    if case.startswith("azure"):
        needs("mlflow")
    changes, lines = CASES[case]
    spec = {k: v for k, v in {**BASE, **changes}.items() if v is not None}
    (tmp_path / "job" / "data").mkdir(parents=True)
    path = write_study(tmp_path / "job", SCRIPT, spec)
    expected = [f"{path}: {line}" for line in lines]
    out = hpo("validate", path)
    assert (out.returncode, out.stderr.splitlines()) == (2, expected), out.stderr
    study = tmp_path / "study"
    out = hpo("run", path, "--study-dir", study)
    assert (out.returncode, out.stderr.splitlines()) == (2, expected), out.stderr
    assert not study.exists()
    # Nothing was made next to the study or the spec either.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["job"]
    assert sorted(p.name for p in (tmp_path / "job").iterdir()) == ["data", "spec.yaml",
                                                                  "train.py"]


def test_plain_names_still_run(hpo, tmp_path):
    needs("mlflow")
    script = ("import sys, pathlib, hpo_bridge, mlflow\n"
              "out = pathlib.Path(sys.argv[sys.argv.index('--out') + 1])\n"
              "(out / 'model.txt').write_text('ok')\n"
              "mlflow.log_metric('acc', 0.5)\n")
    path = write_study(tmp_path / "job", script, {
        **BASE, "trial": {"contract": "azure",
                          "command": "python train.py --out ${{outputs.model_dir}}"}})
    study = tmp_path / "study"
    out = hpo("run", path, "--study-dir", study)
    assert out.returncode == 0, out.stderr
    assert (study / "trials" / "1" / "outputs" / "model_dir" / "model.txt").read_text() == "ok"
