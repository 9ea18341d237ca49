"""The SageMaker operations the emulator serves (SERVED_OPERATIONS), answered from its
job state.

Requests arrive validated against botocore's model (aws/json_service.py); here come
SageMaker's own rules, the state changes and the answers in the output shapes. Each tuning
job is an emulated tuning run (framework/tuning_run.py) hosted by runner.py; each
CreateTrainingJob a TrainingRun (training_run.py). Jobs are kept per account and region,
like SageMaker's; tuning jobs' training jobs and single ones share one namespace.

Where the real service is known to differ from its model: DescribeTrainingJob and
StopTrainingJob of an unknown name answer ValidationException "Requested resource not
found." (not ResourceNotFound), as SageMaker does.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import botocore.session
from botocore.model import ServiceModel

from hpo_bridge_localstack.aws.identity import Caller
from hpo_bridge_localstack.aws.paging import page, within_times
from hpo_bridge_localstack.aws.protocol import (
    ResourceInUse,
    ResourceLimitExceeded,
    ResourceNotFound,
    UnknownOperation,
    ValidationError,
)
from hpo_bridge_localstack.aws.sagemaker.checks import (
    Quotas,
    create_problems,
    quota_problems,
    training_problems,
    warm_start_problems,
)
from hpo_bridge_localstack.aws.sagemaker.jobs import (
    ACTIVE,
    IN_PROGRESS,
    STOPPED,
    training_job_arn,
    tuning_job_arn,
)
from hpo_bridge_localstack.aws.sagemaker.runner import SageMakerTuningHost
from hpo_bridge_localstack.aws.sagemaker.training_job import TrainingJob
from hpo_bridge_localstack.aws.sagemaker.training_run import TrainingRun
from hpo_bridge_localstack.aws.sagemaker.tuning_job import TuningJob
from hpo_bridge_localstack.aws.sagemaker.warm_start import lineage, prior_trials
from hpo_bridge_localstack.framework.tuning_run import EmulatedTuningRun

Key = tuple[str, str, str]  # (account, region, name)
_SNAKE = re.compile(r"(?<!^)(?=[A-Z])")
SERVED_OPERATIONS = (
    "CreateHyperParameterTuningJob",
    "DescribeHyperParameterTuningJob",
    "ListHyperParameterTuningJobs",
    "StopHyperParameterTuningJob",
    "ListTrainingJobsForHyperParameterTuningJob",
    "CreateTrainingJob",
    "DescribeTrainingJob",
    "ListTrainingJobs",
    "StopTrainingJob",
    "ListTags",
)

TUNING_SORT = {
    "Name": lambda j: j.name,
    "Status": lambda j: j.status,
    "CreationTime": lambda j: j.created,
}
TRAINING_SORT = {
    "Name": lambda j: j.name,
    "Status": lambda j: j.status,
    "CreationTime": lambda j: j.created,
    "FinalObjectiveMetricValue": lambda j: j.objective,
}


@functools.lru_cache(maxsize=1)
def sagemaker_model() -> ServiceModel:
    """botocore's SageMaker model (a large file: loaded once per process)."""
    return botocore.session.get_session().get_service_model("sagemaker")


