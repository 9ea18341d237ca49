"""The SageMaker backend: compile, import, and the boto3 lifecycle of a tuning job."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from hpo_bridge.backend import Backend, BackendError, Compiled, JobStatus
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.spec import TuningSpec
from hpo_bridge_sagemaker import code_package
from hpo_bridge_sagemaker.importer import import_job, parse_value
from hpo_bridge_sagemaker.retry import RetryPolicy, client_config, error_code
from hpo_bridge_sagemaker.translate import compile_spec, settings_of

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
PAGE_SIZE = 100
JOB_STATES = {
    "InProgress": "running",
    "Completed": "completed",
    "Failed": "failed",
    "Stopping": "stopping",
    "Stopped": "stopped",
    "Deleting": "stopping",
    "DeleteFailed": "failed",
}
TRIAL_STATES = {
    "InProgress": TrialStatus.RUNNING,
    "Stopping": TrialStatus.RUNNING,
    "Completed": TrialStatus.COMPLETED,
    "Failed": TrialStatus.FAILED,
}
# SageMaker names a tuning job's training jobs <tuning-job>-<NNN>-<8 hex>.
_TRIAL_INDEX = re.compile(r"-(\d{3,})-[0-9a-f]{8}$")
CREDENTIALS_HELP = (
    "no AWS credentials found: run `aws configure`, set AWS_ACCESS_KEY_ID and"
    " AWS_SECRET_ACCESS_KEY, or choose a profile with AWS_PROFILE"
)
REGION_HELP = (
    "no AWS region: set backends.sagemaker.region in the spec, or AWS_REGION /"
    " AWS_DEFAULT_REGION"
)
# Codes that mean "you may not", answered with a hint rather than a retry.
ACCESS_CODES = ("AccessDenied", "AccessDeniedException", "UnrecognizedClientException",
                "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
                "InvalidSignatureException", "SignatureDoesNotMatch")


class AwsError(BackendError):
    """An AWS call that failed for good (after the retries worth making); `code` is AWS's
    error code (e.g. ResourceNotFound) or botocore's exception name."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _handle(name: str, region: str) -> str:
    return f"{name}@{region}"


def split_handle(handle: str) -> tuple[str, str | None]:
    """(job name, region or None) of "name@region" or a plain name."""
    name, _, region = handle.partition("@")
    return name, region or None


