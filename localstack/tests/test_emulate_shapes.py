"""Every response of every operation the emulator serves, checked against botocore's output
shape: required members, types, unknown members (in the raw body, before botocore's parser
drops them), enums, maxima and patterns. The jobs go through every state a response can
describe: in progress, completed, failed, stopped, warm-started, single training jobs."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from typing import Any

import pytest
from aws_clients import LOG_GROUP, wait_for_training_job, wait_for_tuning_job
from hpo_bridge_localstack.aws.sagemaker.service import SERVED_OPERATIONS, sagemaker_model
from hpo_bridge_localstack.aws.validation import request_problems
from hpo_bridge_localstack.testing import sagemaker_emulator, upload_code
from test_emulate_sagemaker_rules import TRAIN, training_request, tuning_request

# Operations the emulator answers itself outside SageMaker: (service, operation).
OTHER_SERVED = [("logs", "FilterLogEvents")]


class Recorder:
    """Every (parsed, raw) response per operation, taken from a real client's calls."""

    def __init__(self) -> None:
        self.responses: dict[tuple[str, str], list[tuple[Any, Any]]] = defaultdict(list)
        self._raw: dict[int, Any] = {}

    def attach(self, client: Any) -> Any:
        service = client.meta.service_model.service_name

        def after(http_response: Any, parsed: Any, model: Any, **_: Any) -> None:
            if http_response.status_code == 200:
                raw = json.loads(http_response.content or b"{}")
                body = {k: v for k, v in parsed.items() if k != "ResponseMetadata"}
                self.responses[(service, model.name)].append((body, raw))

        client.meta.events.register(f"after-call.{service}", after)
        return client


def problems(service_model: Any, operation: str, value: Any) -> list[str]:
    shape = service_model.operation_model(operation).output_shape
    if shape is None:
        return [] if not value else [f"no output expected, got {value!r}"]
    return request_problems(value, shape)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Recorder:
    recorder = Recorder()
    release = tmp_path_factory.mktemp("shapes") / "release"  # lets stopped jobs end
    with sagemaker_emulator() as emu:
        sm = recorder.attach(emu.client("sagemaker"))
        logs = recorder.attach(emu.client("logs"))
        code = upload_code(emu.client("s3"), "rules-bucket", "code/sourcedir.tar.gz",
                           {"train.py": TRAIN})

        def tuning(name: str, **kwargs: Any) -> dict[str, Any]:
            request = tuning_request(code, name=name, **kwargs)
            sm.create_hyper_parameter_tuning_job(**request)
            return request

        tuning("shapes-done", values={"curve": ["0.5,0.7", "0.9"]}, early="Auto")
        tuning("shapes-fail", values={"curve": ["0.1"]}, statics={"fail": "yes"})
        for name in ("shapes-done", "shapes-fail"):
            wait_for_tuning_job(sm, name)
        warm = tuning_request(code, {"curve": ["0.6"]}, name="shapes-warm")
        warm["WarmStartConfig"] = {"WarmStartType": "IdenticalDataAndAlgorithm",
                                   "ParentHyperParameterTuningJobs": [
                                       {"HyperParameterTuningJobName": "shapes-done"}]}
        sm.create_hyper_parameter_tuning_job(**warm)
        tuning("shapes-held", values={"curve": ["0.3"]},
               statics={"hold": "60", "release": str(release)})
        sm.create_training_job(**training_request(code, "shapes-single", curve="0.2"))
        sm.create_training_job(**training_request(code, "shapes-single-fail", fail="yes"))
        sm.create_training_job(**training_request(code, "shapes-single-held", hold="60",
                                                  release=str(release)))

        def describe_everything() -> None:
            for page in sm.get_paginator("list_hyper_parameter_tuning_jobs").paginate(
                    PaginationConfig={"PageSize": 2}):
                for job in page["HyperParameterTuningJobSummaries"]:
                    name = job["HyperParameterTuningJobName"]
                    sm.describe_hyper_parameter_tuning_job(HyperParameterTuningJobName=name)
                    sm.list_tags(ResourceArn=job["HyperParameterTuningJobArn"])
                    for listed in sm.get_paginator(
                            "list_training_jobs_for_hyper_parameter_tuning_job").paginate(
                            HyperParameterTuningJobName=name,
                            PaginationConfig={"PageSize": 1}):
                        for training in listed["TrainingJobSummaries"]:
                            sm.describe_training_job(
                                TrainingJobName=training["TrainingJobName"])
            for page in sm.get_paginator("list_training_jobs").paginate(
                    PaginationConfig={"PageSize": 3}):
                for job in page["TrainingJobSummaries"]:
                    sm.describe_training_job(TrainingJobName=job["TrainingJobName"])
                    sm.list_tags(ResourceArn=job["TrainingJobArn"])

        describe_everything()  # some jobs still in progress
        # Stopping lasts while a training job runs: wait for the held one to be running.
        deadline = time.monotonic() + 120
        while not any(j["TrainingJobStatus"] == "InProgress" for j in
                      sm.list_training_jobs_for_hyper_parameter_tuning_job(
                          HyperParameterTuningJobName="shapes-held")["TrainingJobSummaries"]):
            assert time.monotonic() < deadline, "the held training job never started"
            time.sleep(0.05)
        sm.stop_hyper_parameter_tuning_job(HyperParameterTuningJobName="shapes-held")
        sm.stop_training_job(TrainingJobName="shapes-single-held")
        describe_everything()  # stopping: the held scripts wait for `release`
        release.touch()
        for name in ("shapes-warm", "shapes-held"):
            wait_for_tuning_job(sm, name)
        for name in ("shapes-single", "shapes-single-fail", "shapes-single-held"):
            wait_for_training_job(sm, name)
        describe_everything()  # all ended
        logs.filter_log_events(logGroupName=LOG_GROUP, logStreamNamePrefix="shapes-single/")
        logs.filter_log_events(logGroupName=LOG_GROUP, logStreamNamePrefix="shapes-")
    return recorder


