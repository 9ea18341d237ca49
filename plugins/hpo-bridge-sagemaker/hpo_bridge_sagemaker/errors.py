"""What a boto3/botocore exception means for the kit: retry it, or tell the user what is wrong.

Only throttling, server-side (5xx) and connection errors are retried: a validation or
access error fails the same way every time. botocore's own retries are switched off (see
`client_config`), so the kit's retry policy makes the only ones.
"""

from __future__ import annotations

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    HTTPClientError,
    NoCredentialsError,
    PartialCredentialsError,
)

from hpo_bridge.backends import CloudError, ErrorKind

# Error codes AWS services use for "slow down" (SageMaker: ThrottlingException).
THROTTLING_CODES = frozenset({
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
    "TooManyRequestsException", "RequestThrottled", "SlowDown", "RequestLimitExceeded",
    "ProvisionedThroughputExceededException", "BandwidthLimitExceeded",
    "PriorRequestNotComplete", "EC2ThrottledException",
})
# Codes of transient server-side failures that may come with a 4xx status.
TRANSIENT_CODES = frozenset({
    "InternalError", "InternalFailure", "InternalServerError", "ServiceUnavailable",
    "ServiceUnavailableException", "RequestTimeout", "RequestTimeoutException",
})
# Codes that mean "you may not", answered with a hint rather than a retry.
ACCESS_CODES = frozenset({
    "AccessDenied", "AccessDeniedException", "UnrecognizedClientException",
    "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException",
    "InvalidSignatureException", "SignatureDoesNotMatch",
})
NOT_FOUND_CODES = frozenset({"ResourceNotFound", "NoSuchKey", "NoSuchBucket",
                             "ResourceNotFoundException"})
THROTTLING_STATUS = 429


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def status_code(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_retryable(exc: BaseException) -> bool:
    """Throttling, 5xx and connection errors (lost, closed, timed out): yes; anything else: no."""
    if isinstance(exc, ClientError):
        code, status = error_code(exc), status_code(exc)
        return (code in THROTTLING_CODES or code in TRANSIENT_CODES
                or status == THROTTLING_STATUS or status >= 500)
    # EndpointConnectionError, ConnectTimeoutError (ConnectionError); ConnectionClosedError,
    # ReadTimeoutError (HTTPClientError).
    return isinstance(exc, ConnectionError | HTTPClientError)


def classify(exc: BaseException) -> CloudError | None:
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CloudError(ErrorKind.CREDENTIALS, type(exc).__name__, str(exc))
    if is_retryable(exc):
        code = error_code(exc) if isinstance(exc, ClientError) else type(exc).__name__
        return CloudError(ErrorKind.RETRYABLE, code, str(exc))
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = str(exc.response.get("Error", {}).get("Message", ""))
        kind = (ErrorKind.ACCESS if code in ACCESS_CODES
                else ErrorKind.CONFLICT if code == "ResourceInUse"
                else ErrorKind.NOT_FOUND if code in NOT_FOUND_CODES
                else ErrorKind.INVALID if code == "ValidationException"
                else ErrorKind.OTHER)
        return CloudError(kind, code, message)
    if isinstance(exc, BotoCoreError):  # e.g. a connection error once the retries are spent
        return CloudError(ErrorKind.OTHER, type(exc).__name__, str(exc))
    return None


def client_config(region: str | None) -> Config:
    # One attempt per botocore call: the kit does the retrying, with its own backoff.
    # (botocore's `max_attempts` counts retries after the first try; `total_max_attempts`
    # counts every try, so 1 means no botocore retry at all.)
    return Config(region_name=region, retries={"total_max_attempts": 1, "mode": "standard"})
