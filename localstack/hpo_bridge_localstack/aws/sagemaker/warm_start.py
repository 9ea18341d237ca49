"""Warm start (WarmStartConfig): the parent tuning jobs' training jobs inform a new one.

Both types (IdenticalDataAndAlgorithm and TransferLearning) hand the parents' training
jobs to the new job's run as prior trials (`hpo_bridge.tuning.build_tuner(prior=)`): the
searcher learns their results (Bayesian: added to its history) and the Auto early
stopping rule counts them among the previous training jobs. Their hyperparameters are
read in the new job's ranges (a static value of a parent may be tuned now, and the
other way round); a parent's job without a value for every range informs nothing.
Priors take negative trial ids, so they never collide with the new job's own trials.

DescribeHyperParameterTuningJob reports OverallBestTrainingJob, the best of this job's
and all its parents' training jobs, for IdenticalDataAndAlgorithm (objective values of
other data are not comparable: the member's own documentation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hpo_bridge_localstack.aws.sagemaker.checks import range_names
from hpo_bridge_localstack.aws.sagemaker.jobs import COMPLETED, STOPPED
from hpo_bridge_localstack.aws.sagemaker.training_job import TrainingJob
from hpo_bridge_localstack.aws.sagemaker.tuning_job import TuningJob

if TYPE_CHECKING:
    from hpo_bridge.core.trial import Trial



def lineage(parents: list[TuningJob]) -> list[TrainingJob]:
    """Every training job of the parents and of their own warm-start parents, once."""
    seen: set[str] = set()
    jobs: list[TrainingJob] = []
    for parent in parents:
        for job in parent.training_jobs + parent.parent_jobs:
            if job.arn not in seen:
                seen.add(job.arn)
                jobs.append(job)
    return jobs


def _typed(kind: str, text: str) -> Any:
    if kind == "IntegerParameterRanges":
        return int(float(text))
    if kind == "ContinuousParameterRanges":
        return float(text)
    return text


def _params(ranges: dict[str, Any], hyperparameters: dict[str, str]) -> dict[str, Any] | None:
    params: dict[str, Any] = {}
    for kind in ("IntegerParameterRanges", "ContinuousParameterRanges",
                 "CategoricalParameterRanges"):
        for r in ranges.get(kind) or []:
            text = hyperparameters.get(r["Name"])
            if text is None:
                return None
            try:
                params[r["Name"]] = _typed(kind, text)
            except ValueError:
                return None
    return params


def prior_trials(request: dict[str, Any], jobs: list[TrainingJob]) -> list[Trial]:
    """The parents' ended training jobs as core trials of the new job's search space."""
    from hpo_bridge.core.trial import Trial, TrialStatus

    config = request["HyperParameterTuningJobConfig"]
    definition = request.get("TrainingJobDefinition") or request["TrainingJobDefinitions"][0]
    ranges = config.get("ParameterRanges") or definition.get("HyperParameterRanges") or {}
    if not range_names(ranges):
        return []
    objective = (config.get("HyperParameterTuningJobObjective")
                 or definition.get("TuningObjective") or {}).get("MetricName", "")
    priors: list[Trial] = []
    for job in jobs:
        params = _params(ranges, job.hyperparameters)
        if params is None or job.status not in (COMPLETED, STOPPED):
            continue
        status = TrialStatus.FAILED
        if job.objective_status == "Succeeded":
            status = TrialStatus.COMPLETED if job.status == COMPLETED else TrialStatus.STOPPED
        values = list(job.objective_values)
        priors.append(Trial(id=-(len(priors) + 1), params=params, status=status,
                            values=values, metrics={objective: values} if values else {},
                            started_at=job.started, ended_at=job.ended))
    return priors
