"""Where each contract's trial saves checkpoints and finds the one it resumes from, and how
the process executor copies a source's checkpoint (or says why it cannot)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hpo_bridge.contracts.azure import AzureContract
from hpo_bridge.contracts.base import TrialContext, TrialContract
from hpo_bridge.contracts.local import LocalContract
from hpo_bridge.contracts.sagemaker import SageMakerContract
from hpo_bridge.contracts.vega import VegaContract
from hpo_bridge.contracts.vertex import VertexContract
from hpo_bridge.core.events import RestoreCorrected, TrialFinished, TrialStarted
from hpo_bridge.core.trial import Restore, Trial
from hpo_bridge.executors.process import ProcessExecutor
from hpo_bridge.spec import validate_spec


def _spec(base: Path, contract: str = "local", **trial: Any) -> Any:
    command = "python train.py --lr ${{search_space.lr}}" if contract == "azure" \
        else ["python", "train.py"]
    return validate_spec({
        "name": "ckpt",
        "objective": {"metric": "acc", "goal": "maximize"},
        "metrics": [{"name": "acc", "regex": "acc=([0-9.]+)"}],
        "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1}},
        "trial": {"command": command, "contract": contract, **trial},
    }, base_dir=base)


def _ctx(tmp_path: Path, spec: Any, restore_dir: Path | None = None) -> TrialContext:
    trial_dir = tmp_path / "study" / "trials" / "2"
    trial_dir.mkdir(parents=True, exist_ok=True)
    return TrialContext(spec, 2, {"lr": 0.01}, trial_dir, tmp_path / "study",
                        restore_dir=restore_dir)


@pytest.mark.parametrize(("contract", "folder", "native"), [
    (LocalContract(), "checkpoints", {}),
    (VegaContract(), "checkpoints", {}),
    (SageMakerContract(), "checkpoints", {"SM_CHECKPOINT_DIR": "{dir}"}),
    (VertexContract(), "checkpoints", {"AIP_CHECKPOINT_DIR": "{dir}/"}),
])
def test_the_checkpoint_folder_is_filled_in_place(tmp_path, contract: TrialContract,
                                                  folder: str, native: dict[str, str]):
    (tmp_path / "train.py").touch()
    spec = _spec(tmp_path, contract.name)
    fresh = contract.launch(_ctx(tmp_path, spec))
    trial_dir = tmp_path / "study" / "trials" / "2"
    where = trial_dir / folder
    assert where.is_dir() and contract.restore_target(trial_dir) == where
    assert fresh.env["HPO_BRIDGE_CHECKPOINT_DIR"] == str(where)
    assert "HPO_BRIDGE_RESTORE_FROM" not in fresh.env
    for var, value in native.items():
        assert fresh.env[var] == value.format(dir=where)
    resumed = contract.launch(_ctx(tmp_path, spec, restore_dir=where))
    assert resumed.env["HPO_BRIDGE_RESTORE_FROM"] == str(where)
    assert resumed.argv == fresh.argv  # nothing on the command line
    assert contract.resumes_reruns


def test_azure_saves_to_outputs_and_resumes_from_an_argument(tmp_path):
    (tmp_path / "train.py").touch()
    spec = _spec(tmp_path, "azure")
    contract = AzureContract()
    trial_dir = tmp_path / "study" / "trials" / "2"
    fresh = contract.command(_ctx(tmp_path, spec))
    assert fresh[-2:] == ["--lr", "0.01"]
    restore = contract.restore_target(trial_dir)
    assert restore == trial_dir / "resume-from"
    assert contract.checkpoint_dir(trial_dir) == trial_dir / "outputs"
    assert contract.command(_ctx(tmp_path, spec, restore)) == [*fresh, "--resume-from",
                                                              str(restore)]
    assert not contract.resumes_reruns  # the script must accept --resume-from


# -- the process executor's copy ---------------------------------------------------------------
SCRIPT = """\
import os, pathlib
restore = os.environ.get("HPO_BRIDGE_RESTORE_FROM")
got = (pathlib.Path(restore) / "state").read_text() if restore else "nothing"
print("loaded", got, "into", os.environ["HPO_BRIDGE_CHECKPOINT_DIR"])
print("acc=0.5")
"""


def _events(executor: ProcessExecutor) -> list:
    events: list = []
    while not any(isinstance(e, TrialFinished) for e in events):
        events += executor.poll(30.0)
    return events


def _run(tmp_path: Path, trial: Trial, runs: TrialContract | None = None,
         **trial_spec: Any) -> tuple[list, str]:
    (tmp_path / "train.py").write_text(SCRIPT)
    runs = runs or LocalContract()
    spec = _spec(tmp_path, runs.name, **trial_spec)
    executor = ProcessExecutor(spec, tmp_path / "study", contract=runs)
    try:
        executor.start(trial)
        events = _events(executor)
    finally:
        executor.close()
    log = (tmp_path / "study" / "trials" / str(trial.id) / "stdout.log").read_text()
    return events, log.splitlines()[0]


def _saved(tmp_path: Path, folder: str, text: str = "epoch 4 of trial 1") -> None:
    where = tmp_path / "study" / "trials" / folder / "checkpoints"
    where.mkdir(parents=True)
    (where / "state").write_text(text)


def test_a_trial_starts_from_a_copy_of_its_donors_checkpoint(tmp_path):
    _saved(tmp_path, "1")
    trial = Trial(id=2, params={"lr": 0.01}, restore=Restore(1, 4, (0.1,) * 4))
    events, line = _run(tmp_path, trial)
    copy = tmp_path / "study" / "trials" / "2" / "checkpoints"
    assert line == f"loaded epoch 4 of trial 1 into {copy}"
    assert not any(isinstance(e, RestoreCorrected) for e in events)
    # A copy: the donor's own folder stays as it was for the next member that copies it.
    assert (tmp_path / "study" / "trials" / "1" / "checkpoints" / "state").is_file()


def test_a_donor_that_saved_nothing_means_starting_from_scratch(tmp_path):
    (tmp_path / "study" / "trials" / "1").mkdir(parents=True)
    trial = Trial(id=2, params={"lr": 0.01}, restore=Restore(1, 4, (0.1,) * 4))
    events, line = _run(tmp_path, trial)
    assert line.startswith("loaded nothing")
    first, started = events[0], events[1]
    assert isinstance(first, RestoreCorrected) and isinstance(started, TrialStarted)
    assert (first.trial_id, first.start, first.reason) == (
        2, 0, "trial 1 saved no checkpoint (its checkpoints/ folder is empty): started from"
              " scratch")


def test_a_rerun_resumes_from_its_interrupted_attempt(tmp_path):
    _saved(tmp_path, "2", "epoch 3 of attempt 1")
    trial = Trial(id=2, params={"lr": 0.01}, attempt=2, restore=Restore(2, 3, (0.1,) * 3))
    events, line = _run(tmp_path, trial)
    assert line.startswith("loaded epoch 3 of attempt 1")
    assert (tmp_path / "study" / "trials" / "2.attempt-1" / "checkpoints" / "state").is_file()


def test_azure_reruns_resume_only_when_the_spec_says_the_script_can(tmp_path):
    pytest.importorskip("mlflow")
    rerun = Trial(id=2, params={"lr": 0.01}, attempt=2, restore=Restore(2, 3, (0.1,) * 3))
    (tmp_path / "study" / "trials" / "2" / "outputs").mkdir(parents=True)
    (tmp_path / "study" / "trials" / "2" / "outputs" / "state").write_text("azure epoch 3")
    events, _ = _run(tmp_path, rerun, AzureContract())
    corrected = [e for e in events if isinstance(e, RestoreCorrected)]
    assert [c.reason for c in corrected] == [
        "contract azure resumes an interrupted trial only with trial.resume_from_checkpoint:"
        " true (its script must accept the checkpoint): started from scratch"]
    launch = (tmp_path / "study" / "trials" / "2" / "launch.json").read_text()
    assert "--resume-from" not in launch
    # Said so: the outputs of the interrupted attempt come back with --resume-from.
    rerun = Trial(id=2, params={"lr": 0.01}, attempt=3, restore=Restore(2, 3, (0.1,) * 3))
    (tmp_path / "study" / "trials" / "2" / "outputs" / "state").write_text("azure epoch 3")
    events, _ = _run(tmp_path, rerun, AzureContract(), resume_from_checkpoint=True)
    assert not any(isinstance(e, RestoreCorrected) for e in events)
    resume_dir = tmp_path / "study" / "trials" / "2" / "resume-from"
    assert (resume_dir / "state").read_text() == "azure epoch 3"
    assert f'"--resume-from",\n  "{resume_dir}"' in (
        tmp_path / "study" / "trials" / "2" / "launch.json").read_text()