def _timestamp(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def is_subset(wanted: Any, actual: Any) -> bool:
    """True when every value of `wanted` is in `actual` (the service adds defaults)."""
    if isinstance(wanted, dict):
        return isinstance(actual, dict) and all(
            k in actual and is_subset(v, actual[k]) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return (isinstance(actual, list) and len(wanted) == len(actual)
                and all(is_subset(w, a) for w, a in zip(wanted, actual, strict=True)))
    if isinstance(wanted, int | float) and isinstance(actual, int | float):
        return float(wanted) == float(actual)
    return bool(wanted == actual)


def trial_index(job_name: str, fallback: int) -> int:
    match = _TRIAL_INDEX.search(job_name)
    return int(match.group(1)) if match else fallback


class SageMakerBackend(Backend):
    name = "sagemaker"

    def __init__(self, session: Any = None, retry: RetryPolicy | None = None,
                 on_retry: Callable[[BaseException], None] | None = None):
        self._session = session
        self.retry = retry or RetryPolicy()
        self.on_retry = on_retry
        self._clients: dict[tuple[str, str], Any] = {}
        self._names: dict[str, dict[int, str]] = {}  # handle -> trial id -> training job

    # -- translation ------------------------------------------------------------------
    def compile(self, spec: TuningSpec, approximate: bool = False) -> Compiled:
        return compile_spec(spec, approximate=approximate)

    def import_native(self, data: dict[str, Any]) -> dict[str, Any]:
        return import_job(data)

    # -- clients ----------------------------------------------------------------------
    def _boto_session(self) -> Any:
        if self._session is None:
            import boto3

            self._session = boto3.Session()
        return self._session

    def _region(self, wanted: str | None) -> str:
        region = wanted or self._boto_session().region_name
        if not region:
            raise BackendError(f"sagemaker: {REGION_HELP}")
        return str(region)

    def check_access(self, spec: TuningSpec) -> None:
        """Credentials and region from boto3's chain (no call to AWS): every problem at once."""
        problems = []
        session = self._boto_session()
        if not (settings_of(spec).region or session.region_name):
            problems.append(REGION_HELP)
        if session.get_credentials() is None:
            problems.append(CREDENTIALS_HELP)
        if problems:
            raise BackendError("\n".join(f"{self.name}: {p}" for p in problems))

    def client(self, service: str, region: str | None) -> Any:
        region = self._region(region)
        key = (service, region)
        if key not in self._clients:
            session = self._boto_session()
            if session.get_credentials() is None:
                raise BackendError(f"sagemaker: {CREDENTIALS_HELP}")
            # No endpoint_url here: boto3 honours AWS_ENDPOINT_URL(_SAGEMAKER) itself.
            self._clients[key] = session.client(service, config=client_config(region))
        return self._clients[key]

    def _call(self, service: str, region: str | None, operation: str, **params: Any) -> Any:
        """One API call with retries; whatever still fails becomes an `AwsError`."""
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            NoCredentialsError,
            PartialCredentialsError,
        )

        method = getattr(self.client(service, region), operation)
        try:
            return self.retry.call(method, on_retry=self.on_retry, **params)
        except (NoCredentialsError, PartialCredentialsError):
            raise BackendError(f"sagemaker: {CREDENTIALS_HELP}") from None
        except ClientError as exc:
            code = error_code(exc)
            message = exc.response.get("Error", {}).get("Message", "")
            if code in ACCESS_CODES:
                raise AwsError(
                    code, f"sagemaker: access denied for {service} {operation}: {message}"
                    " (check the credentials' IAM permissions)") from exc
            raise AwsError(code, f"sagemaker: {service} {operation} failed: {code}: {message}"
                           ) from exc
        except BotoCoreError as exc:  # connection errors once the retries are spent
            raise AwsError(type(exc).__name__,
                           f"sagemaker: {service} {operation} failed: {exc}") from exc

    # -- lifecycle --------------------------------------------------------------------
    def submit(self, spec: TuningSpec, compiled: Compiled) -> str:
        region = self._region(settings_of(spec).region)
        for prefix, local in compiled.artifacts.items():
            # The code tarball is one object; an input folder is uploaded file by file.
            plan = ([(prefix, local)] if prefix.endswith(code_package.ARCHIVE_NAME)
                    else code_package.upload_plan(prefix, local))
            for uri, path in plan:
                bucket, _, key = uri[len("s3://"):].partition("/")
                self._call("s3", region, "put_object", Bucket=bucket, Key=key,
                           Body=path.read_bytes())
        request = compiled.request
        name = request["HyperParameterTuningJobName"]
        try:
            self._call("sagemaker", region, "create_hyper_parameter_tuning_job", **request)
        except AwsError as exc:
            if exc.code != "ResourceInUse":
                raise
            # A create retried after a lost answer, or the same spec submitted again:
            # the job already exists; it is ours only if it was created from this request.
            self._accept_existing(region, request)
            compiled.warnings.append(
                f"tuning job {name} already exists from this same request: following it"
                " (set backends.sagemaker.job_name to start a new one)"
            )
        return _handle(name, region)

    def _accept_existing(self, region: str, request: dict[str, Any]) -> None:
        name = request["HyperParameterTuningJobName"]
        described = self._describe(name, region)
        for key in ("HyperParameterTuningJobConfig", "TrainingJobDefinition", "WarmStartConfig"):
            if key in request and not is_subset(request[key], described.get(key)):
                raise BackendError(
                    f"sagemaker: a tuning job named {name} already exists with a different"
                    f" {key}; set backends.sagemaker.job_name or change the spec's name"
                )

    def _describe(self, name: str, region: str | None) -> dict[str, Any]:
        return dict(self._call("sagemaker", region, "describe_hyper_parameter_tuning_job",
                               HyperParameterTuningJobName=name))

    def status(self, handle: str) -> JobStatus:
        name, region = split_handle(handle)
        job = self._describe(name, region)
        native = job.get("HyperParameterTuningJobStatus", "")
        counters = job.get("TrainingJobStatusCounters") or {}
        failed = counters.get("RetryableError", 0) + counters.get("NonRetryableError", 0)
        best = job.get("BestTrainingJob") or {}
        metric = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        return JobStatus(
            state=JOB_STATES.get(native, "running"),
            native_state=native,
            trials_total=sum(counters.get(k, 0) for k in
                             ("Completed", "InProgress", "Stopped"))
            + failed,
            trials_completed=counters.get("Completed", 0),
            trials_running=counters.get("InProgress", 0),
            trials_failed=failed,
            trials_stopped=counters.get("Stopped", 0),
            best_trial=best.get("TrainingJobName"),
            best_value=metric.get("Value"),
            message=job.get("FailureReason"),
        )

    def training_jobs(self, handle: str) -> list[dict[str, Any]]:
        """Every training job summary, 100 per call (never a Describe per trial)."""
        name, region = split_handle(handle)
        summaries: list[dict[str, Any]] = []
        params: dict[str, Any] = {"HyperParameterTuningJobName": name, "MaxResults": PAGE_SIZE}
        while True:
            page = self._call("sagemaker", region,
                              "list_training_jobs_for_hyper_parameter_tuning_job", **params)
            summaries += page.get("TrainingJobSummaries", [])
            token = page.get("NextToken")
            if not token:
                return summaries
            params["NextToken"] = token

    def trials(self, handle: str) -> list[Trial]:
        summaries = sorted(self.training_jobs(handle),
                           key=lambda s: (str(s.get("CreationTime", "")), s["TrainingJobName"]))
        names = self._names.setdefault(handle, {})
        trials = []
        for position, summary in enumerate(summaries, start=1):
            trial = self._trial(summary, trial_index(summary["TrainingJobName"], position))
            names[trial.id] = summary["TrainingJobName"]
            trials.append(trial)
        return sorted(trials, key=lambda t: t.id)

    def _trial(self, summary: dict[str, Any], trial_id: int) -> Trial:
        native = summary.get("TrainingJobStatus", "")
        objective = summary.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        value = objective.get("Value")
        status = TRIAL_STATES.get(native)
        if status is None:  # Stopped: by early stopping (it has a value) or by the user
            status = TrialStatus.STOPPED if value is not None else TrialStatus.CANCELLED
        values = [float(value)] if value is not None else []
        metrics = {objective["MetricName"]: list(values)} if values else {}
        return Trial(
            id=trial_id,
            params={k: parse_value(v) for k, v in
                    (summary.get("TunedHyperParameters") or {}).items()},
            status=status,
            values=values,
            metrics=metrics,
            reason=summary.get("FailureReason"),
            started_at=_timestamp(summary.get("TrainingStartTime")),
            ended_at=_timestamp(summary.get("TrainingEndTime")),
        )

    def final_trials(self, handle: str) -> list[Trial]:
        """Once the job has ended: every trial with all its final metrics (one Describe per
        finished training job, once, for the metrics beyond the objective)."""
        _, region = split_handle(handle)
        trials = self.trials(handle)
        for trial in trials:
            if not trial.status.terminal:
                continue
            job = self._call("sagemaker", region, "describe_training_job",
                             TrainingJobName=self._names[handle][trial.id])
            for item in job.get("FinalMetricDataList") or []:
                trial.metrics[item["MetricName"]] = [float(item["Value"])]
        return trials

    def cancel(self, handle: str) -> None:
        name, region = split_handle(handle)
        try:
            self._call("sagemaker", region, "stop_hyper_parameter_tuning_job",
                       HyperParameterTuningJobName=name)
        except AwsError as exc:
            if exc.code in ACCESS_CODES:
                raise
            # Stopping a job that has already ended is not an error for the user.
            if JOB_STATES.get(self._describe(name, region).get(
                    "HyperParameterTuningJobStatus", "")) in ("completed", "failed", "stopped",
                                                              "stopping"):
                return
            raise

    def training_job_name(self, handle: str, trial: str) -> str:
        if not trial.isdigit():
            return trial
        names = self._names.get(handle)
        if not names or int(trial) not in names:
            self.trials(handle)
            names = self._names.get(handle, {})
        if int(trial) not in names:
            raise BackendError(f"sagemaker: no trial {trial} in {split_handle(handle)[0]}")
        return names[int(trial)]

    def logs(self, handle: str, trial: str) -> Iterator[str]:
        """The trial's CloudWatch log lines: group /aws/sagemaker/TrainingJobs, streams
        <training-job>/..."""
        _, region = split_handle(handle)
        job = self.training_job_name(handle, trial)
        streams: list[str] = []
        params: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamNamePrefix": f"{job}/"}
        while True:
            page = self._call("logs", region, "describe_log_streams", **params)
            streams += [s["logStreamName"] for s in page.get("logStreams", [])]
            if not page.get("nextToken"):
                break
            params["nextToken"] = page["nextToken"]
        for stream in sorted(streams):
            yield from self._stream_lines(region, stream)

    def _stream_lines(self, region: str | None, stream: str) -> Iterator[str]:
        params: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamName": stream,
                                  "startFromHead": True}
        while True:
            page = self._call("logs", region, "get_log_events", **params)
            for event in page.get("events", []):
                yield str(event.get("message", ""))
            token = page.get("nextForwardToken")
            # The same token back means the end of the stream.
            if not token or token == params.get("nextToken"):
                return
            params["nextToken"] = token
