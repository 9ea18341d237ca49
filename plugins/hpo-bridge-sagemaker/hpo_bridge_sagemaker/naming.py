"""Tuning job names: SageMaker's own length and pattern, read from the service model."""

from __future__ import annotations

from hpo_bridge.backends import derive_name
from hpo_bridge_sagemaker.service_model import pattern_matches, shape

NAME_SHAPE = "HyperParameterTuningJobName"


def name_rules() -> tuple[int, str]:
    meta = shape(NAME_SHAPE).metadata
    return int(meta["max"]), str(meta["pattern"])


def is_valid_job_name(name: str) -> bool:
    longest, pattern = name_rules()
    return 1 <= len(name) <= longest and pattern_matches(pattern, name)


def derive_job_name(base: str, suffix: str = "") -> str:
    """A valid tuning job name from `base` (a spec name), ending in `-suffix` when given.

    The base is shortened, never the suffix: the suffix is what keeps names unique.
    """
    longest, _ = name_rules()
    name = derive_name(base, suffix, max_length=longest)
    if not is_valid_job_name(name):
        raise ValueError(f"cannot derive a valid tuning job name from {base!r} ({name!r})")
    return name
