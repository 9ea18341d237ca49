"""SageMaker's rules for CreateHyperParameterTuningJob that its service model cannot express.

The model (checked in aws/validation.py) knows shapes, enums, maxima and patterns; the
service also checks how members relate: ranges in order, log scales on positive ranges,
the objective among the metric definitions, Grid only over categorical ranges, Hyperband
without the Auto early stopping, resource quotas. The emulator also names the request
features it cannot run (built-in algorithms, Autotune, several training job definitions).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

HYPERBAND_EPOCH_KEYS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")
SCRIPT_MODE_KEYS = ("sagemaker_program", "sagemaker_submit_directory")


@dataclass(frozen=True)
class Quotas:
    """Account quotas the emulator enforces with ResourceLimitExceeded (AWS defaults)."""

    concurrent_tuning_jobs: int = 100
    training_jobs_per_tuning_job: int = 750
    parallel_training_jobs: int = 100


MAX_SEARCHED = 30  # SageMaker's fixed limit on tuned hyperparameters, across range types


def _number(text: Any, integer: bool) -> float | None:
    try:
        value = int(str(text)) if integer else float(str(text))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _range_problems(ranges: dict[str, Any]) -> Iterator[str]:
    seen: set[str] = set()
    for kind, integer in (("IntegerParameterRanges", True), ("ContinuousParameterRanges", False)):
        for i, r in enumerate(ranges.get(kind) or [], start=1):
            where = f"{kind}[{i}] ({r.get('Name')})"
            low = _number(r.get("MinValue"), integer)
            high = _number(r.get("MaxValue"), integer)
            word = "an integer" if integer else "a number"
            if low is None or high is None:
                yield f"{where}: MinValue and MaxValue must each be {word}"
                continue
            if low > high:
                yield f"{where}: MinValue {r['MinValue']} is greater than MaxValue {r['MaxValue']}"
            scaling = r.get("ScalingType", "Auto")
            if scaling == "Logarithmic" and low <= 0:
                yield f"{where}: Logarithmic scaling needs MinValue greater than 0"
            if scaling == "ReverseLogarithmic":
                if integer:
                    yield f"{where}: ReverseLogarithmic scaling applies to continuous ranges only"
                elif not (low >= 0 and high < 1):
                    yield f"{where}: ReverseLogarithmic scaling needs 0 <= MinValue <= MaxValue < 1"
    for kind in ("IntegerParameterRanges", "ContinuousParameterRanges",
                 "CategoricalParameterRanges"):
        for r in ranges.get(kind) or []:
            name = r.get("Name")
            if name in seen:
                yield f"Hyperparameter {name} is defined by more than one range"
            seen.add(name)
    for i, r in enumerate(ranges.get("CategoricalParameterRanges") or [], start=1):
        values = r.get("Values") or []
        if len(set(values)) != len(values):
            yield f"CategoricalParameterRanges[{i}] ({r.get('Name')}): Values must be distinct"


def range_names(ranges: dict[str, Any]) -> list[str]:
    return [
        r.get("Name")
        for kind in ("IntegerParameterRanges", "ContinuousParameterRanges",
                     "CategoricalParameterRanges")
        for r in ranges.get(kind) or []
    ]


def create_problems(request: dict[str, Any]) -> list[str]:
    """Every ValidationException-worthy problem of a (model-valid) create request."""
    return list(_create_problems(request))


def _create_problems(request: dict[str, Any]) -> Iterator[str]:
    config = request["HyperParameterTuningJobConfig"]
    single = request.get("TrainingJobDefinition")
    several = request.get("TrainingJobDefinitions")
    if (single is None) == (several is None):
        yield "Provide exactly one of TrainingJobDefinition and TrainingJobDefinitions"
        return
    if several is not None and len(several) > 1:
        yield ("The emulator runs one training job definition per tuning job"
               f" ({len(several)} given in TrainingJobDefinitions)")
        return
    definition = single if single is not None else (several or [{}])[0]
    if request.get("Autotune"):
        yield "The emulator does not support Autotune: give the tuning job configuration"
    strategy = config["Strategy"]
    objective = config.get("HyperParameterTuningJobObjective") or definition.get("TuningObjective")
    ranges = config.get("ParameterRanges") or definition.get("HyperParameterRanges") or {}
    algorithm = definition["AlgorithmSpecification"]
    statics = definition.get("StaticHyperParameters") or {}
    limits = config["ResourceLimits"]

    if objective is None:
        yield "HyperParameterTuningJobObjective is required"
    if algorithm.get("AlgorithmName"):
        yield ("The emulator runs script-mode training images only (TrainingImage with"
               " sagemaker_program), not AlgorithmName")
    if not algorithm.get("TrainingImage") and not algorithm.get("AlgorithmName"):
        yield "AlgorithmSpecification needs a TrainingImage"
    metric_names = [m["Name"] for m in algorithm.get("MetricDefinitions") or []]
    if objective is not None and objective["MetricName"] not in metric_names:
        yield (f"The objective metric {objective['MetricName']} is not defined in"
               " AlgorithmSpecification.MetricDefinitions")
    if len(set(metric_names)) != len(metric_names):
        yield "MetricDefinitions: metric names must be distinct"
    names = range_names(ranges)
    if not names:
        yield "ParameterRanges: give at least one range to tune"
    if len(names) > MAX_SEARCHED:
        yield f"At most {MAX_SEARCHED} hyperparameters can be tuned ({len(names)} given)"
    yield from _range_problems(ranges)
    for name in names:
        if name in statics:
            yield f"Hyperparameter {name} is both tuned (ParameterRanges) and static"

    if strategy == "Grid":
        for kind in ("IntegerParameterRanges", "ContinuousParameterRanges"):
            if ranges.get(kind):
                yield f"Grid search supports CategoricalParameterRanges only (got {kind})"
    elif "MaxNumberOfTrainingJobs" not in limits:
        yield f"ResourceLimits.MaxNumberOfTrainingJobs is required for strategy {strategy}"
    hyperband = (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig")
    if hyperband is not None and strategy != "Hyperband":
        yield "StrategyConfig.HyperbandStrategyConfig applies to strategy Hyperband only"
    if strategy == "Hyperband":
        if config.get("TrainingJobEarlyStoppingType", "Off") != "Off":
            yield ("Hyperband stops training jobs itself: TrainingJobEarlyStoppingType"
                   " must be Off")
        cfg = hyperband or {}
        low = cfg.get("MinResource", 1)
        high = cfg.get("MaxResource") or _epochs(statics)
        if high is None:
            yield ("Hyperband needs HyperbandStrategyConfig.MaxResource (or an epochs"
                   f" static hyperparameter: {', '.join(HYPERBAND_EPOCH_KEYS)})")
        elif low > high:
            yield f"HyperbandStrategyConfig: MinResource {low} exceeds MaxResource {high}"
    maximum = limits.get("MaxNumberOfTrainingJobs")
    if maximum is not None and limits["MaxParallelTrainingJobs"] > maximum:
        yield (f"MaxParallelTrainingJobs {limits['MaxParallelTrainingJobs']} exceeds"
               f" MaxNumberOfTrainingJobs {maximum}")


def quota_problems(request: dict[str, Any], quotas: Quotas, running_tuning_jobs: int,
                   inherited: int = 0) -> list[str]:
    """Quotas; `inherited`: the warm start parents' training jobs, which count against the
    training jobs per tuning job (WarmStartConfig's documentation)."""
    config = request["HyperParameterTuningJobConfig"]
    limits = config["ResourceLimits"]
    problems = []
    if running_tuning_jobs >= quotas.concurrent_tuning_jobs:
        problems.append(
            "The account-level service limit 'Number of concurrent hyperparameter tuning"
            f" jobs' is {quotas.concurrent_tuning_jobs} jobs, with current utilization of"
            f" {running_tuning_jobs} jobs"
        )
    total = (limits.get("MaxNumberOfTrainingJobs") or 0) + inherited
    if total > quotas.training_jobs_per_tuning_job:
        parents = f" (with {inherited} of the parent tuning jobs)" if inherited else ""
        problems.append(
            "The account-level service limit 'Number of training jobs per hyperparameter"
            f" tuning job' is {quotas.training_jobs_per_tuning_job}; requested {total}"
            + parents
        )
    if limits["MaxParallelTrainingJobs"] > quotas.parallel_training_jobs:
        problems.append(
            "The account-level service limit 'Number of concurrent training jobs per"
            f" hyperparameter tuning job' is {quotas.parallel_training_jobs}; requested"
            f" {limits['MaxParallelTrainingJobs']}"
        )
    return problems


def _epochs(statics: dict[str, str]) -> int | None:
    for key in HYPERBAND_EPOCH_KEYS:
        if key in statics:
            value = _number(statics[key].strip('"'), integer=True)
            if value is not None and value >= 1:
                return int(value)
    return None


def hyperband_bounds(config: dict[str, Any], statics: dict[str, str]) -> tuple[int, int, str]:
    """(MinResource, MaxResource, name of the epochs hyperparameter) of a Hyperband job."""
    cfg = (config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig") or {}
    name = next((k for k in HYPERBAND_EPOCH_KEYS if k in statics), "epochs")
    high = cfg.get("MaxResource") or _epochs(statics) or 1
    return cfg.get("MinResource", 1), high, name


def training_problems(request: dict[str, Any]) -> list[str]:
    """CreateTrainingJob's problems beyond its model (and what the emulator cannot run)."""
    problems = []
    algorithm = request.get("AlgorithmSpecification")
    if not algorithm:
        problems.append("AlgorithmSpecification is required")
    else:
        if algorithm.get("AlgorithmName"):
            problems.append("The emulator runs script-mode training images only"
                            " (TrainingImage with sagemaker_program), not AlgorithmName")
        elif not algorithm.get("TrainingImage"):
            problems.append("AlgorithmSpecification needs a TrainingImage")
        names = [m["Name"] for m in algorithm.get("MetricDefinitions") or []]
        if len(set(names)) != len(names):
            problems.append("MetricDefinitions: metric names must be distinct")
    if not request.get("ResourceConfig"):
        problems.append("ResourceConfig is required for a training job")
    return problems


def warm_start_problems(request: dict[str, Any], parents: list[Any]) -> list[str]:
    """WarmStartConfig's documented rules, checked against the parent tuning jobs:
    the same objective metric, the same number of static plus tuned hyperparameters, and
    for IdenticalDataAndAlgorithm the same training image and input data."""
    problems = []
    config = request["HyperParameterTuningJobConfig"]
    definition = request.get("TrainingJobDefinition") or request["TrainingJobDefinitions"][0]
    objective = config.get("HyperParameterTuningJobObjective") or definition.get(
        "TuningObjective") or {}
    ranges = config.get("ParameterRanges") or definition.get("HyperParameterRanges") or {}
    count = len(set(range_names(ranges)) | set(definition.get("StaticHyperParameters") or {}))
    identical = request["WarmStartConfig"]["WarmStartType"] == "IdenticalDataAndAlgorithm"
    for parent in parents:
        p_definition = parent.definition
        p_ranges = parent.config.get("ParameterRanges") or p_definition.get(
            "HyperParameterRanges") or {}
        p_count = len(set(range_names(p_ranges))
                      | set(p_definition.get("StaticHyperParameters") or {}))
        if parent.objective_metric != objective.get("MetricName"):
            problems.append(f"The objective metric must be the same as the parent tuning job"
                            f" {parent.name}'s ({parent.objective_metric})")
        if p_count != count:
            problems.append(f"The number of static plus tunable hyperparameters ({count}) must"
                            f" be the same as in the parent tuning job {parent.name}"
                            f" ({p_count})")
        if identical:
            image = (definition.get("AlgorithmSpecification") or {}).get("TrainingImage")
            p_image = (p_definition.get("AlgorithmSpecification") or {}).get("TrainingImage")
            if image != p_image:
                problems.append("IdenticalDataAndAlgorithm needs the training image of the"
                                f" parent tuning job {parent.name} ({p_image})")
            if (definition.get("InputDataConfig") or []) != (
                    p_definition.get("InputDataConfig") or []):
                problems.append("IdenticalDataAndAlgorithm needs the input data of the parent"
                                f" tuning job {parent.name}")
    return problems
