"""One tuning job's state, rendered in the service's output shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hpo_bridge_localstack.aws.protocol import drop_none, epoch
from hpo_bridge_localstack.aws.sagemaker.jobs import ACTIVE, COMPLETED, IN_PROGRESS, STOPPED
from hpo_bridge_localstack.aws.sagemaker.training_job import TrainingJob

TUNING_METRIC = "_tuning_objective_metric"  # the static hyperparameter SageMaker adds
# HyperParameterTrainingJobDefinition members a training job keeps as they are.
TRAINING_KEYS = ("RoleArn", "InputDataConfig", "OutputDataConfig", "VpcConfig",
                 "StoppingCondition", "EnableNetworkIsolation",
                 "EnableInterContainerTrafficEncryption", "EnableManagedSpotTraining",
                 "CheckpointConfig", "RetryStrategy", "Environment")
RESOURCE_KEYS = ("InstanceType", "InstanceCount", "VolumeSizeInGB", "VolumeKmsKeyId")


def resource_config(definition: dict[str, Any]) -> dict[str, Any] | None:
    """The ResourceConfig a training job runs with: the definition's own, or one instance
    configuration of HyperParameterTuningResourceConfig (what the SageMaker SDK sends)."""
    if definition.get("ResourceConfig"):
        return dict(definition["ResourceConfig"])
    tuning = definition.get("HyperParameterTuningResourceConfig")
    if not tuning:
        return None
    source = (tuning.get("InstanceConfigs") or [tuning])[0]
    config = {k: source[k] for k in RESOURCE_KEYS if k in source}
    if "VolumeKmsKeyId" in tuning:
        config.setdefault("VolumeKmsKeyId", tuning["VolumeKmsKeyId"])
    return config


@dataclass
class TuningJob:
    name: str
    arn: str
    region: str
    account: str
    access_key: str
    request: dict[str, Any]
    created: float
    status: str = IN_PROGRESS
    ended: float | None = None
    modified: float | None = None
    failure_reason: str | None = None
    training_jobs: list[TrainingJob] = field(default_factory=list)
    not_improving: int = 0
    # Warm start: the parents' training jobs, known at creation (OverallBestTrainingJob).
    parent_jobs: list[TrainingJob] = field(default_factory=list)

    @property
    def tags(self) -> list[dict[str, str]]:
        """The request's Tags (SageMaker gives them to every training job it launches)."""
        return list(self.request.get("Tags") or [])

    def __post_init__(self) -> None:
        self.modified = self.created

    @property
    def config(self) -> dict[str, Any]:
        return self.request["HyperParameterTuningJobConfig"]

    @property
    def definition(self) -> dict[str, Any]:
        """The training job definition (the first one when given as a list)."""
        if self.request.get("TrainingJobDefinition"):
            return self.request["TrainingJobDefinition"]
        return self.request["TrainingJobDefinitions"][0]

    @property
    def objective(self) -> dict[str, Any]:
        return self.config.get("HyperParameterTuningJobObjective") or self.definition.get(
            "TuningObjective", {}
        )

    @property
    def objective_metric(self) -> str:
        return self.objective.get("MetricName", "")

    @property
    def maximize(self) -> bool:
        return self.objective.get("Type") == "Maximize"

    def static_hyperparameters(self) -> dict[str, str]:
        """The definition's static hyperparameters and the one SageMaker adds."""
        statics = dict(self.definition.get("StaticHyperParameters") or {})
        statics[TUNING_METRIC] = self.objective_metric
        return statics

    def training_definition(self, tuned: dict[str, str]) -> dict[str, Any]:
        """A training job's parameters (CreateTrainingJob's shape) for tuned values."""
        d = self.definition
        training: dict[str, Any] = {k: d[k] for k in TRAINING_KEYS if k in d}
        training["AlgorithmSpecification"] = dict(d.get("AlgorithmSpecification") or {})
        resources = resource_config(d)
        if resources is not None:
            training["ResourceConfig"] = resources
        hyperparameters = self.static_hyperparameters()
        hyperparameters.update(tuned)
        training["HyperParameters"] = hyperparameters
        return training

    # -- aggregates ----------------------------------------------------------------------
    def status_counters(self) -> dict[str, int]:
        counts = {"Completed": 0, "InProgress": 0, "RetryableError": 0,
                  "NonRetryableError": 0, "Stopped": 0}
        for job in self.training_jobs:
            if job.status in ACTIVE:
                counts["InProgress"] += 1
            elif job.status == COMPLETED:
                counts["Completed"] += 1
            elif job.status == STOPPED:
                counts["Stopped"] += 1
            else:
                counts["NonRetryableError"] += 1
        return counts

    def objective_counters(self) -> dict[str, int]:
        counts = {"Succeeded": 0, "Pending": 0, "Failed": 0}
        for job in self.training_jobs:
            counts[job.objective_status] += 1
        return counts

    def best(self, jobs: list[TrainingJob] | None = None) -> TrainingJob | None:
        """The best scored job (ties: the earliest) of `jobs` (default: this job's own)."""
        scored = [j for j in (self.training_jobs if jobs is None else jobs)
                  if j.objective_status == "Succeeded" and j.objective is not None]
        if not scored:
            return None
        sign = -1.0 if self.maximize else 1.0
        return min(scored, key=lambda j: (sign * (j.objective or 0.0), j.created, j.index))

    def summary(self) -> dict[str, Any]:
        """HyperParameterTuningJobSummary (ListHyperParameterTuningJobs)."""
        return drop_none(
            {
                "HyperParameterTuningJobName": self.name,
                "HyperParameterTuningJobArn": self.arn,
                "HyperParameterTuningJobStatus": self.status,
                "Strategy": self.config["Strategy"],
                "CreationTime": epoch(self.created),
                "HyperParameterTuningEndTime": epoch(self.ended),
                "LastModifiedTime": epoch(self.modified),
                "TrainingJobStatusCounters": self.status_counters(),
                "ObjectiveStatusCounters": self.objective_counters(),
                "ResourceLimits": self.config.get("ResourceLimits"),
            }
        )

    def _definitions(self) -> dict[str, Any]:
        """The definition(s) as DescribeHyperParameterTuningJob shows them: with the static
        hyperparameter SageMaker adds, and the ResourceConfig its training jobs run with
        (the SageMaker SDK sends HyperParameterTuningResourceConfig, and reads
        ResourceConfig back in HyperparameterTuner.attach)."""
        out: dict[str, Any] = {}
        if self.request.get("TrainingJobDefinition"):
            out["TrainingJobDefinition"] = self._shown(self.request["TrainingJobDefinition"])
        if self.request.get("TrainingJobDefinitions"):
            out["TrainingJobDefinitions"] = [
                self._shown(d) for d in self.request["TrainingJobDefinitions"]]
        return out

    def _shown(self, definition: dict[str, Any]) -> dict[str, Any]:
        shown = dict(definition)
        statics = dict(definition.get("StaticHyperParameters") or {})
        statics[TUNING_METRIC] = (definition.get("TuningObjective") or self.objective).get(
            "MetricName", self.objective_metric)
        shown["StaticHyperParameters"] = statics
        resources = resource_config(definition)
        if resources is not None:
            shown["ResourceConfig"] = resources
        return shown

    def describe(self, now: float) -> dict[str, Any]:
        best = self.best()
        end = self.ended if self.ended is not None else now
        overall = None
        warm = self.request.get("WarmStartConfig") or {}
        if warm.get("WarmStartType") == "IdenticalDataAndAlgorithm":
            # The best of this job's and all its parents' training jobs (the member's
            # documentation: for IdenticalDataAndAlgorithm only).
            overall = self.best(self.training_jobs + self.parent_jobs)
        return drop_none(
            {
                "HyperParameterTuningJobName": self.name,
                "HyperParameterTuningJobArn": self.arn,
                "HyperParameterTuningJobConfig": self.config,
                **self._definitions(),
                "HyperParameterTuningJobStatus": self.status,
                "CreationTime": epoch(self.created),
                "HyperParameterTuningEndTime": epoch(self.ended),
                "LastModifiedTime": epoch(self.modified),
                "TrainingJobStatusCounters": self.status_counters(),
                "ObjectiveStatusCounters": self.objective_counters(),
                "BestTrainingJob": best.summary() if best else None,
                "OverallBestTrainingJob": overall.summary() if overall else None,
                "WarmStartConfig": self.request.get("WarmStartConfig"),
                "Autotune": self.request.get("Autotune"),
                "FailureReason": self.failure_reason,
                "TuningJobCompletionDetails": {
                    "NumberOfTrainingJobsObjectiveNotImproving": self.not_improving
                },
                "ConsumedResources": {"RuntimeInSeconds": max(0, round(end - self.created))},
            }
        )
