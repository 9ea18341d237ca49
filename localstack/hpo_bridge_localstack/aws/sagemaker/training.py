"""A training job kept in step with the trial that runs it, whoever started it (a tuning
job's run or CreateTrainingJob): statuses and their transitions, metrics (the job's
FinalMetricDataList and CloudWatch), log lines (CloudWatch Logs) and, at the end, the
model and output data packed into S3."""

from __future__ import annotations

import functools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.aws.clients import internal_client
from hpo_bridge_localstack.aws.sagemaker.artifacts import upload_outputs
from hpo_bridge_localstack.aws.sagemaker.jobs import COMPLETED, FAILED, STOPPED
from hpo_bridge_localstack.aws.sagemaker.logs import LogShipper, stream_name
from hpo_bridge_localstack.aws.sagemaker.metrics import MetricPublisher
from hpo_bridge_localstack.aws.sagemaker.training_job import TrainingJob

log = logging.getLogger(__name__)

# A trial's final status in hpo-bridge's core -> (TrainingJobStatus, SecondaryStatus)
FINAL_STATUS = {
    "completed": (COMPLETED, "Completed"),
    "stopped": (STOPPED, "Stopped"),  # early stopping by the tuning job
    "cancelled": (STOPPED, "Stopped"),  # StopTrainingJob, or the tuning job's stop
    "timeout": (STOPPED, "MaxRuntimeExceeded"),
    "failed": (FAILED, "Failed"),
}


class AwsOutputs:
    """The emulator's own S3, CloudWatch Logs and CloudWatch clients in one account and
    region, with the log lines and data points waiting to be sent. The clients are made on
    first use, in the job's own thread (not while the API holds its lock)."""

    def __init__(self, endpoint_url: str, region: str, account: str) -> None:
        self._where = (endpoint_url, region, account)

    def _client(self, service: str) -> Any:
        return internal_client(service, *self._where)

    @functools.cached_property
    def s3(self) -> Any:
        return self._client("s3")

    @functools.cached_property
    def logs(self) -> LogShipper:
        return LogShipper(self._client("logs"))

    @functools.cached_property
    def metrics(self) -> MetricPublisher:
        return MetricPublisher(self._client("cloudwatch"))

    def flush(self) -> None:
        """Send what is buffered; logs and metrics are best effort (never fail a job)."""
        for name in ("logs", "metrics"):
            part = self.__dict__.get(name)  # nothing to send from a part never used
            if part is None:
                continue
            try:
                part.flush()
            except Exception:
                log.exception("could not send %s", type(part).__name__)


@dataclass(frozen=True)
class TrialFolders:
    """Where the trial's contract put /opt/ml/model and /opt/ml/output/data."""

    model: Path
    output_data: Path

    @classmethod
    def from_environment(cls, env: dict[str, str]) -> TrialFolders | None:
        if "SM_MODEL_DIR" not in env or "SM_OUTPUT_DATA_DIR" not in env:
            return None
        return cls(Path(env["SM_MODEL_DIR"]), Path(env["SM_OUTPUT_DATA_DIR"]))


class TrainingJobFollower:
    """Applies one trial's life to its TrainingJob (under the service's lock)."""

    def __init__(self, job: TrainingJob, outputs: AwsOutputs, lock: threading.RLock,
                 objective_metric: str | None = None) -> None:
        self.job = job
        self.outputs = outputs
        self.lock = lock
        self.objective_metric = objective_metric
        self.folders: TrialFolders | None = None

    def started(self, now: float) -> None:
        with self.lock:
            self.job.mark_training(now)
            self.job.log_stream = stream_name(self.job.name, now)

    def metric(self, name: str, value: float, now: float) -> None:
        with self.lock:
            self.job.metrics[name] = (value, now)
            self.job.modified = now
            if name == self.objective_metric:
                self.job.objective_values.append(value)
        self.outputs.metrics.add(self.job.name, name, value, now)

    def output(self, lines: list[str], now: float) -> None:
        if self.job.log_stream is None:
            self.job.log_stream = stream_name(self.job.name, self.job.created)
        for line in lines:
            self.outputs.logs.add(self.job.log_stream, line, now)

    def ended(self, status: str, reason: str | None, exit_code: int | None,
              now: float) -> None:
        """The trial ended with the core's `status`. A process that exited 0 completed, as
        SageMaker sees it, even when the tuner failed it for a missing objective."""
        if status == "failed" and exit_code == 0:
            status = "completed"
        job_status, secondary = FINAL_STATUS.get(status, (FAILED, "Failed"))
        failure = None
        if job_status == FAILED:
            failure = f"AlgorithmError: {reason}" if reason else "AlgorithmError"
        else:
            with self.lock:
                self.job.set_secondary("Uploading", now)
            failure = self._upload()
            if failure is not None:
                job_status, secondary = FAILED, "Failed"
        with self.lock:
            if job_status != FAILED and self.objective_metric is not None:
                value = self.job.metrics.get(self.objective_metric)
                self.job.objective = value[0] if value else None
            self.job.finish(job_status, secondary, now, failure)

    def _upload(self) -> str | None:
        """Pack the model and output data into S3; the failure reason if that fails."""
        if self.folders is None:
            return None
        try:
            upload_outputs(self.outputs.s3, self.folders.model, self.folders.output_data,
                           self.job.model_artifacts)
        except Exception as exc:  # SageMaker fails a job whose artifacts it cannot save
            return f"ClientError: could not upload the model to {self.job.model_artifacts}:" \
                   f" {exc}"
        return None