def test_every_served_operation_was_called(recorded):
    called = {operation for (_, operation) in recorded.responses}
    assert called >= set(SERVED_OPERATIONS) | {op for _, op in OTHER_SERVED}


@pytest.mark.parametrize("operation", [*SERVED_OPERATIONS, *(op for _, op in OTHER_SERVED)])
def test_every_response_matches_the_output_shape(recorded, operation):
    import botocore.session

    service = next((s for s, op in OTHER_SERVED if op == operation), "sagemaker")
    model = (sagemaker_model() if service == "sagemaker"
             else botocore.session.get_session().get_service_model(service))
    answers = recorded.responses[(service, operation)]
    assert answers, f"{operation} was never called"
    for parsed, raw in answers:
        assert problems(model, operation, parsed) == [], parsed
        assert problems(model, operation, raw) == [], raw


def test_the_walk_saw_every_state(recorded):
    described = [p for p, _ in recorded.responses[("sagemaker",
                                                   "DescribeHyperParameterTuningJob")]]
    assert {d["HyperParameterTuningJobStatus"] for d in described} == {
        "InProgress", "Completed", "Failed", "Stopping", "Stopped"}
    assert any("OverallBestTrainingJob" in d for d in described)
    trainings = [p for p, _ in recorded.responses[("sagemaker", "DescribeTrainingJob")]]
    assert {d["TrainingJobStatus"] for d in trainings} == {
        "InProgress", "Completed", "Failed", "Stopping", "Stopped"}
    assert any("TuningJobArn" not in d for d in trainings)
    listed = recorded.responses[("sagemaker", "ListTrainingJobsForHyperParameterTuningJob")]
    assert any("NextToken" in p for p, _ in listed)


def test_a_broken_response_is_caught():
    """The check itself: a missing required member, an unknown one, a bad enum."""
    model = sagemaker_model()
    assert problems(model, "DescribeTrainingJob", {"TrainingJobName": "x"})
    good = {"TrainingJobName": "x",
            "TrainingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:training-job/x",
            "ModelArtifacts": {"S3ModelArtifacts": "s3://b/k"}, "TrainingJobStatus": "Completed",
            "SecondaryStatus": "Completed", "StoppingCondition": {}, "CreationTime": 1.0}
    assert problems(model, "DescribeTrainingJob", good) == []
    assert problems(model, "DescribeTrainingJob", {**good, "Surprise": 1})
    assert problems(model, "DescribeTrainingJob", {**good, "TrainingJobStatus": "Done"})
