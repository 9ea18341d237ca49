"""Retrying cloud calls: jittered exponential backoff on tenacity, for the errors worth it.

Which errors are worth another try is the cloud's to say (throttling, 5xx, dropped
connections: yes; a refused request or missing permission: never); the backend gives that
predicate, the policy does the waiting. One policy for every cloud, so "retried" means the
same thing everywhere and tests can count attempts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

T = TypeVar("T")


def never(exc: BaseException) -> bool:
    return False


@dataclass
class RetryPolicy:
    """A random wait in [0, min(max_wait, base * 2**n)] between `attempts` tries of calls
    that fail with an error `is_retryable` accepts."""

    attempts: int = 8
    base: float = 0.5
    max_wait: float = 20.0
    sleep: Callable[[float], None] = field(default=time.sleep)
    is_retryable: Callable[[BaseException], bool] = field(default=never)

    def with_predicate(self, is_retryable: Callable[[BaseException], bool]) -> RetryPolicy:
        """This policy's timing with a cloud's own "is this retryable" predicate."""
        return RetryPolicy(self.attempts, self.base, self.max_wait, self.sleep, is_retryable)

    def call(self, fn: Callable[..., T], *args: Any,
             on_retry: Callable[[BaseException], None] | None = None, **kwargs: Any) -> T:
        def before_sleep(state: Any) -> None:
            if on_retry is not None and state.outcome is not None:
                exc = state.outcome.exception()
                if exc is not None:
                    on_retry(exc)

        retrying = Retrying(
            retry=retry_if_exception(self.is_retryable),
            wait=wait_random_exponential(multiplier=self.base, max=self.max_wait),
            stop=stop_after_attempt(self.attempts),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(fn, *args, **kwargs)
