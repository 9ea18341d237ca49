"""Retry classification with real botocore errors, and the backoff policy."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.parsers import create_parser
from hpo_bridge_sagemaker.backend import SageMakerBackend
from hpo_bridge_sagemaker.errors import client_config, is_retryable
from hpo_bridge_sagemaker.service_model import service_model

from hpo_bridge.backends import RetryPolicy


def sagemaker_policy(**timing) -> RetryPolicy:
    """The kit's policy as the SageMaker backend uses it (with SageMaker's predicate)."""
    return SageMakerBackend(retry=RetryPolicy(**timing)).retry

OPERATION = "CreateHyperParameterTuningJob"


def client_error(code: str, status: int, message: str = "m") -> ClientError:
    """A ClientError parsed by botocore's own JSON-protocol parser from an HTTP answer."""
    parser = create_parser(service_model().protocol)
    body = json.dumps({"__type": code, "message": message}).encode()
    parsed = parser.parse(
        {"status_code": status, "headers": {"x-amzn-requestid": "r"}, "body": body},
        service_model().operation_model(OPERATION).output_shape,
    )
    return ClientError(parsed, OPERATION)


URL = "https://api.sagemaker.us-east-1.amazonaws.com/"
RETRYABLE = [
    client_error("ThrottlingException", 400, "Rate exceeded"),
    client_error("TooManyRequestsException", 429),
    client_error("SomethingNew", 429),
    client_error("InternalFailure", 500),
    client_error("ServiceUnavailable", 503),
    client_error("InternalServerError", 502),
    EndpointConnectionError(endpoint_url=URL),
    ConnectionClosedError(endpoint_url=URL),
    ReadTimeoutError(endpoint_url=URL),
    ConnectTimeoutError(endpoint_url=URL),
]
NOT_RETRYABLE = [
    client_error("ValidationException", 400, "1 validation error detected"),
    client_error("AccessDeniedException", 400, "not authorized"),
    client_error("ResourceInUse", 400, "already exists"),
    client_error("ResourceNotFound", 400),
    client_error("ResourceLimitExceeded", 400),
    client_error("UnrecognizedClientException", 400),
    NoCredentialsError(),
    ValueError("a bug"),
]


def test_errors_parse_to_their_real_codes():
    error = RETRYABLE[0]
    assert error.response["Error"]["Code"] == "ThrottlingException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("exc", RETRYABLE, ids=lambda e: type(e).__name__ + str(e)[:30])
def test_throttling_5xx_and_connection_errors_are_retried(exc):
    assert is_retryable(exc)


@pytest.mark.parametrize("exc", NOT_RETRYABLE, ids=lambda e: type(e).__name__ + str(e)[:30])
def test_validation_access_and_state_errors_are_not(exc):
    assert not is_retryable(exc)


class Flaky:
    def __init__(self, errors: list[BaseException]):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return {"ok": kwargs}


def test_retries_until_success_with_jittered_exponential_waits():
    waits: list[float] = []
    policy = sagemaker_policy(attempts=5, base=1.0, max_wait=3.0, sleep=waits.append)
    flaky = Flaky([client_error("ThrottlingException", 400),
                   ConnectionClosedError(endpoint_url=URL),
                   client_error("InternalFailure", 500)])
    seen: list[BaseException] = []
    assert policy.call(flaky, on_retry=seen.append, x=1) == {"ok": {"x": 1}}
    assert flaky.calls == 4 and len(waits) == 3 and len(seen) == 3
    # wait n is random in [0, min(max_wait, base * 2**n)]
    for n, wait in enumerate(waits, start=1):
        assert 0 <= wait <= min(3.0, 1.0 * 2**n)


def test_a_validation_error_is_raised_at_once():
    waits: list[float] = []
    flaky = Flaky([client_error("ValidationException", 400)])
    with pytest.raises(ClientError, match="ValidationException"):
        sagemaker_policy(sleep=waits.append).call(flaky)
    assert flaky.calls == 1 and waits == []


def test_gives_up_after_the_last_attempt_with_the_last_error():
    flaky = Flaky([client_error("ThrottlingException", 400)] * 3)
    with pytest.raises(ClientError, match="ThrottlingException"):
        sagemaker_policy(attempts=3, sleep=lambda _: None).call(flaky)
    assert flaky.calls == 3


def test_botocore_retries_are_off():
    config = client_config("eu-west-1")
    assert config.retries["total_max_attempts"] == 1
    assert config.region_name == "eu-west-1"
