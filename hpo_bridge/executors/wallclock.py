"""The real clock for executors that run real processes (the core never reads time itself)."""

from __future__ import annotations

import time


class MonotonicClock:
    def now(self) -> float:
        return time.monotonic()
