"""A CreateHyperParameterTuningJob request or DescribeHyperParameterTuningJob response ->
a unified spec (as a dict)."""

from __future__ import annotations

import json
from typing import Any

from hpo_bridge.backends import BackendError
from hpo_bridge.spec import format_duration
from hpo_bridge_sagemaker.translate import ARCHIVE_NAME, DEFAULT_MAX_RUNTIME

SCALES = {"Linear": "linear", "Logarithmic": "log", "ReverseLogarithmic": "reverse_log"}
SCRIPT_KEYS = ("sagemaker_program", "sagemaker_submit_directory",
               "sagemaker_container_log_level", "sagemaker_region", "sagemaker_job_name")
RESOURCE_KEYS = ("epochs", "numepochs", "n-epochs", "n_epochs", "num_epochs")


def parse_value(text: str) -> Any:
    """A hyperparameter string back to a value: JSON numbers, booleans and strings (script
    mode's encoding); anything else stays the string it is."""
    try:
        value = json.loads(text)
    except (ValueError, TypeError):
        return text
    if isinstance(value, str | bool | int | float):
        return value
    return text


def _number(text: str, as_int: bool) -> int | float:
    value = float(text)
    return int(value) if as_int else value


def _range(entry: dict[str, Any], kind: str) -> dict[str, Any]:
    if kind == "Categorical":
        return {"type": "categorical", "values": [parse_value(v) for v in entry["Values"]]}
    as_int = kind == "Integer"
    domain: dict[str, Any] = {
        "type": "int" if as_int else "float",
        "low": _number(entry["MinValue"], as_int),
        "high": _number(entry["MaxValue"], as_int),
    }
    scale = SCALES.get(entry.get("ScalingType", "Auto"))
    if scale is not None:  # Auto (or absent) stays unset: SageMaker chooses
        domain["scale"] = scale
    return domain


def _code_location(uri: str) -> tuple[str, str]:
    """(bucket, prefix) of s3://bucket/prefix/<job>/source/sourcedir.tar.gz."""
    bucket, _, key = uri[len("s3://"):].partition("/")
    parts = key.split("/")
    if parts[-2:] == ["source", ARCHIVE_NAME] and len(parts) >= 3:
        parts = parts[:-3]
    return bucket, "/".join(parts)


