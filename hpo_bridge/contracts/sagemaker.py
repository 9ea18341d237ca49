"""SageMaker script mode, as the training toolkit hands a job to its script.

The trial folder mirrors /opt/ml: `input/config/hyperparameters.json` (every value a
string, exactly as SageMaker writes the job's HyperParameters), `resourceconfig.json`,
`inputdataconfig.json`, `input/data/<channel>/` (each trial.inputs entry linked in),
`model/`, `output/data/`. What the script receives comes from those strings the way
sagemaker-training gives it (see sagemaker_toolkit.py): decoded as JSON where they parse
(`'"adam"'` -> adam), the platform's `sagemaker_*` and `_tuning_objective_metric` left
out, argv as sorted `--name value` pairs, and the SM_* variables (SM_HPS, SM_HP_<NAME>,
SM_USER_ARGS, SM_TRAINING_ENV, SM_CHANNEL_<NAME>, ...). A value that looks like an
option (`--lr`) reaches argparse as SageMaker passes it, so a script that would fail on
SageMaker fails here too. `checkpoints/` is CheckpointConfig's LocalPath
(/opt/ml/checkpoints): SageMaker fills it from the checkpoint S3 URI when a job starts,
so a resumed trial finds its checkpoint there. SageMaker sets no variable for it
(scripts name the path); here it is also SM_CHECKPOINT_DIR (hpo-bridge's, in
SageMaker's style): `os.environ.get("SM_CHECKPOINT_DIR", "/opt/ml/checkpoints")`.

A spec value's string is what SageMaker would hold: text as is, numbers as written,
booleans `true`/`false`, None as "". Metrics come only from the spec's regexes over
stdout and stderr, as SageMaker reads them from the log.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from hpo_bridge.contracts import sagemaker_toolkit as toolkit
from hpo_bridge.contracts.base import (
    ContractError,
    MetricProblems,
    TrialContext,
    TrialContract,
    all_values,
    format_value,
    resolve_command,
    unread_objectives,
)
from hpo_bridge.metrics.base import LineParser
from hpo_bridge.metrics.regex import RegexExtractor
from hpo_bridge.spec.errors import shown
from hpo_bridge.spec.names import file_name_problem

HOST = "algo-1"
# SageMaker's ChannelName (botocore's service model: 1 to 64 characters of this set).
CHANNEL_NAME = re.compile(r"[A-Za-z0-9.\-_]{1,64}")
DEFAULT_LOG_LEVEL = 20  # logging.INFO, the toolkit's default container log level


def raw_hyperparameters(ctx: TrialContext) -> dict[str, str]:
    """The job's HyperParameters as SageMaker holds them: one string per name."""
    return {name: "" if value is None else format_value(value)
            for name, value in all_values(ctx).items()}


