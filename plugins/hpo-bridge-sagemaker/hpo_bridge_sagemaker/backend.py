"""The SageMaker backend: its translation, its importer and its boto3 calls (the kit does
the rest: idempotent creation, following, collecting, cancelling, retries, errors)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from hpo_bridge.backends import (
    BackendError,
    CloudError,
    Compiled,
    Issues,
    JobState,
    JobStatus,
    NativeBackend,
    RetryPolicy,
    Trial,
    TrialStatus,
    UnknownTrial,
    paginate,
)
from hpo_bridge.backends import packaging as code_package
from hpo_bridge.spec import TuningSpec
from hpo_bridge_sagemaker.capabilities import CAPABILITIES
from hpo_bridge_sagemaker.curves import compile_definitions, read_curves
from hpo_bridge_sagemaker.errors import classify, client_config
from hpo_bridge_sagemaker.importer import import_job, parse_value
from hpo_bridge_sagemaker.translate import (
    ARCHIVE_NAME,
    native_strategy,
    settings_of,
    translate,
)

LOG_GROUP = "/aws/sagemaker/TrainingJobs"
PAGE_SIZE = 100
JOB_STATES = {
    "InProgress": JobState.RUNNING,
    "Completed": JobState.COMPLETED,
    "Failed": JobState.FAILED,
    "Stopping": JobState.STOPPING,
    "Stopped": JobState.STOPPED,
    "Deleting": JobState.STOPPING,
    "DeleteFailed": JobState.FAILED,
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


def _handle(name: str, region: str) -> str:
    return f"{name}@{region}"


def split_handle(handle: str) -> tuple[str, str | None]:
    """(job name, region or None) of "name@region" or a plain name."""
    name, _, region = handle.partition("@")
    return name, region or None


def _timestamp(value: Any) -> float | None:
    return value.timestamp() if isinstance(value, datetime) else None


def trial_index(job_name: str, fallback: int) -> int:
    match = _TRIAL_INDEX.search(job_name)
    return int(match.group(1)) if match else fallback


class SageMakerBackend(NativeBackend):
    name = "sagemaker"
    capabilities = CAPABILITIES
    job_noun = "tuning job"
    identity_keys = ("HyperParameterTuningJobConfig", "TrainingJobDefinition",
                     "WarmStartConfig")
    rename_hint = "set backends.sagemaker.job_name"
    credentials_help = CREDENTIALS_HELP
    access_hint = "check the credentials' IAM permissions"

    def __init__(self, session: Any = None, retry: RetryPolicy | None = None,
                 on_retry: Callable[[BaseException], None] | None = None, **kwargs: Any):
        super().__init__(retry=retry, on_retry=on_retry, **kwargs)
        self._session = session
        self._clients: dict[tuple[str, str], Any] = {}
        self._names: dict[str, dict[int, str]] = {}  # handle -> trial id -> training job
        self._definitions: dict[str, list[tuple[str, re.Pattern]]] = {}  # handle -> metrics

    # -- translation ------------------------------------------------------------------
    def translate(self, spec: TuningSpec, issues: Issues) -> Compiled:
        return translate(spec, issues)

    def capability_context(self, spec: TuningSpec) -> dict[str, Any]:
        return {"strategy": native_strategy(spec.strategy.algorithm)}

    def import_native(self, data: dict[str, Any]) -> dict[str, Any]:
        return import_job(data)

    def classify(self, exc: BaseException) -> CloudError | None:
        return classify(exc)

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
        method = getattr(self.client(service, region), operation)
        return self.call(f"{service} {operation}", method, **params)

    # -- the job ----------------------------------------------------------------------
    def upload(self, spec: TuningSpec, compiled: Compiled) -> None:
        region = self._region(settings_of(spec).region)
        for prefix, local in compiled.artifacts.items():
            # The code tarball is one object; an input folder is uploaded file by file.
            plan = ([(prefix, local)] if prefix.endswith(ARCHIVE_NAME)
                    else code_package.upload_plan(prefix, local))
            for uri, path in plan:
                bucket, _, key = uri[len("s3://"):].partition("/")
                self._call("s3", region, "put_object", Bucket=bucket, Key=key,
                           Body=path.read_bytes())

    def job_handle(self, spec: TuningSpec, compiled: Compiled) -> str:
        return _handle(compiled.request["HyperParameterTuningJobName"],
                       self._region(settings_of(spec).region))

    def job_name(self, handle: str) -> str:
        return split_handle(handle)[0]

    def create_job(self, spec: TuningSpec, compiled: Compiled) -> str:
        handle = self.job_handle(spec, compiled)
        self._call("sagemaker", split_handle(handle)[1], "create_hyper_parameter_tuning_job",
                   **compiled.request)
        return handle

    def existing_request(self, handle: str) -> dict[str, Any]:
        name, region = split_handle(handle)
        return self._describe(name, region)

    def _describe(self, name: str, region: str | None) -> dict[str, Any]:
        return dict(self._call("sagemaker", region, "describe_hyper_parameter_tuning_job",
                               HyperParameterTuningJobName=name))

    def job_status(self, handle: str) -> JobStatus:
        name, region = split_handle(handle)
        job = self._describe(name, region)
        native = job.get("HyperParameterTuningJobStatus", "")
        counters = job.get("TrainingJobStatusCounters") or {}
        failed = counters.get("RetryableError", 0) + counters.get("NonRetryableError", 0)
        best = job.get("BestTrainingJob") or {}
        metric = best.get("FinalHyperParameterTuningJobObjectiveMetric") or {}
        return JobStatus(
            state=JOB_STATES.get(native, JobState.RUNNING),
            native_state=native,
            trials_total=sum(counters.get(k, 0) for k in ("Completed", "InProgress", "Stopped"))
            + failed,
            trials_completed=counters.get("Completed", 0),
            trials_running=counters.get("InProgress", 0),
            trials_failed=failed,
            trials_stopped=counters.get("Stopped", 0),
            best_trial=best.get("TrainingJobName"),
            best_value=metric.get("Value"),
            message=job.get("FailureReason"),
        )

    def stop_job(self, handle: str) -> None:
        name, region = split_handle(handle)
        self._call("sagemaker", region, "stop_hyper_parameter_tuning_job",
                   HyperParameterTuningJobName=name)

    # -- trials -----------------------------------------------------------------------
    def training_jobs(self, handle: str) -> list[dict[str, Any]]:
        """Every training job summary, 100 per call (never a Describe per trial)."""
        name, region = split_handle(handle)

        def page(token: str | None) -> tuple[list[dict[str, Any]], str | None]:
            params: dict[str, Any] = {"HyperParameterTuningJobName": name,
                                      "MaxResults": PAGE_SIZE}
            if token:
                params["NextToken"] = token
            answer = self._call("sagemaker", region,
                                "list_training_jobs_for_hyper_parameter_tuning_job", **params)
            return list(answer.get("TrainingJobSummaries", [])), answer.get("NextToken")

        return list(paginate(page))

    def list_trials(self, handle: str) -> list[Trial]:
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
        trials = self.list_trials(handle)
        for trial in trials:
            if not trial.status.terminal:
                continue
            job = self._call("sagemaker", region, "describe_training_job",
                             TrainingJobName=self._names[handle][trial.id])
            for item in job.get("FinalMetricDataList") or []:
                trial.metrics[item["MetricName"]] = [float(item["Value"])]
        return trials

    # -- logs -------------------------------------------------------------------------
    def training_job_name(self, handle: str, trial: str) -> str:
        if not trial.isdigit():
            return trial
        names = self._names.get(handle)
        if not names or int(trial) not in names:
            self.list_trials(handle)
            names = self._names.get(handle, {})
        if int(trial) not in names:
            raise UnknownTrial(f"sagemaker: no trial {trial} in {split_handle(handle)[0]}")
        return names[int(trial)]

    def trial_logs(self, handle: str, trial: str) -> Iterator[str]:
        """The trial's CloudWatch log lines: group /aws/sagemaker/TrainingJobs, streams
        <training-job>/..."""
        _, region = split_handle(handle)
        job = self.training_job_name(handle, trial)

        def streams(token: str | None) -> tuple[list[str], str | None]:
            params: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamNamePrefix": f"{job}/"}
            if token:
                params["nextToken"] = token
            page = self._call("logs", region, "describe_log_streams", **params)
            return [s["logStreamName"] for s in page.get("logStreams", [])], page.get("nextToken")

        for stream in sorted(paginate(streams)):
            yield from self._stream_lines(region, stream)

    def trial_curves(self, handle: str, trial: Trial) -> dict[str, list[float]]:
        """Every value of each metric the trial's training job logged (its CloudWatch
        stream read through `trial_logs`, with the tuning job's own MetricDefinitions:
        one Describe per job, then the log's pages once per ended trial)."""
        if handle not in self._definitions:
            name, region = split_handle(handle)
            definition = self._describe(name, region).get("TrainingJobDefinition") or {}
            algorithm = definition.get("AlgorithmSpecification") or {}
            self._definitions[handle] = compile_definitions(
                algorithm.get("MetricDefinitions") or [])
        if not self._definitions[handle]:
            return {}
        return read_curves(self.trial_logs(handle, str(trial.id)), self._definitions[handle])

    def _stream_lines(self, region: str | None, stream: str) -> Iterator[str]:
        def events(token: str | None) -> tuple[list[str], str | None]:
            params: dict[str, Any] = {"logGroupName": LOG_GROUP, "logStreamName": stream,
                                      "startFromHead": True}
            if token:
                params["nextToken"] = token
            page = self._call("logs", region, "get_log_events", **params)
            # The same token back means the end of the stream (paginate stops there).
            return ([str(e.get("message", "")) for e in page.get("events", [])],
                    page.get("nextForwardToken"))

        yield from paginate(events)