class SageMakerService:
    """The emulated SageMaker endpoint (tuning jobs, training jobs)."""

    target_prefix = "SageMaker"

    def __init__(
        self,
        endpoint_url: str,
        work_dir: Path,
        quotas: Quotas | None = None,
        run_jobs: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service_model = sagemaker_model()
        self.endpoint_url = endpoint_url
        self.work_dir = Path(work_dir)
        self.quotas = quotas or Quotas()
        self.run_jobs = run_jobs  # False: jobs stay InProgress (API tests without trials)
        self.now = clock
        self.lock = threading.RLock()
        self.tuning_jobs: dict[Key, TuningJob] = {}
        self.training_jobs: dict[Key, TrainingJob] = {}
        self.runs: dict[Key, EmulatedTuningRun] = {}
        self.training_runs: dict[Key, TrainingRun] = {}

    # -- dispatch ------------------------------------------------------------------------
    def handle(self, operation: str, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        method = None
        if operation in SERVED_OPERATIONS:
            method = getattr(self, "op_" + _SNAKE.sub("_", operation).lower())
        if method is None:
            raise UnknownOperation(f"The emulator does not implement SageMaker.{operation}")
        with self.lock:
            return method(params, caller)

    def close(self) -> None:
        """Stop every running job and wait for its trials to end."""
        with self.lock:
            runs: list[EmulatedTuningRun | TrainingRun] = [
                *self.runs.values(), *self.training_runs.values()]
        for run in runs:
            run.request_stop("the emulator is shutting down")
        for run in runs:
            run.join(timeout=60)

    # -- tuning jobs -----------------------------------------------------------------------
    def op_create_hyper_parameter_tuning_job(
        self, params: dict[str, Any], caller: Caller
    ) -> dict[str, Any]:
        problems = create_problems(params)
        if problems:
            raise ValidationError("; ".join(problems))
        name = params["HyperParameterTuningJobName"]
        key = (caller.account, caller.region, name)
        if key in self.tuning_jobs:
            raise ResourceInUse(f"Hyperparameter tuning job {name} already exists")
        parents = self._parents(params, caller)
        inherited = lineage(parents)
        running = sum(1 for j in self.tuning_jobs.values() if j.status in ACTIVE)
        over = quota_problems(params, self.quotas, running, inherited=len(inherited))
        if over:
            raise ResourceLimitExceeded("; ".join(over))
        self._check_spec(params)
        job = TuningJob(
            name=name,
            arn=tuning_job_arn(caller.region, caller.account, name),
            region=caller.region,
            account=caller.account,
            access_key=caller.access_key,
            request=params,
            created=self.now(),
            parent_jobs=inherited,
        )
        self.tuning_jobs[key] = job
        if self.run_jobs:
            host = SageMakerTuningHost(self, job, priors=prior_trials(params, inherited))
            self.runs[key] = host.start(
                self.work_dir / caller.account / caller.region / "tuning-jobs" / name,
                f"tuning-{name}")
        return {"HyperParameterTuningJobArn": job.arn}

    def _parents(self, params: dict[str, Any], caller: Caller) -> list[TuningJob]:
        """A warm start's parent tuning jobs: they exist, have ended and fit its rules."""
        warm = params.get("WarmStartConfig")
        if not warm:
            return []
        parents = []
        for parent in warm.get("ParentHyperParameterTuningJobs", []):
            parent_name = parent.get("HyperParameterTuningJobName")
            found = self.tuning_jobs.get((caller.account, caller.region, parent_name))
            if found is None:
                raise ResourceNotFound(f"Parent tuning job {parent_name} does not exist")
            if found.status in ACTIVE:
                raise ValidationError(f"Parent tuning job {parent_name} has not ended")
            parents.append(found)
        problems = warm_start_problems(params, parents)
        if problems:
            raise ValidationError("; ".join(problems))
        return parents

    def _check_spec(self, params: dict[str, Any]) -> None:
        """Whatever the local run could not express is a ValidationException now, not later."""
        from hpo_bridge.spec import SpecError
        from hpo_bridge_localstack.aws.sagemaker.translate import build_spec

        definition = params.get("TrainingJobDefinition") or params["TrainingJobDefinitions"][0]
        try:
            build_spec(params, definition)
        except SpecError as exc:
            raise ValidationError(
                "The emulator cannot run this tuning job: " + "; ".join(map(str, exc.problems))
            ) from None

    def _tuning_job(self, name: str, caller: Caller) -> TuningJob:
        job = self.tuning_jobs.get((caller.account, caller.region, name))
        if job is None:
            raise ResourceNotFound(f"Amazon SageMaker can't find a tuning job with name {name}")
        return job

    def op_describe_hyper_parameter_tuning_job(
        self, params: dict[str, Any], caller: Caller
    ) -> dict[str, Any]:
        return self._tuning_job(params["HyperParameterTuningJobName"], caller).describe(
            self.now()
        )

    def op_list_hyper_parameter_tuning_jobs(
        self, params: dict[str, Any], caller: Caller
    ) -> dict[str, Any]:
        jobs = _filtered(self.tuning_jobs, caller, params)
        sort = TUNING_SORT[params.get("SortBy", "Name")]
        return _listing(jobs, sort, params, "HyperParameterTuningJobSummaries",
                        lambda j: j.summary())

    def op_stop_hyper_parameter_tuning_job(
        self, params: dict[str, Any], caller: Caller
    ) -> dict[str, Any]:
        name = params["HyperParameterTuningJobName"]
        job = self._tuning_job(name, caller)
        if job.status not in ACTIVE:
            raise ValidationError(
                "The request was rejected because the hyperparameter tuning job is in status"
                f" {job.status}."
            )
        if job.status == IN_PROGRESS:
            now = self.now()
            job.status, job.modified = "Stopping", now
            for training in job.training_jobs:
                training.mark_stopping(now)
            run = self.runs.get((caller.account, caller.region, name))
            if run is not None:
                run.request_stop("Stopped by StopHyperParameterTuningJob")
            else:  # jobs that never run (run_jobs=False) stop at once
                job.status, job.ended = "Stopped", now
                for training in job.training_jobs:
                    training.finish("Stopped", "Stopped", now)
        return {}

    def op_list_training_jobs_for_hyper_parameter_tuning_job(
        self, params: dict[str, Any], caller: Caller
    ) -> dict[str, Any]:
        job = self._tuning_job(params["HyperParameterTuningJobName"], caller)
        sort_by = params.get("SortBy", "Name")
        jobs = [
            t
            for t in job.training_jobs
            if params.get("StatusEquals", t.status) == t.status
            # Sorting by the objective lists only the jobs that have one (SageMaker's rule).
            and (sort_by != "FinalObjectiveMetricValue" or t.objective_status == "Succeeded")
        ]
        return _listing(jobs, TRAINING_SORT[sort_by], params, "TrainingJobSummaries",
                        lambda t: t.summary())

    # -- training jobs ---------------------------------------------------------------------
    def op_create_training_job(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        problems = training_problems(params)
        if problems:
            raise ValidationError("; ".join(problems))
        name = params["TrainingJobName"]
        key = (caller.account, caller.region, name)
        arn = training_job_arn(caller.region, caller.account, name)
        if key in self.training_jobs:
            raise ResourceInUse(f"Training job names must be unique within an AWS account and"
                                f" region, and a training job with this name already exists"
                                f" ({arn})")
        definition = {k: v for k, v in params.items() if k not in ("TrainingJobName", "Tags")}
        job = TrainingJob(name=name, arn=arn, region=caller.region, account=caller.account,
                          definition=definition, created=self.now(),
                          tags=list(params.get("Tags") or []))
        self.training_jobs[key] = job
        if self.run_jobs:
            work_dir = self.work_dir / caller.account / caller.region / "training-jobs" / name
            self.training_runs[key] = TrainingRun(self, job, work_dir).start()
        return {"TrainingJobArn": arn}

    def _training_job(self, name: str, caller: Caller) -> TrainingJob:
        job = self.training_jobs.get((caller.account, caller.region, name))
        if job is None:
            raise ValidationError("Requested resource not found.")
        return job

    def op_describe_training_job(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        return self._training_job(params["TrainingJobName"], caller).describe()

    def op_list_training_jobs(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        if params.get("WarmPoolStatusEquals") or params.get("TrainingPlanArnEquals"):
            jobs: list[TrainingJob] = []  # the emulator has no warm pools or training plans
        else:
            jobs = _filtered(self.training_jobs, caller, params)
        sort = TRAINING_SORT[params.get("SortBy", "CreationTime")]
        return _listing(jobs, sort, params, "TrainingJobSummaries", lambda t: t.list_summary())

    def op_stop_training_job(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        job = self._training_job(params["TrainingJobName"], caller)
        if job.status not in ACTIVE:
            raise ValidationError(
                f"The request was rejected because the training job is in status {job.status}."
            )
        if job.status == IN_PROGRESS:
            now = self.now()
            job.mark_stopping(now)
            tuning = job.tuning_job
            if tuning is None:
                single = self.training_runs.get((job.account, job.region, job.name))
                if single is not None:
                    single.request_stop("Stopped by StopTrainingJob")
                else:  # never run (run_jobs=False): stopped at once
                    job.finish(STOPPED, "Stopped", now)
                return {}
            run = self.runs.get((tuning.account, tuning.region, tuning.name))
            if run is not None and job.trial_id is not None:
                run.request_trial_stop(job.trial_id, "Stopped by StopTrainingJob")
            elif run is None:
                job.finish(STOPPED, "Stopped", now)
        return {}

    # -- tags ------------------------------------------------------------------------------
    def op_list_tags(self, params: dict[str, Any], caller: Caller) -> dict[str, Any]:
        """The Tags of a tuning or training job, given at creation."""
        arn = params["ResourceArn"]
        jobs: list[TuningJob | TrainingJob] = [*self.tuning_jobs.values(),
                                               *self.training_jobs.values()]
        for job in jobs:
            if job.arn == arn and (job.account, job.region) == (caller.account, caller.region):
                tags = job.tags
                break
        else:
            raise ResourceNotFound(f"Resource {arn} not found.")
        chunk, token = page(tags, params, ["ResourceArn"])
        out: dict[str, Any] = {"Tags": chunk}
        if token:
            out["NextToken"] = token
        return out

    # -- used by the runner ----------------------------------------------------------------
    def register_training_job(self, job: TrainingJob) -> None:
        with self.lock:
            if job.tuning_job is not None:
                job.tuning_job.training_jobs.append(job)
            self.training_jobs[(job.account, job.region, job.name)] = job

    def run_finished(self, job: TuningJob) -> None:
        with self.lock:
            self.runs.pop((job.account, job.region, job.name), None)

    def training_run_finished(self, job: TrainingJob) -> None:
        with self.lock:
            self.training_runs.pop((job.account, job.region, job.name), None)


def _name_contains(name: str, params: dict[str, Any]) -> bool:
    text = params.get("NameContains")
    return not text or text.lower() in name.lower()


def _filtered(jobs: dict[tuple[str, str, str], Any], caller: Caller,
              params: dict[str, Any]) -> list[Any]:
    """The caller's jobs that pass a List call's name, status and time filters."""
    return [
        j
        for (account, region, _), j in jobs.items()
        if (account, region) == (caller.account, caller.region)
        and _name_contains(j.name, params)
        and params.get("StatusEquals", j.status) == j.status
        and within_times(j.created, j.modified, params)
    ]


def _listing(items: list[Any], sort: Callable[[Any], Any], params: dict[str, Any], key: str,
             summary: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
    """A List call's answer: sorted, one page of summaries under `key`, and NextToken."""
    chunk, token = page(_sorted(items, sort, params), params, _query_keys(params))
    out: dict[str, Any] = {key: [summary(item) for item in chunk]}
    if token:
        out["NextToken"] = token
    return out


def _sorted(items: list[Any], key: Callable[[Any], Any], params: dict[str, Any]) -> list[Any]:
    # Ties (and missing values) fall back to the name, so pages stay stable between calls.
    ordered = sorted(items, key=lambda j: j.name)
    ordered = sorted(ordered, key=lambda j: (key(j) is None, key(j) if key(j) is not None else 0))
    if params.get("SortOrder", "Ascending") == "Descending":
        ordered.reverse()
    return ordered


def _query_keys(params: dict[str, Any]) -> list[str]:
    return sorted(k for k in params if k not in ("NextToken", "MaxResults"))
