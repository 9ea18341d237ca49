"""What SageMaker's training toolkit (sagemaker-training) makes of a job's hyperparameters.

SageMaker writes the job's HyperParameters, every value a string exactly as the request
sent it, to `/opt/ml/input/config/hyperparameters.json`. The toolkit in the training image
then hands them to the script:

- decoding: each string goes through `json.loads`, and stays the string itself when that
  fails: `'"adam"'` -> `adam`, `"3"` -> 3, `"0.5"` -> 0.5, `"true"` -> True, `"[1, 2]"` ->
  [1, 2], `adam` -> `adam`;
- the platform's own names (`sagemaker_*`, `_tuning_objective_metric`,
  `default_user_module_name`) are taken out; `sagemaker_*` names the toolkit does not
  know itself become the framework parameters;
- argv (`to_cmd_args`): the remaining names in sorted order, `--name` (`-n` for a
  one-letter name) then `str(value)`, a mapping as `k=v,k2=v2`, each one argv word;
- environment (`to_env_vars`): `SM_<KEY>` with the key upper-cased as is (a dash stays:
  `SM_HP_LEARNING-RATE`); a string value as is, None as "", anything else as compact
  JSON with sorted keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

SAGEMAKER_PREFIX = "sagemaker_"
# The toolkit's own hyperparameters (sagemaker_training.params.SAGEMAKER_HYPERPARAMETERS).
PLATFORM_NAMES = frozenset({
    "sagemaker_program",
    "sagemaker_submit_directory",
    "sagemaker_enable_cloudwatch_metrics",
    "sagemaker_region",
    "sagemaker_container_log_level",
    "sagemaker_job_name",
    "default_user_module_name",
    "_tuning_objective_metric",
    "sagemaker_s3_output",
})


def decode(raw: str) -> Any:
    """One hyperparameter as the toolkit reads it: JSON when it parses, else the text."""
    try:
        return json.loads(raw)
    except (ValueError, TypeError):
        return raw


def decode_all(raw: Mapping[str, str]) -> dict[str, Any]:
    return {name: decode(value) for name, value in raw.items()}


def split(decoded: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the script's hyperparameters, the framework parameters) of decoded values."""
    user: dict[str, Any] = {}
    framework: dict[str, Any] = {}
    for name, value in decoded.items():
        if name in PLATFORM_NAMES:
            continue
        if name.startswith(SAGEMAKER_PREFIX):
            framework[name] = value
        else:
            user[name] = value
    return user, framework


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def to_cmd_args(hyperparameters: Mapping[str, Any]) -> list[str]:
    """The script's argv after its name: sorted `--name value` pairs."""
    argv: list[str] = []
    for name in sorted(hyperparameters):
        key = _text(name)
        flag = (f"--{key}" if len(key) > 1 else f"-{key}") if key else ""
        value = hyperparameters[name]
        if isinstance(value, Mapping):
            text = ",".join(f"{k}={v}" for k, v in sorted(value.items()))
        else:
            text = _text(value)
        argv += [flag, text]
    return argv


def env_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def env_key(key: str) -> str:
    return f"SM_{key.upper()}" if key else ""
