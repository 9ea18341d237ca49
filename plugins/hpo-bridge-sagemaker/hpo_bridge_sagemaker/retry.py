"""Which AWS errors are worth another try, and the jittered exponential backoff (tenacity).

Only throttling, server-side (5xx) and connection errors are retried: a validation or
access error fails the same way every time. botocore's own retries are switched off
(see `client_config`), so these are the only ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

T = TypeVar("T")

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
THROTTLING_STATUS = 429


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def status_code(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_retryable(exc: BaseException) -> bool:
    """Throttling, 5xx and connection errors (lost, closed, timed out): yes; anything else: no."""
    if isinstance(exc, ClientError):
        code, status = error_code(exc), status_code(exc)
        return (
            code in THROTTLING_CODES
            or code in TRANSIENT_CODES
            or status == THROTTLING_STATUS
            or status >= 500
        )
    # EndpointConnectionError, ConnectTimeoutError (ConnectionError); ConnectionClosedError,
    # ReadTimeoutError (HTTPClientError).
    return isinstance(exc, ConnectionError | HTTPClientError)


def client_config(region: str | None) -> Config:
    # One attempt per botocore call: tenacity does the retrying, with its own backoff.
    # (botocore's `max_attempts` counts retries after the first try; `total_max_attempts`
    # counts every try, so 1 means no botocore retry at all.)
    return Config(region_name=region, retries={"total_max_attempts": 1, "mode": "standard"})


@dataclass
class RetryPolicy:
    """Jittered exponential backoff: a random wait in [0, min(max_wait, base * 2**n)]."""

    attempts: int = 8
    base: float = 0.5
    max_wait: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def call(self, fn: Callable[..., T], *args: Any,
             on_retry: Callable[[BaseException], None] | None = None, **kwargs: Any) -> T:
        def before_sleep(state: Any) -> None:
            if on_retry is not None and state.outcome is not None:
                exc = state.outcome.exception()
                if exc is not None:
                    on_retry(exc)

        retrying = Retrying(
            retry=retry_if_exception(is_retryable),
            wait=wait_random_exponential(multiplier=self.base, max=self.max_wait),
            stop=stop_after_attempt(self.attempts),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(fn, *args, **kwargs)
