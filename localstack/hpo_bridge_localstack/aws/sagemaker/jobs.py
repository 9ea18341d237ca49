"""The state of emulated tuning and training jobs, rendered in the service's output shapes."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from hpo_bridge_localstack.aws.protocol import drop_none, epoch

# SageMaker's statuses (botocore model: TrainingJobStatus, HyperParameterTuningJobStatus).
IN_PROGRESS, COMPLETED, FAILED, STOPPING, STOPPED = (
    "InProgress",
    "Completed",
    "Failed",
    "Stopping",
    "Stopped",
)
ACTIVE = (IN_PROGRESS, STOPPING)


def tuning_job_arn(region: str, account: str, name: str) -> str:
    # SageMaker lower-cases resource names in ARNs.
    return f"arn:aws:sagemaker:{region}:{account}:hyper-parameter-tuning-job/{name.lower()}"


def training_job_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:sagemaker:{region}:{account}:training-job/{name.lower()}"


def training_job_name(tuning_job: str, index: int) -> str:
    """`<tuning job>-<3-digit index>-<8 hex>`, as SageMaker names a tuning job's trials."""
    return f"{tuning_job}-{index:03d}-{secrets.token_hex(4)}"


@dataclass
class TrainingJob:
    name: str
    arn: str
    index: int
    tuning_job: TuningJob
    tuned: dict[str, str]
    created: float
    trial_id: int | None = None
    status: str = IN_PROGRESS
    secondary: str = "Starting"
    started: float | None = None
    ended: float | None = None
    modified: float | None = None
    failure_reason: str | None = None
    # metric name -> (last value, time); the contract's regexes fill it from the log.
    metrics: dict[str, tuple[float, float]] = field(default_factory=dict)
    objective: float | None = None
    transitions: list[dict[str, Any]] = field(default_factory=list)
    log_stream: str | None = None
    stop_requested: bool = False

    def __post_init__(self) -> None:
        self.modified = self.created
        self.transitions.append({"Status": "Starting", "StartTime": self.created})

    # -- transitions ---------------------------------------------------------------------
    def set_secondary(self, status: str, now: float, message: str | None = None) -> None:
        if self.transitions and self.transitions[-1].get("EndTime") is None:
            self.transitions[-1]["EndTime"] = now
        entry: dict[str, Any] = {"Status": status, "StartTime": now}
        if message:
            entry["StatusMessage"] = message
        self.transitions.append(entry)
        self.secondary = status
        self.modified = now

    def mark_training(self, now: float) -> None:
        self.started = now
        self.set_secondary("Training", now)

    def mark_stopping(self, now: float) -> None:
        if self.status == IN_PROGRESS:
            self.status = STOPPING
            self.stop_requested = True
            self.set_secondary("Stopping", now)

    def finish(self, status: str, secondary: str, now: float, reason: str | None = None) -> None:
        self.status = status
        self.ended = now
        if reason:
            self.failure_reason = reason[:1024]
        self.set_secondary(secondary, now)
        self.transitions[-1]["EndTime"] = now

    # -- views ---------------------------------------------------------------------------
    @property
    def objective_status(self) -> str:
        if self.status in ACTIVE:
            return "Pending"
        if self.objective is not None and self.status in (COMPLETED, STOPPED):
            return "Succeeded"
        return "Failed"

    def final_objective(self) -> dict[str, Any] | None:
        if self.objective is None:
            return None
        return {"MetricName": self.tuning_job.objective_metric, "Value": self.objective}

    def summary(self) -> dict[str, Any]:
        """HyperParameterTrainingJobSummary."""
        return drop_none(
            {
                "TrainingJobDefinitionName": self.tuning_job.definition.get("DefinitionName"),
                "TrainingJobName": self.name,
                "TrainingJobArn": self.arn,
                "TuningJobName": self.tuning_job.name,
                "CreationTime": epoch(self.created),
                "TrainingStartTime": epoch(self.started),
                "TrainingEndTime": epoch(self.ended),
                "TrainingJobStatus": self.status,
                "TunedHyperParameters": dict(self.tuned),
                "FailureReason": self.failure_reason,
                "FinalHyperParameterTuningJobObjectiveMetric": self.final_objective(),
                "ObjectiveStatus": self.objective_status,
            }
        )

    def list_summary(self) -> dict[str, Any]:
        """TrainingJobSummary (ListTrainingJobs)."""
        return drop_none(
            {
                "TrainingJobName": self.name,
                "TrainingJobArn": self.arn,
                "CreationTime": epoch(self.created),
                "TrainingEndTime": epoch(self.ended),
                "LastModifiedTime": epoch(self.modified),
                "TrainingJobStatus": self.status,
                "SecondaryStatus": self.secondary,
            }
        )

    def hyperparameters(self) -> dict[str, str]:
        """What DescribeTrainingJob shows: static and tuned values, and the objective's name."""
        merged = dict(self.tuning_job.definition.get("StaticHyperParameters") or {})
        merged.update(self.tuned)
        merged["_tuning_objective_metric"] = self.tuning_job.objective_metric
        return merged

    def describe(self) -> dict[str, Any]:
        d = self.tuning_job.definition
        algorithm = dict(d.get("AlgorithmSpecification") or {})
        output = d.get("OutputDataConfig") or {}
        base = str(output.get("S3OutputPath", "")).rstrip("/")
        artifacts = f"{base}/{self.name}/output/model.tar.gz"
        runtime = None
        if self.started is not None and self.ended is not None:
            runtime = max(1, round(self.ended - self.started))
        return drop_none(
            {
                "TrainingJobName": self.name,
                "TrainingJobArn": self.arn,
                "TuningJobArn": self.tuning_job.arn,
                "ModelArtifacts": {"S3ModelArtifacts": artifacts},
                "TrainingJobStatus": self.status,
                "SecondaryStatus": self.secondary,
                "FailureReason": self.failure_reason,
                "HyperParameters": self.hyperparameters(),
                "AlgorithmSpecification": algorithm,
                "RoleArn": d.get("RoleArn"),
                "InputDataConfig": d.get("InputDataConfig"),
                "OutputDataConfig": output or None,
                "ResourceConfig": d.get("ResourceConfig"),
                "VpcConfig": d.get("VpcConfig"),
                "StoppingCondition": d.get("StoppingCondition") or {},
                "CreationTime": epoch(self.created),
                "TrainingStartTime": epoch(self.started),
                "TrainingEndTime": epoch(self.ended),
                "LastModifiedTime": epoch(self.modified),
                "SecondaryStatusTransitions": [
                    {k: epoch(v) if k.endswith("Time") else v for k, v in t.items()}
                    for t in self.transitions
                ],
                "FinalMetricDataList": [
                    {"MetricName": name, "Value": value, "Timestamp": epoch(ts)}
                    for name, (value, ts) in self.metrics.items()
                ],
                "EnableNetworkIsolation": d.get("EnableNetworkIsolation", False),
                "EnableInterContainerTrafficEncryption": d.get(
                    "EnableInterContainerTrafficEncryption", False
                ),
                "EnableManagedSpotTraining": d.get("EnableManagedSpotTraining", False),
                "CheckpointConfig": d.get("CheckpointConfig"),
                "TrainingTimeInSeconds": runtime,
                "BillableTimeInSeconds": runtime,
                "Environment": d.get("Environment"),
                "RetryStrategy": d.get("RetryStrategy"),
            }
        )


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

    def best(self) -> TrainingJob | None:
        scored = [j for j in self.training_jobs if j.objective_status == "Succeeded"]
        if not scored:
            return None
        key = (lambda j: (-j.objective, j.index)) if self.maximize else (
            lambda j: (j.objective, j.index)
        )
        return min(scored, key=key)

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

    def describe(self, now: float) -> dict[str, Any]:
        best = self.best()
        end = self.ended if self.ended is not None else now
        return drop_none(
            {
                "HyperParameterTuningJobName": self.name,
                "HyperParameterTuningJobArn": self.arn,
                "HyperParameterTuningJobConfig": self.config,
                "TrainingJobDefinition": self.request.get("TrainingJobDefinition"),
                "TrainingJobDefinitions": self.request.get("TrainingJobDefinitions"),
                "HyperParameterTuningJobStatus": self.status,
                "CreationTime": epoch(self.created),
                "HyperParameterTuningEndTime": epoch(self.ended),
                "LastModifiedTime": epoch(self.modified),
                "TrainingJobStatusCounters": self.status_counters(),
                "ObjectiveStatusCounters": self.objective_counters(),
                "BestTrainingJob": best.summary() if best else None,
                "WarmStartConfig": self.request.get("WarmStartConfig"),
                "Autotune": self.request.get("Autotune"),
                "FailureReason": self.failure_reason,
                "TuningJobCompletionDetails": {
                    "NumberOfTrainingJobsObjectiveNotImproving": self.not_improving
                },
                "ConsumedResources": {"RuntimeInSeconds": max(0, round(end - self.created))},
            }
        )
