"""One training job's state (a tuning job's trial, or created by CreateTrainingJob),
rendered in the service's output shapes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_bridge_localstack.aws.protocol import drop_none, epoch
from hpo_bridge_localstack.aws.sagemaker.jobs import (
    ACTIVE,
    COMPLETED,
    IN_PROGRESS,
    STOPPED,
    STOPPING,
)

if TYPE_CHECKING:
    from hpo_bridge_localstack.aws.sagemaker.tuning_job import TuningJob

# SecondaryStatusTransition.StatusMessage: the messages SageMaker shows for each status.
STATUS_MESSAGES = {
    "Starting": "Preparing the instances for training",
    "Downloading": "Downloading input data",
    "Training": "Training image download completed. Training in progress.",
    "Uploading": "Uploading generated training model",
    "Completed": "Training job completed",
    "Failed": "Training job failed",
    "Stopping": "Stopping the training job",
    "Stopped": "Training job stopped",
    "MaxRuntimeExceeded": "Training job runtime exceeded MaxRuntimeInSeconds provided",
}
DEFAULT_MAX_RUNTIME = 86400  # StoppingCondition.MaxRuntimeInSeconds when none is given
# Parameters of CreateTrainingJob that DescribeTrainingJob gives back as they came.
ECHOED = ("AlgorithmSpecification", "RoleArn", "InputDataConfig", "OutputDataConfig",
          "ResourceConfig", "VpcConfig", "CheckpointConfig", "Environment", "RetryStrategy",
          "DebugHookConfig", "ExperimentConfig", "TensorBoardOutputConfig",
          "ProfilerConfig", "RemoteDebugConfig", "InfraCheckConfig",
          "SessionChainingConfig")
FLAGS = ("EnableNetworkIsolation", "EnableInterContainerTrafficEncryption",
         "EnableManagedSpotTraining")


@dataclass
class TrainingJob:
    name: str
    arn: str
    region: str
    account: str
    definition: dict[str, Any]  # the job's parameters, in CreateTrainingJob's shape
    created: float
    tuning_job: TuningJob | None = None
    index: int = 0  # its number within its tuning job
    tuned: dict[str, str] = field(default_factory=dict)
    trial_id: int | None = None
    status: str = IN_PROGRESS
    secondary: str = "Starting"
    started: float | None = None
    ended: float | None = None
    modified: float | None = None
    failure_reason: str | None = None
    # metric name -> (last value, time); the MetricDefinitions' regexes fill it from the log.
    metrics: dict[str, tuple[float, float]] = field(default_factory=dict)
    objective: float | None = None
    objective_values: list[float] = field(default_factory=list)  # per report (its curve)
    transitions: list[dict[str, Any]] = field(default_factory=list)
    log_stream: str | None = None
    stop_requested: bool = False
    tags: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.modified = self.created
        self.transitions.append({"Status": "Starting", "StartTime": self.created,
                                 "StatusMessage": STATUS_MESSAGES["Starting"]})

    @property
    def hyperparameters(self) -> dict[str, str]:
        return dict(self.definition.get("HyperParameters") or {})

    @property
    def metric_definitions(self) -> list[dict[str, Any]]:
        return list((self.definition.get("AlgorithmSpecification") or {}).get(
            "MetricDefinitions") or [])

    @property
    def model_artifacts(self) -> str:
        """Where SageMaker puts the packed model folder: <S3OutputPath>/<job>/output/."""
        base = str((self.definition.get("OutputDataConfig") or {}).get("S3OutputPath", ""))
        return f"{base.rstrip('/')}/{self.name}/output/model.tar.gz"

    # -- transitions ---------------------------------------------------------------------
    def set_secondary(self, status: str, now: float) -> None:
        if self.transitions and self.transitions[-1].get("EndTime") is None:
            self.transitions[-1]["EndTime"] = now
        self.transitions.append({"Status": status, "StartTime": now,
                                 "StatusMessage": STATUS_MESSAGES[status]})
        self.secondary = status
        self.modified = now

    def mark_training(self, now: float) -> None:
        self.started = now
        self.set_secondary("Downloading", now)
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
        """Succeeded: its final objective was read (completed, or stopped after reporting
        it, early or on request); Failed otherwise (AWS: "the training job failed or did
        not emit an objective metric")."""
        if self.status in ACTIVE:
            return "Pending"
        if self.objective is not None and self.status in (COMPLETED, STOPPED):
            return "Succeeded"
        return "Failed"

    def final_objective(self) -> dict[str, Any] | None:
        if self.objective is None or self.tuning_job is None:
            return None
        return {"MetricName": self.tuning_job.objective_metric, "Value": self.objective}

    def summary(self) -> dict[str, Any]:
        """HyperParameterTrainingJobSummary (a tuning job's training job)."""
        definition_name = None
        if self.tuning_job is not None:
            definition_name = self.tuning_job.definition.get("DefinitionName")
        return drop_none(
            {
                "TrainingJobDefinitionName": definition_name,
                "TrainingJobName": self.name,
                "TrainingJobArn": self.arn,
                "TuningJobName": self.tuning_job.name if self.tuning_job else None,
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

    def describe(self) -> dict[str, Any]:
        d = self.definition
        runtime = None
        if self.started is not None and self.ended is not None:
            runtime = max(1, round(self.ended - self.started))
        stopping = dict(d.get("StoppingCondition") or {})
        stopping.setdefault("MaxRuntimeInSeconds", DEFAULT_MAX_RUNTIME)
        answer: dict[str, Any] = {
            "TrainingJobName": self.name,
            "TrainingJobArn": self.arn,
            "TuningJobArn": self.tuning_job.arn if self.tuning_job else None,
            "ModelArtifacts": {"S3ModelArtifacts": self.model_artifacts},
            "TrainingJobStatus": self.status,
            "SecondaryStatus": self.secondary,
            "FailureReason": self.failure_reason,
            "HyperParameters": self.hyperparameters,
            "StoppingCondition": stopping,
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
            "TrainingTimeInSeconds": runtime,
            "BillableTimeInSeconds": runtime,
        }
        for key in ECHOED:
            answer[key] = d.get(key)
        if answer["OutputDataConfig"] is not None:  # SageMaker shows KmsKeyId, empty if unset
            answer["OutputDataConfig"] = {"KmsKeyId": "", **answer["OutputDataConfig"]}
        for key in FLAGS:
            answer[key] = bool(d.get(key, False))
        return drop_none(answer)