class Importer:
    def __init__(self, data: dict[str, Any]):
        if not isinstance(data, dict):
            raise BackendError("sagemaker: a tuning job is a JSON object")
        self.data = data
        if "TrainingJobDefinitions" in data and "TrainingJobDefinition" not in data:
            raise BackendError(
                "sagemaker: TrainingJobDefinitions (several algorithms in one tuning job)"
                " cannot be imported; hpo-bridge specs run one training definition"
            )
        for key in ("HyperParameterTuningJobConfig", "TrainingJobDefinition"):
            if key not in data:
                raise BackendError(
                    f"sagemaker: {key} is missing: give a CreateHyperParameterTuningJob"
                    " request or a DescribeHyperParameterTuningJob response"
                )
        self.config: dict[str, Any] = data["HyperParameterTuningJobConfig"]
        self.definition: dict[str, Any] = data["TrainingJobDefinition"]
        self.static = dict(self.definition.get("StaticHyperParameters") or {})

    def spec(self) -> dict[str, Any]:
        name = self.data.get("HyperParameterTuningJobName", "imported")
        spec: dict[str, Any] = {
            "name": name,
            "description": f"imported from SageMaker tuning job {name}",
        }
        objective = (self.config.get("HyperParameterTuningJobObjective")
                     or self.definition.get("TuningObjective"))
        if objective:
            spec["objective"] = {"metric": objective["MetricName"],
                                 "goal": objective["Type"].lower()}
        algorithm = self.definition.get("AlgorithmSpecification", {})
        metrics = algorithm.get("MetricDefinitions") or []
        if metrics:
            spec["metrics"] = [{"name": m["Name"], "regex": m["Regex"]} for m in metrics]
        spec["search_space"] = self._search_space()
        spec["strategy"] = self._strategy()
        if self.config.get("TrainingJobEarlyStoppingType") == "Auto":
            spec["early_stopping"] = {"policy": "auto"}
        spec["limits"] = self._limits()
        spec["trial"] = self._trial()
        warm = self.data.get("WarmStartConfig")
        if warm:
            spec["warm_start"] = {
                "from": [p["HyperParameterTuningJobName"]
                         for p in warm["ParentHyperParameterTuningJobs"]],
                "type": "transfer" if warm["WarmStartType"] == "TransferLearning"
                else "identical",
            }
        spec["backends"] = {"sagemaker": self._settings(algorithm)}
        return spec

    def _search_space(self) -> dict[str, Any]:
        ranges = self.config.get("ParameterRanges") or self.definition.get(
            "HyperParameterRanges") or {}
        if ranges.get("AutoParameters"):
            raise BackendError("sagemaker: AutoParameters (Autotune) cannot be imported;"
                               " give explicit ranges")
        space: dict[str, Any] = {}
        for kind in ("Integer", "Continuous", "Categorical"):
            for entry in ranges.get(f"{kind}ParameterRanges") or []:
                space[entry["Name"]] = _range(entry, kind)
        return space

    def _strategy(self) -> dict[str, Any]:
        strategy: dict[str, Any] = {"algorithm": self.config["Strategy"].lower()}
        if "RandomSeed" in self.config:
            strategy["seed"] = self.config["RandomSeed"]
        if strategy["algorithm"] == "hyperband":
            hb = (self.config.get("StrategyConfig") or {}).get("HyperbandStrategyConfig") or {}
            low, high = hb.get("MinResource"), hb.get("MaxResource")
            if high is None:  # SageMaker infers it from an epochs-like static hyperparameter
                found = [self.static[k] for k in RESOURCE_KEYS if k in self.static]
                high = int(parse_value(found[0])) if found else None
            if high is not None:
                strategy["min_resource"] = low or 1
                strategy["max_resource"] = high
        return strategy

    def _limits(self) -> dict[str, Any]:
        res = self.config.get("ResourceLimits", {})
        limits: dict[str, Any] = {}
        if "MaxNumberOfTrainingJobs" in res and self.config["Strategy"] != "Grid":
            limits["max_trials"] = res["MaxNumberOfTrainingJobs"]
        limits["max_parallel"] = res.get("MaxParallelTrainingJobs", 1)
        if "MaxRuntimeInSeconds" in res:
            limits["max_duration"] = format_duration(res["MaxRuntimeInSeconds"])
        runtime = self.definition.get("StoppingCondition", {}).get("MaxRuntimeInSeconds")
        if runtime is not None and runtime != DEFAULT_MAX_RUNTIME:
            limits["trial_timeout"] = format_duration(runtime)
        criteria = self.config.get("TuningJobCompletionCriteria") or {}
        if "TargetObjectiveMetricValue" in criteria:
            limits["target_value"] = criteria["TargetObjectiveMetricValue"]
        not_improving = criteria.get("BestObjectiveNotImproving") or {}
        if "MaxNumberOfTrainingJobsNotImproving" in not_improving:
            limits["max_trials_without_improvement"] = not_improving[
                "MaxNumberOfTrainingJobsNotImproving"]
        return limits

    def _trial(self) -> dict[str, Any]:
        trial: dict[str, Any] = {}
        args = {k: parse_value(v) for k, v in self.static.items() if k not in SCRIPT_KEYS}
        if "sagemaker_program" in self.static:
            trial["command"] = ["python", parse_value(self.static["sagemaker_program"])]
            trial["contract"] = "sagemaker"
        if args:
            trial["args"] = args
        if self.definition.get("Environment"):
            trial["env"] = dict(self.definition["Environment"])
        return trial

    def _settings(self, algorithm: dict[str, Any]) -> dict[str, Any]:
        d = self.definition
        settings: dict[str, Any] = {}
        if d.get("RoleArn"):
            settings["role_arn"] = d["RoleArn"]
        if algorithm.get("TrainingImage"):
            settings["image_uri"] = algorithm["TrainingImage"]
        if algorithm.get("TrainingInputMode", "File") != "File":
            settings["input_mode"] = algorithm["TrainingInputMode"]
        resources = d.get("ResourceConfig") or {}
        for key, name in (("InstanceType", "instance_type"), ("InstanceCount", "instance_count"),
                          ("VolumeSizeInGB", "volume_size_gb")):
            if key in resources:
                settings[name] = resources[key]
        output = (d.get("OutputDataConfig") or {}).get("S3OutputPath")
        if output:
            settings["output_path"] = output
        channels = {}
        for channel in d.get("InputDataConfig") or []:
            source = channel.get("DataSource", {}).get("S3DataSource")
            if source:
                channels[channel["ChannelName"]] = source["S3Uri"]
        if channels:
            settings["channels"] = channels
        if d.get("EnableManagedSpotTraining"):
            settings["use_spot"] = True
            wait = d.get("StoppingCondition", {}).get("MaxWaitTimeInSeconds")
            if wait is not None:
                settings["max_wait"] = format_duration(wait)
        if d.get("CheckpointConfig"):
            settings["checkpoint_s3_uri"] = d["CheckpointConfig"]["S3Uri"]
        if "sagemaker_region" in self.static:
            settings["region"] = parse_value(self.static["sagemaker_region"])
        if "sagemaker_submit_directory" in self.static:
            uri = str(parse_value(self.static["sagemaker_submit_directory"]))
            if uri.startswith("s3://"):
                bucket, prefix = _code_location(uri)
                settings["code_bucket"] = bucket
                if prefix:
                    settings["code_prefix"] = prefix
        tags = self.data.get("Tags")
        if tags:
            settings["tags"] = {t["Key"]: t["Value"] for t in tags}
        return settings


def import_job(data: dict[str, Any]) -> dict[str, Any]:
    return Importer(data).spec()
