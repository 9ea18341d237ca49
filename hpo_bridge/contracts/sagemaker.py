"""SageMaker script mode: `--name value` arguments, SM_* variables, MetricDefinitions regexes.

The trial folder mirrors /opt/ml: `input/config/hyperparameters.json` (every
value a string, as SageMaker writes it), `input/data/<channel>/` (each
trial.inputs entry linked in), `model/`, `output/data/`, and `checkpoints/`
(CheckpointConfig's LocalPath, /opt/ml/checkpoints: SageMaker fills it from the
checkpoint S3 URI when a job starts, so a resumed trial finds its checkpoint
there). SageMaker sets no variable for that folder (scripts name the path);
here it is also SM_CHECKPOINT_DIR (hpo-bridge's, in SageMaker's style), so a
script reads `os.environ.get("SM_CHECKPOINT_DIR", "/opt/ml/checkpoints")`. Metrics come only from
the spec's regexes over stdout and stderr, as SageMaker reads them from the log.

A value starting with '-' is passed as `--name=value`, one argv element:
argparse would take a separate `--x` for an option of its own, and both forms
parse to the same value, so only the ambiguous case changes form.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from hpo_bridge.contracts.base import (
    ContractError,
    MetricProblems,
    TrialContext,
    TrialContract,
    all_values,
    env_name,
    format_value,
    resolve_command,
    unread_objectives,
)
from hpo_bridge.metrics.base import LineParser
from hpo_bridge.metrics.regex import RegexExtractor

HOST = "algo-1"


class SageMakerContract(TrialContract):
    name = "sagemaker"

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
        argv: list[str] = []
        for name, value in all_values(ctx).items():
            if value is None:
                argv.append(f"--{name}")
                continue
            text = format_value(value)
            argv += [f"--{name}={text}"] if text.startswith("-") else [f"--{name}", text]
        return argv

    def line_parsers(self, ctx: TrialContext) -> list[LineParser]:
        return [RegexExtractor(ctx.spec.metrics)]

    def prepare(self, ctx: TrialContext) -> None:
        d = _Dirs(ctx.trial_dir)
        for folder in (d.config, d.data, d.model, d.output_data):
            folder.mkdir(parents=True, exist_ok=True)
        hps = {name: "" if v is None else format_value(v) for name, v in all_values(ctx).items()}
        _write_json(d.config / "hyperparameters.json", hps)
        _write_json(d.config / "resourceconfig.json",
                    {"current_host": HOST, "hosts": [HOST], "network_interface_name": "lo"})
        channels = {}
        for channel, path in ctx.spec.trial.inputs.items():
            _link_channel(d.data / channel, (ctx.spec.base_dir / path).resolve())
            channels[channel] = {"TrainingInputMode": "File"}
        _write_json(d.config / "inputdataconfig.json", channels)

    def environment(self, ctx: TrialContext) -> dict[str, str]:
        d = _Dirs(ctx.trial_dir)
        values = all_values(ctx)
        channels = {c: str(d.data / c) for c in ctx.spec.trial.inputs}
        entry = next((w for w in resolve_command(ctx.spec) if w.endswith(".py")), "")
        user_args = self.arguments(ctx)
        env = {
            "SM_MODEL_DIR": str(d.model),
            "SM_CHECKPOINT_DIR": str(self.checkpoint_dir(ctx.trial_dir)),
            "SM_OUTPUT_DATA_DIR": str(d.output_data),
            "SM_OUTPUT_DIR": str(d.output),
            "SM_INPUT_DIR": str(d.input),
            "SM_INPUT_CONFIG_DIR": str(d.config),
            "SM_CHANNELS": json.dumps(sorted(channels)),
            "SM_HPS": json.dumps(values),
            "SM_USER_ARGS": json.dumps(user_args),
            "SM_CURRENT_HOST": HOST,
            "SM_HOSTS": json.dumps([HOST]),
            "SM_NUM_GPUS": "1" if ctx.device is not None else "0",
            "SM_NUM_CPUS": str(os.cpu_count() or 1),
            "SM_USER_ENTRY_POINT": Path(entry).name,
            "TRAINING_JOB_NAME": f"{ctx.spec.name}-{ctx.trial_id:03d}",
        }
        for name, value in values.items():
            env[f"SM_HP_{env_name(name)}"] = "" if value is None else format_value(value)
        for channel, path in channels.items():
            env[f"SM_CHANNEL_{env_name(channel)}"] = path
        env["SM_TRAINING_ENV"] = json.dumps({
            "channel_input_dirs": channels,
            "current_host": HOST,
            "hosts": [HOST],
            "hyperparameters": values,
            "input_config_dir": str(d.config),
            "input_data_config": {c: {"TrainingInputMode": "File"} for c in channels},
            "input_dir": str(d.input),
            "job_name": env["TRAINING_JOB_NAME"],
            "model_dir": str(d.model),
            "num_cpus": int(env["SM_NUM_CPUS"]),
            "num_gpus": int(env["SM_NUM_GPUS"]),
            "output_data_dir": str(d.output_data),
            "output_dir": str(d.output),
            "user_entry_point": env["SM_USER_ENTRY_POINT"],
        })
        return env


class _Dirs:
    def __init__(self, root: Path) -> None:
        self.input = root / "input"
        self.config = self.input / "config"
        self.data = self.input / "data"
        self.model = root / "model"
        self.output = root / "output"
        self.output_data = self.output / "data"


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
