"""What each contract hands a trial: argv, environment, files; and the spec checks it makes."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from hpo_bridge.builtins import CONTRACTS
from hpo_bridge.contracts.azure import AzureContract
from hpo_bridge.contracts.base import (
    ContractError,
    TrialContext,
    TrialContract,
    equals_args,
    format_value,
    resolve_command,
)
from hpo_bridge.contracts.local import LocalContract
from hpo_bridge.contracts.sagemaker import SageMakerContract
from hpo_bridge.contracts.vega import VegaContract
from hpo_bridge.contracts.vertex import VertexContract
from hpo_bridge.metrics.report_line import ReportLineParser
from hpo_bridge.plugins import registry
from hpo_bridge.spec import validate_spec


def _spec(base: Path, **trial):
    top = trial.pop("top", {})
    data = {
        "name": "demo",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1},
                         "learning-rate": {"type": "float", "low": 0.001, "high": 0.1}},
        "trial": {"command": ["python", "train.py"], **trial},
        **top,
    }
    return validate_spec(data, base_dir=base)


def _ctx(tmp_path, spec, params, **kw) -> TrialContext:
    trial_dir = tmp_path / "study" / "trials" / "1"
    trial_dir.mkdir(parents=True, exist_ok=True)
    return TrialContext(spec, 1, params, trial_dir, tmp_path / "study", **kw)


def test_every_registered_contract_builds_with_no_arguments():
    for name in CONTRACTS:
        assert isinstance(registry().require("contracts", name).create(), TrialContract)


def test_values_as_text():
    assert [format_value(v) for v in (True, False, 0.1, 1e-05, 3, "x y")] == [
        "true", "false", "0.1", "1e-05", "3", "x y"]
    assert equals_args({"lr": 0.5, "pretrained": None, "name": "a=b"}) == [
        "--lr=0.5", "--pretrained", "--name=a=b"]


def test_command_resolution(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "train.py").write_text("")
    (tmp_path / "src" / "pkg").mkdir()
    spec = _spec(tmp_path, code="src", command="python3 train.py --data missing.csv -m pkg")
    assert resolve_command(spec) == [sys.executable, str(tmp_path / "src" / "train.py"),
                                     "--data", "missing.csv", "-m", "pkg"]
    spec = _spec(tmp_path, command=["./run.sh", "x"], python="venv/bin/python")
    assert resolve_command(spec) == [str(tmp_path / "run.sh"), "x"]
    assert resolve_command(_spec(tmp_path, python="venv/bin/python"))[0] == str(
        tmp_path / "venv/bin/python")
    assert resolve_command(_spec(tmp_path, python="python3.12"))[0] == "python3.12"
    assert resolve_command(_spec(tmp_path, command=["bash", "-c", "x"]))[:2] == ["bash", "-c"]
    with pytest.raises(ContractError, match=r"^trial.command: give the command"):
        resolve_command(validate_spec({**_spec(tmp_path).to_dict(), "trial": {}}))


def test_local_arguments_and_channels(tmp_path):
    spec = _spec(tmp_path, args={"epochs": 5, "lr": 9, "pretrained": None})
    launch = LocalContract().launch(_ctx(tmp_path, spec, {"lr": 0.01, "flag": True}))
    assert launch.argv[2:] == ["--lr=0.01", "--flag=true", "--epochs=5", "--pretrained"]
    assert [type(p) for p in launch.line_parsers] == [ReportLineParser]  # no regexes defined


def test_sagemaker_arguments_files_and_variables(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "labels.csv").write_text("1\n")
    spec = _spec(tmp_path, contract="sagemaker", args={"epochs": 5, "verbose": None},
                 inputs={"training": "data", "labels": "labels.csv"},
                 top={"metrics": [{"name": "accuracy", "regex": "acc=([0-9.]+)"}]})
    contract = SageMakerContract()
    contract.setup(spec, tmp_path / "study")
    ctx = _ctx(tmp_path, spec, {"learning-rate": 0.01, "opt": "-x"})
    launch = contract.launch(ctx)
    # The toolkit's argv: sorted names, each value one word (None is SageMaker's "").
    assert launch.argv[2:] == ["--epochs", "5", "--learning-rate", "0.01", "--opt", "-x",
                               "--verbose", ""]
    config = ctx.trial_dir / "input" / "config"
    assert json.loads((config / "hyperparameters.json").read_text()) == {
        "learning-rate": "0.01", "opt": "-x", "epochs": "5", "verbose": ""}
    env = launch.env
    assert env["SM_HP_LEARNING-RATE"] == "0.01" and env["SM_HP_EPOCHS"] == "5"
    assert json.loads(env["SM_HPS"]) == {"learning-rate": 0.01, "opt": "-x", "epochs": 5,
                                         "verbose": ""}
    assert env["SM_MODEL_DIR"] == str(ctx.trial_dir / "model")
    assert Path(env["SM_OUTPUT_DATA_DIR"]).is_dir()
    assert Path(env["SM_CHANNEL_TRAINING"]).resolve() == (tmp_path / "data").resolve()
    assert (Path(env["SM_CHANNEL_LABELS"]) / "labels.csv").read_text() == "1\n"
    assert json.loads(env["SM_CHANNELS"]) == ["labels", "training"]
    assert json.loads(env["SM_TRAINING_ENV"])["hyperparameters"]["epochs"] == 5
    assert env["TRAINING_JOB_NAME"] == "demo-001"


def test_sagemaker_decodes_hyperparameters_as_the_training_toolkit(tmp_path):
    """The SageMaker SDK JSON-encodes framework hyperparameters and categorical values;
    the toolkit decodes them (json.loads, else the text) and keeps its own names out."""
    spec = _spec(tmp_path, contract="sagemaker", args={
        "sagemaker_program": '"train.py"',
        "sagemaker_submit_directory": '"s3://b/code/sourcedir.tar.gz"',
        "sagemaker_container_log_level": "20",
        "sagemaker_distributed_dataparallel_enabled": "false",
        "_tuning_objective_metric": "accuracy",
        "epochs": "3",
        "layers": "[64, 32]",
        "shuffle": True,
        "x": "1e-3",
    }, top={"metrics": [{"name": "accuracy", "regex": "acc=([0-9.]+)"}]})
    ctx = _ctx(tmp_path, spec, {"optimizer": '"adam"', "lr": 0.5, "note": "plain text"})
    launch = SageMakerContract().launch(ctx)
    assert launch.argv[2:] == [
        "--epochs", "3", "--layers", "[64, 32]", "--lr", "0.5", "--note", "plain text",
        "--optimizer", "adam", "--shuffle", "True", "-x", "0.001"]
    raw = json.loads((ctx.trial_dir / "input/config/hyperparameters.json").read_text())
    assert raw["optimizer"] == '"adam"' and raw["sagemaker_program"] == '"train.py"'
    assert raw["_tuning_objective_metric"] == "accuracy" and raw["shuffle"] == "true"
    env = launch.env
    assert json.loads(env["SM_HPS"]) == {"epochs": 3, "layers": [64, 32], "lr": 0.5,
                                         "note": "plain text", "optimizer": "adam",
                                         "shuffle": True, "x": 0.001}
    assert env["SM_HPS"] == ('{"epochs":3,"layers":[64,32],"lr":0.5,"note":"plain text",'
                             '"optimizer":"adam","shuffle":true,"x":0.001}')
    assert (env["SM_HP_OPTIMIZER"], env["SM_HP_EPOCHS"], env["SM_HP_LAYERS"]) == (
        "adam", "3", "[64,32]")
    assert (env["SM_HP_SHUFFLE"], env["SM_HP_X"]) == ("true", "0.001")
    assert not any(k.startswith("SM_HP_SAGEMAKER") or k == "SM_HP__TUNING_OBJECTIVE_METRIC"
                   for k in env)
    assert json.loads(env["SM_FRAMEWORK_PARAMS"]) == {
        "sagemaker_distributed_dataparallel_enabled": False}
    assert json.loads(env["SM_USER_ARGS"]) == launch.argv[2:]
    training_env = json.loads(env["SM_TRAINING_ENV"])
    assert training_env["hyperparameters"]["optimizer"] == "adam"
    assert training_env["module_dir"] == "s3://b/code/sourcedir.tar.gz"
    assert (training_env["user_entry_point"], training_env["module_name"]) == (
        "train.py", "train")
    assert env["SM_LOG_LEVEL"] == "20"


def test_sagemaker_setup_names_every_problem(tmp_path):
    spec = _spec(tmp_path, contract="sagemaker", inputs={"train": "nowhere"})
    with pytest.raises(ContractError) as err:
        SageMakerContract().setup(spec, tmp_path)
    assert str(err.value).splitlines() == [
        "metrics: no regex for objective metric 'accuracy'"
        " (regexes for: none; the sagemaker contract reads metrics only from the log)",
        "trial.inputs.train: nowhere does not exist",
    ]


def test_vertex_environment(tmp_path):
    spec = _spec(tmp_path, contract="vertex", args={"epochs": 2})
    ctx = _ctx(tmp_path, spec, {"lr": 0.1})
    launch = VertexContract().launch(ctx)
    assert launch.argv[2:] == ["--lr=0.1", "--epochs=2"]
    env = launch.env
    assert env["CLOUD_ML_HP_METRIC_FILE"] == str(ctx.trial_dir / "hypertune/output.metrics")
    assert env["CLOUD_ML_TRIAL_ID"] == "1"
    assert json.loads(env["TF_CONFIG"])["task"]["trial"] == "1"
    for var, folder in [("AIP_MODEL_DIR", "model"), ("AIP_CHECKPOINT_DIR", "checkpoints"),
                        ("AIP_TENSORBOARD_LOG_DIR", "logs")]:
        assert env[var] == f"{ctx.trial_dir / folder}/" and (ctx.trial_dir / folder).is_dir()


def test_vega_environment_and_fullytrain(tmp_path):
    spec = _spec(tmp_path, contract="vega", args={"momentum": 0.9, "pretrained": None})
    contract = VegaContract()
    ctx = _ctx(tmp_path, spec, {"lr": 0.1}, resource=3, device="1")
    launch = contract.launch(ctx)
    assert launch.argv[2:] == ["--lr=0.1", "--momentum=0.9", "--pretrained"]
    checkpoints = {"HPO_BRIDGE_CHECKPOINT_DIR": str(ctx.trial_dir / "checkpoints")}
    assert launch.env == {"PIPESTEP": "hpo", "EPOCHS": "3", "DEVICE_ID": "1",
                          "ASCEND_DEVICE_ID": "1", **checkpoints}
    assert contract.fullytrain(ctx).env == {"PIPESTEP": "fullytrain", "DEVICE_ID": "1",
                                            "ASCEND_DEVICE_ID": "1", **checkpoints}
    (source,) = launch.sources
    assert source.watch.path == ctx.trial_dir / "accuracy.json"


def test_azure_reference_problems_are_one_line_each(tmp_path):
    command = ("python train.py --lr ${{search_space.lr}} --x ${{search_space.zzz}}"
               " --d ${{inputs.data}} --o ${{bogus.k}}")
    spec = _spec(tmp_path, contract="azure", command=command)
    with pytest.raises(ContractError) as err:
        AzureContract().setup(spec, tmp_path / "study")
    assert str(err.value).splitlines() == [
        "trial.command: ${{search_space.zzz}}: no 'zzz' in search_space",
        "trial.command: ${{inputs.data}}: no 'data' in trial.args or trial.inputs",
        "trial.command: ${{bogus.k}}: unknown kind 'bogus' (use search_space, inputs, outputs)",
    ]


def test_azure_command_substitution(tmp_path):
    (tmp_path / "data").mkdir()
    command = ("python train.py --lr=${{search_space.lr}} --e ${{inputs.epochs}}"
               " --d ${{inputs.data}} --out ${{outputs.model}} --c ${{search_space.learning-rate}}")
    spec = _spec(tmp_path, contract="azure", command=command, args={"epochs": 4},
                 inputs={"data": "data"})
    contract = AzureContract()
    ctx = _ctx(tmp_path, spec, {"lr": 0.5})  # learning-rate inactive: empty text
    assert contract.command(ctx)[2:] == [
        "--lr=0.5", "--e", "4", "--d", str((tmp_path / "data").resolve()),
        "--out", str(ctx.trial_dir / "outputs" / "model"), "--c", ""]
    assert contract.environment(ctx) == {"AZUREML_SWEEP_epochs": "4", "AZUREML_SWEEP_lr": "0.5"}


def test_azure_without_mlflow_says_how_to_install(tmp_path):
    shadow = tmp_path / "shadow" / "mlflow"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('No module named mlflow')\n")
    code = textwrap.dedent(f"""
        from pathlib import Path
        from hpo_bridge.contracts.base import ContractError
        from hpo_bridge.executors.process import ProcessExecutor
        from hpo_bridge.plugins import registry
        from hpo_bridge.spec import validate_spec
        spec = validate_spec({{"name": "a", "objective": {{"metric": "m", "goal": "maximize"}},
            "search_space": {{"lr": {{"type": "float", "low": 0.1, "high": 1}}}},
            "trial": {{"contract": "azure", "command": ["python", "t.py"]}}}},
            base_dir=Path({str(tmp_path)!r}))
        try:
            contract = registry().require("contracts", "azure").create()
            ProcessExecutor(spec, Path({str(tmp_path / "study")!r}), contract=contract)
        except ContractError as exc:
            print(exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"PYTHONPATH": str(tmp_path / "shadow")}, check=True).stdout
    assert out == ("trial.contract: azure reads metrics through MLflow, which is not"
                   " installed: pip install 'hpo-bridge[azure]'\n")
