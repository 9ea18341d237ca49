"""User errors of `hpo-bridge run`: one line per problem, exit code 2, no traceback, and
no half-made study left behind."""

from __future__ import annotations

import pytest
import yaml
from e2e_helpers import needs, write_study

from hpo_bridge.store import Store

SPEC = {
    "name": "errors",
    "objective": {"metric": "acc", "goal": "maximize"},
    "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1}},
    "limits": {"max_trials": 2},
    "trial": {"command": ["python", "train.py"]},
}
SCRIPT = "import hpo_bridge\nhpo_bridge.report(acc=0.5)\n"


def _spec(tmp_path, **trial) -> str:
    data = {**SPEC, "trial": {**SPEC["trial"], **trial}}
    data["trial"] = {k: v for k, v in data["trial"].items() if v is not None}
    return write_study(tmp_path / "job", SCRIPT, data)


def _user_error(out, *lines: str) -> None:
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    assert out.stderr.splitlines() == list(lines)


@pytest.mark.parametrize("existing", [False, True])
def test_a_spec_its_contract_cannot_run_leaves_nothing(hpo, tmp_path, existing):
    spec = _spec(tmp_path, command=None)
    study = tmp_path / "study"
    if existing:
        study.mkdir()
        (study / "notes.txt").write_text("mine")
    out = hpo("run", spec, "--study-dir", study)
    _user_error(out, "trial.command: give the command that runs one trial,"
                     " e.g. [python, train.py]")
    if existing:  # the user's folder is left as it was
        assert sorted(p.name for p in study.iterdir()) == ["notes.txt"]
    else:
        assert not study.exists()


def test_every_problem_of_a_contract_is_one_line(hpo, tmp_path):
    spec = _spec(tmp_path, contract="sagemaker", inputs={"training": "no-such-folder"})
    out = hpo("run", spec, "--study-dir", tmp_path / "study")
    _user_error(
        out,
        "metrics: no regex for objective metric 'acc' (regexes for: none; the sagemaker contract"
        " reads metrics only from the log)",
        "trial.inputs.training: no-such-folder does not exist",
    )
    assert not (tmp_path / "study").exists()


def test_azure_references_that_name_nothing(hpo, tmp_path):
    needs("mlflow")
    spec = _spec(tmp_path, contract="azure",
                 command="python train.py --lr ${{search_space.rate}} --x ${{weird.y}}")
    out = hpo("run", spec, "--study-dir", tmp_path / "study")
    _user_error(
        out,
        "trial.command: ${{search_space.rate}}: no 'rate' in search_space",
        "trial.command: ${{weird.y}}: unknown kind 'weird' (use search_space, inputs, outputs)",
    )
    assert not (tmp_path / "study").exists()


def test_a_bad_simulate_name(hpo, tmp_path):
    out = hpo("run", _spec(tmp_path), "--simulate", "nosuch", "--study-dir", tmp_path / "s")
    _user_error(out, "--simulate nosuch: neither a built-in benchmark (branin, hartmann6,"
                     " branin-mf, hartmann6-mf, curves) nor a table file")
    assert not (tmp_path / "s").exists()


def test_a_missing_spec_file(hpo, tmp_path):
    out = hpo("run", tmp_path / "missing.yaml", "--study-dir", tmp_path / "s")
    _user_error(out, f"{tmp_path / 'missing.yaml'}: cannot read spec: No such file or directory")
    assert not (tmp_path / "s").exists()


def test_a_study_dir_that_holds_another_study(hpo, tmp_path):
    spec = _spec(tmp_path)
    study = tmp_path / "study"
    first = hpo("run", spec, "--study-dir", study)
    assert first.returncode == 0, first.stderr
    before = (study / "study.db").read_bytes()
    other = tmp_path / "other.yaml"
    other.write_text(yaml.safe_dump({**SPEC, "name": "another"}))
    out = hpo("run", other, "--study-dir", study)
    _user_error(out, f"--study-dir {study}: already holds a study;"
                     f" continue it with `hpo-bridge resume {study}` (or run with"
                     " --resume-if-exists)")
    assert (study / "study.db").read_bytes() == before
    with Store.open(study) as store:
        assert store.spec.name == "errors"


@pytest.mark.parametrize("absolute", [False, True])
def test_a_missing_python_script_fails_before_any_trial(hpo, tmp_path, absolute):
    script = str(tmp_path / "job" / "missing.py") if absolute else "missing.py"
    spec = _spec(tmp_path, command=["python", script, "--quick"])
    out = hpo("run", spec, "--study-dir", tmp_path / "study")
    _user_error(out, f"trial.command: script {script} not found in {tmp_path / 'job'}")
    assert not (tmp_path / "study").exists()


def test_a_script_that_exits_with_an_error_says_why(hpo, tmp_path):
    # The reason ends with the trial's last stderr line (here what sys.exit printed).
    folder = tmp_path / "job"
    spec = _spec(tmp_path, command=["python", "train.py"])
    (folder / "train.py").write_text("import sys\nsys.exit(\"bad input: lr too high\")\n")
    out = hpo("run", spec, "--study-dir", tmp_path / "study")
    assert out.returncode == 1, out.stderr
    assert ("study failed: the first trial failed (trial 1 failed: exit code 1:"
            " bad input: lr too high)") in out.stdout
