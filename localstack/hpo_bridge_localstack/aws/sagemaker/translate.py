"""A CreateHyperParameterTuningJob request as an hpo-bridge TuningSpec, to run it locally.

This is the emulator's own reading of the documented API (it shares no code with the
SageMaker plugin, whose translation goes the other way and is what the emulator tests):
- ranges: Integer -> int, Continuous -> float, Categorical -> categorical of strings;
  ScalingType Linear/Logarithmic/ReverseLogarithmic -> linear/log/reverse_log, Auto ->
  linear; a range with MinValue == MaxValue is a one-value categorical;
- Strategy Random/Bayesian/Grid/Hyperband -> the core's searchers of those names; RandomSeed
  -> strategy.seed; Hyperband's MinResource/MaxResource -> trial.resource (epochs);
- TrainingJobEarlyStoppingType Auto -> the core's `previous_median` rule, SageMaker's
  documented one: after each epoch a job stops when its objective is worse than the
  median of the running averages of the *previous* training jobs at that epoch;
- ResourceLimits and TuningJobCompletionCriteria -> limits; StoppingCondition.MaxRuntime
  -> limits.trial_timeout; limits.max_failed is the job count, so the core never ends the
  run for failures: SageMaker's own rule is the host's (runner.py);
- script mode: `python <sagemaker_program>` in the extracted code folder, under the
  `sagemaker` contract, given every static hyperparameter as SageMaker holds it (and
  `_tuning_objective_metric`, which SageMaker adds): the contract hands them to the script
  as the training toolkit does, leaving SageMaker's own names out.
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
AUTO_EARLY_STOPPING = {"policy": "previous_median", "evaluation_interval": 1}
TUNING_METRIC = "_tuning_objective_metric"


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
    statics = dict(definition.get("StaticHyperParameters") or {})
    statics[TUNING_METRIC] = objective["MetricName"]
    limits_in = config["ResourceLimits"]
    space = _search_space(ranges)

    strategy: dict[str, Any] = {"algorithm": STRATEGIES[config["Strategy"]]}
    if "RandomSeed" in config:
        strategy["seed"] = config["RandomSeed"]
    trial: dict[str, Any] = {
        "command": ["python", unquote(statics.get("sagemaker_program", "train.py"))],
        "args": statics,
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
        "max_failed": max_trials,
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


# A never-matching MetricDefinitions-style regex (one capture group): the objective of a
# single training job's spec when the job defines no metric (nothing tunes it).
NO_METRIC = {"name": "sagemaker:none", "regex": "(?!)(.)"}


def training_spec_data(name: str, definition: dict[str, Any], code_dir: Path | None = None,
                       inputs: dict[str, str] | None = None) -> dict[str, Any]:
    """A single training job (CreateTrainingJob) as a one-trial spec: its hyperparameters
    are the trial's arguments, as SageMaker holds them. The search space and the objective
    are formalities the spec requires: the job's runner starts the one trial itself and
    never judges it by its objective."""
    hyperparameters = dict(definition.get("HyperParameters") or {})
    algorithm = definition.get("AlgorithmSpecification") or {}
    metrics = [{"name": m["Name"], "regex": m["Regex"]}
               for m in algorithm.get("MetricDefinitions") or []] or [dict(NO_METRIC)]
    program = unquote(hyperparameters.get("sagemaker_program", "train.py"))
    trial: dict[str, Any] = {
        "command": ["python", program],
        "args": hyperparameters,
        "env": dict(definition.get("Environment") or {}),
        "contract": "sagemaker",
        "inputs": dict(inputs or {}),
    }
    if code_dir is not None:
        trial["code"] = str(code_dir)
    return {
        "name": name,
        "objective": {"metric": metrics[0]["name"], "goal": "maximize"},
        "metrics": metrics,
        "search_space": {"sagemaker_program": {"type": "categorical", "values": [program]}},
        "limits": {"max_trials": 1},
        "trial": trial,
    }


def build_training_spec(name: str, definition: dict[str, Any], code_dir: Path | None = None,
                        inputs: dict[str, str] | None = None) -> TuningSpec:
    return validate_spec(training_spec_data(name, definition, code_dir, inputs),
                         base_dir=code_dir)
