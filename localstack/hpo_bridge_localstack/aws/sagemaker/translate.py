"""A CreateHyperParameterTuningJob request as an hpo-bridge TuningSpec, to run it locally.

This is the emulator's own reading of the documented API (it shares no code with the
SageMaker plugin, whose translation goes the other way and is what the emulator tests):
- ranges: Integer -> int, Continuous -> float, Categorical -> categorical of strings;
  ScalingType Linear/Logarithmic/ReverseLogarithmic -> linear/log/reverse_log, Auto ->
  linear; a range with MinValue == MaxValue is a one-value categorical;
- Strategy Random/Bayesian/Grid/Hyperband -> the core's searchers of those names; RandomSeed
  -> strategy.seed; Hyperband's MinResource/MaxResource -> trial.resource (epochs);
- TrainingJobEarlyStoppingType Auto -> the median rule (interval 1, delay 5: SageMaker
  compares a job with the median of earlier jobs' running averages at the same epoch);
- ResourceLimits and TuningJobCompletionCriteria -> limits; StoppingCondition.MaxRuntime
  -> limits.trial_timeout;
- script mode: `python <sagemaker_program>` in the extracted code folder, under the
  `sagemaker` contract, with the static hyperparameters except SageMaker's own
  (`sagemaker_*`, and names starting with `_`) as arguments.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hpo_bridge.spec import TuningSpec, validate_spec
from hpo_bridge_localstack.aws.sagemaker.checks import hyperband_bounds

SCALES = {"Linear": "linear", "Logarithmic": "log", "ReverseLogarithmic": "reverse_log"}
STRATEGIES = {"Random": "random", "Bayesian": "bayesian", "Grid": "grid",
              "Hyperband": "hyperband"}
AUTO_EARLY_STOPPING = {"policy": "median", "evaluation_interval": 1, "delay_evaluation": 5}


def unquote(value: str) -> str:
    """The SageMaker Python SDK sends framework hyperparameters JSON-encoded ('"train.py"')."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        if isinstance(decoded, str):
            return decoded
    return value


def is_platform_key(name: str) -> bool:
    return name.startswith("sagemaker_") or name.startswith("_")


def _domain(kind: str, r: dict[str, Any]) -> dict[str, Any]:
    if kind == "CategoricalParameterRanges":
        return {"type": "categorical", "values": [str(v) for v in r["Values"]]}
    integer = kind == "IntegerParameterRanges"
    low = int(r["MinValue"]) if integer else float(r["MinValue"])
    high = int(r["MaxValue"]) if integer else float(r["MaxValue"])
    if low == high:
        return {"type": "categorical", "values": [str(r["MinValue"])]}
    domain: dict[str, Any] = {"type": "int" if integer else "float", "low": low, "high": high}
    scale = SCALES.get(r.get("ScalingType", "Auto"))
    if scale is not None:
        domain["scale"] = scale
    return domain


def _search_space(ranges: dict[str, Any]) -> dict[str, Any]:
    space: dict[str, Any] = {}
    for kind in ("IntegerParameterRanges", "ContinuousParameterRanges",
                 "CategoricalParameterRanges"):
        for r in ranges.get(kind) or []:
            space[r["Name"]] = _domain(kind, r)
    return space


def _grid_size(space: dict[str, Any]) -> int:
    return math.prod(len(d["values"]) for d in space.values())


def spec_data(
    request: dict[str, Any],
    definition: dict[str, Any],
    code_dir: Path | None = None,
    inputs: dict[str, str] | None = None,
) -> dict[str, Any]:
    config = request["HyperParameterTuningJobConfig"]
    objective = config.get("HyperParameterTuningJobObjective") or definition["TuningObjective"]
    ranges = config.get("ParameterRanges") or definition.get("HyperParameterRanges") or {}
    algorithm = definition["AlgorithmSpecification"]
    statics = {k: unquote(v) for k, v in (definition.get("StaticHyperParameters") or {}).items()}
    limits_in = config["ResourceLimits"]
    space = _search_space(ranges)

    strategy: dict[str, Any] = {"algorithm": STRATEGIES[config["Strategy"]]}
    if "RandomSeed" in config:
        strategy["seed"] = config["RandomSeed"]
    trial: dict[str, Any] = {
        "command": ["python", statics.get("sagemaker_program", "train.py")],
        "args": {k: v for k, v in statics.items() if not is_platform_key(k)},
        "env": dict(definition.get("Environment") or {}),
        "contract": "sagemaker",
        "inputs": dict(inputs or {}),
    }
    if code_dir is not None:
        trial["code"] = str(code_dir)
    if config["Strategy"] == "Hyperband":
        low, high, name = hyperband_bounds(config, definition.get("StaticHyperParameters") or {})
        # The script keeps its static epochs; the searcher's rungs stop it early, as
        # SageMaker's Hyperband stops training jobs.
        trial["resource"] = {"name": name, "min": low, "max": high}

    max_trials = limits_in.get("MaxNumberOfTrainingJobs")
    if config["Strategy"] == "Grid":
        size = _grid_size(space)
        max_trials = min(max_trials, size) if max_trials else size
    limits: dict[str, Any] = {
        "max_trials": max_trials,
        "max_parallel": min(limits_in["MaxParallelTrainingJobs"], max_trials or 1),
    }
    if "MaxRuntimeInSeconds" in limits_in:
        limits["max_duration"] = limits_in["MaxRuntimeInSeconds"]
    stopping = definition.get("StoppingCondition") or {}
    if "MaxRuntimeInSeconds" in stopping:
        limits["trial_timeout"] = stopping["MaxRuntimeInSeconds"]
    criteria = config.get("TuningJobCompletionCriteria") or {}
    if "TargetObjectiveMetricValue" in criteria:
        limits["target_value"] = criteria["TargetObjectiveMetricValue"]
    not_improving = (criteria.get("BestObjectiveNotImproving") or {}).get(
        "MaxNumberOfTrainingJobsNotImproving"
    )
    if not_improving is not None:
        limits["max_trials_without_improvement"] = not_improving

    data: dict[str, Any] = {
        "name": request["HyperParameterTuningJobName"],
        "objective": {"metric": objective["MetricName"], "goal": objective["Type"].lower()},
        "metrics": [
            {"name": m["Name"], "regex": m["Regex"]}
            for m in algorithm.get("MetricDefinitions") or []
        ],
        "search_space": space,
        "strategy": strategy,
        "limits": limits,
        "trial": trial,
    }
    if config.get("TrainingJobEarlyStoppingType") == "Auto":
        data["early_stopping"] = dict(AUTO_EARLY_STOPPING)
    return data


def build_spec(
    request: dict[str, Any],
    definition: dict[str, Any],
    code_dir: Path | None = None,
    inputs: dict[str, str] | None = None,
) -> TuningSpec:
    """The spec to run (raises hpo_bridge's SpecError, one line per problem)."""
    data = spec_data(request, definition, code_dir, inputs)
    return validate_spec(data, base_dir=code_dir)
