"""The spec's `warm_start` on SageMaker, through the real console script: WarmStartConfig
from job names or from the study directory of an earlier SageMaker study (issue 13, item 4)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import yaml
from botocore.validate import ParamValidator
from hpo_bridge_sagemaker.service_model import service_model
from hpo_bridge_sagemaker.translate import OPERATION

from hpo_bridge.backends import META_BACKEND, META_HANDLE, Store
from hpo_bridge.spec import validate_spec

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "sagemaker"
CLI = Path(sys.executable).with_name("hpo-bridge")


def hpo(*args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def study(folder: Path, backend: str, handle: str | None) -> Path:
    """A study directory as `run` leaves it (the example's spec, the backend, its job)."""
    spec = validate_spec(yaml.safe_load((EXAMPLE / "spec.yaml").read_text()),
                         base_dir=EXAMPLE)
    with Store.create(folder, spec) as store:
        store.set_meta(META_BACKEND, backend)
        if handle is not None:
            store.set_meta(META_HANDLE, handle)
        store.commit()
    return folder


def spec_with(tmp_path: Path, warm_start: dict) -> Path:
    data = yaml.safe_load((EXAMPLE / "spec.yaml").read_text())
    data["warm_start"] = warm_start
    data["trial"]["code"] = str(EXAMPLE)
    data["trial"]["inputs"] = {"training": str(EXAMPLE / "data")}
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_parents_are_job_names_or_earlier_sagemaker_studies(tmp_path):
    study(tmp_path / "nightly-41", "sagemaker", "sagemaker-style-1a2b3c4d@us-east-1")
    spec = spec_with(tmp_path, {"from": ["nightly-41", "hand-made-job"], "type": "transfer"})
    out = hpo("compile", spec, "--backend", "sagemaker")
    assert out.returncode == 0, out.stderr
    request = json.loads(out.stdout)
    assert request["WarmStartConfig"] == {
        "ParentHyperParameterTuningJobs": [
            {"HyperParameterTuningJobName": "sagemaker-style-1a2b3c4d"},
            {"HyperParameterTuningJobName": "hand-made-job"}],
        "WarmStartType": "TransferLearning"}
    shape = service_model().operation_model(OPERATION).input_shape
    assert not ParamValidator().validate(request, shape).has_errors()
    # The parents are part of the job's identity: another parent, another job name.
    other = spec_with(tmp_path, {"from": ["hand-made-job"]})
    renamed = json.loads(hpo("compile", other, "--backend", "sagemaker").stdout)
    assert renamed["HyperParameterTuningJobName"] != request["HyperParameterTuningJobName"]
    assert renamed["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"


def test_sources_sagemaker_cannot_use_are_one_line_each(tmp_path):
    study(tmp_path / "local-study", "local", None)
    spec = spec_with(tmp_path, {"from": ["local-study", "not a job!"]})
    out = hpo("compile", spec, "--backend", "sagemaker")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        "sagemaker: warm_start.from.0: local-study is a local study; sagemaker warm-starts"
        " only from its own jobs",
        "sagemaker: warm_start.from.1: 'not a job!' is neither a study directory nor a tuning"
        " job name",
    ]


def test_the_old_setting_points_to_the_spec_section(tmp_path):
    data = yaml.safe_load((EXAMPLE / "spec.yaml").read_text())
    data["backends"]["sagemaker"]["warm_start"] = {"parents": ["earlier"]}
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(data))
    out = hpo("validate", path)
    assert out.returncode == 2
    assert "warm_start: moved to the spec's top level: warm_start: {from:" in out.stderr