class SageMakerContract(TrialContract):
    name = "sagemaker"

    @classmethod
    def spec_problems(cls, spec: Any) -> list[tuple[str, str]]:
        """Each trial.inputs entry is a channel: a folder input/data/<channel> in the
        trial's folder, so its name is one folder name, and SageMaker's own rule."""
        return [("trial.inputs", f"channel {shown(channel)} {problem}")
                for channel in spec.trial.inputs
                if (problem := _channel_problem(channel)) is not None]

    def setup(self, spec: Any, study_dir: Path) -> None:
        super().setup(spec, study_dir)
        problems = self.metric_problems(spec).errors
        for channel, path in spec.trial.inputs.items():
            if not (spec.base_dir / path).exists():
                problems.append(f"trial.inputs.{channel}: {path} does not exist")
        if problems:
            raise ContractError("\n".join(problems))

    def metric_problems(self, spec: Any) -> MetricProblems:
        """SageMaker reads metrics only with the spec's regexes over the log: an objective
        without one can never have a value."""
        return MetricProblems(errors=[
            f"metrics: no regex for objective metric {metric!r} ({hint}; the sagemaker"
            " contract reads metrics only from the log)"
            for metric, hint in unread_objectives(spec)])

    def arguments(self, ctx: TrialContext) -> list[str]:
        user, _ = toolkit.split(toolkit.decode_all(raw_hyperparameters(ctx)))
        return toolkit.to_cmd_args(user)

    def line_parsers(self, ctx: TrialContext) -> list[LineParser]:
        return [RegexExtractor(ctx.spec.metrics)]

    def prepare(self, ctx: TrialContext) -> None:
        d = _Dirs(ctx.trial_dir)
        for folder in (d.config, d.data, d.model, d.output_data, d.intermediate):
            folder.mkdir(parents=True, exist_ok=True)
        _write_json(d.config / "hyperparameters.json", raw_hyperparameters(ctx))
        _write_json(d.config / "resourceconfig.json", _resource_config())
        channels = {}
        for channel, path in ctx.spec.trial.inputs.items():
            _link_channel(d.data / channel, (ctx.spec.base_dir / path).resolve())
            channels[channel] = {"TrainingInputMode": "File"}
        _write_json(d.config / "inputdataconfig.json", channels)

    def environment(self, ctx: TrialContext) -> dict[str, str]:
        d = _Dirs(ctx.trial_dir)
        decoded = toolkit.decode_all(raw_hyperparameters(ctx))
        user, framework = toolkit.split(decoded)
        channels = {c: str(d.data / c) for c in ctx.spec.trial.inputs}
        entry = next((w for w in resolve_command(ctx.spec) if w.endswith(".py")), "")
        entry_point = Path(entry).name
        num_gpus = 1 if ctx.device is not None else 0
        job_name = f"{ctx.spec.name}-{ctx.trial_id:03d}"
        training_env = {
            "additional_framework_parameters": framework,
            "channel_input_dirs": channels,
            "current_host": HOST,
            "hosts": [HOST],
            "hyperparameters": user,
            "input_config_dir": str(d.config),
            "input_data_config": {c: {"TrainingInputMode": "File"} for c in channels},
            "input_dir": str(d.input),
            "job_name": job_name,
            "log_level": decoded.get("sagemaker_container_log_level", DEFAULT_LOG_LEVEL),
            "model_dir": str(d.model),
            "module_dir": decoded.get("sagemaker_submit_directory", str(ctx.spec.code_dir)),
            "module_name": entry_point.removesuffix(".py"),
            "network_interface_name": "lo",
            "num_cpus": os.cpu_count() or 1,
            "num_gpus": num_gpus,
            "output_data_dir": str(d.output_data),
            "output_dir": str(d.output),
            "output_intermediate_dir": str(d.intermediate),
            "resource_config": _resource_config(),
            "user_entry_point": entry_point,
        }
        variables: dict[str, Any] = {
            "hosts": [HOST],
            "network_interface_name": "lo",
            "hps": user,
            "user_entry_point": entry_point,
            "framework_params": framework,
            "resource_config": _resource_config(),
            "input_data_config": training_env["input_data_config"],
            "output_data_dir": str(d.output_data),
            "channels": sorted(channels),
            "current_host": HOST,
            "module_name": training_env["module_name"],
            "log_level": training_env["log_level"],
            "input_dir": str(d.input),
            "input_config_dir": str(d.config),
            "output_dir": str(d.output),
            "num_cpus": training_env["num_cpus"],
            "num_gpus": num_gpus,
            "model_dir": str(d.model),
            "module_dir": training_env["module_dir"],
            "training_env": training_env,
            "user_args": toolkit.to_cmd_args(user),
            "output_intermediate_dir": str(d.intermediate),
        }
        for channel, path in channels.items():
            variables[f"channel_{channel}"] = path
        for name, value in user.items():
            variables[f"hp_{name}"] = value
        env = {toolkit.env_key(k): toolkit.env_value(v) for k, v in variables.items()}
        env["TRAINING_JOB_NAME"] = job_name  # set by the platform, not the toolkit
        env["SM_CHECKPOINT_DIR"] = str(self.checkpoint_dir(ctx.trial_dir))  # ours: see above
        return env


def _channel_problem(channel: str) -> str | None:
    problem = file_name_problem(channel)
    if problem is None and not CHANNEL_NAME.fullmatch(channel):
        problem = "is not 1 to 64 letters, digits, '.', '-' or '_' (SageMaker's channel names)"
    return problem


class _Dirs:
    def __init__(self, root: Path) -> None:
        self.input = root / "input"
        self.config = self.input / "config"
        self.data = self.input / "data"
        self.model = root / "model"
        self.output = root / "output"
        self.output_data = self.output / "data"
        self.intermediate = self.output / "intermediate"


def _resource_config() -> dict[str, Any]:
    return {"current_host": HOST, "hosts": [HOST], "network_interface_name": "lo"}


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _link_channel(channel_dir: Path, source: Path) -> None:
    """A channel is a folder: a folder input is linked as it, a file is linked inside one."""
    if not source.exists():
        raise ContractError(f"trial.inputs: {source} does not exist")
    if source.is_dir():
        channel_dir.symlink_to(source, target_is_directory=True)
    else:
        channel_dir.mkdir(parents=True, exist_ok=True)
        (channel_dir / source.name).symlink_to(source)
