"""Fault injection and call counting: the retry tests and the API-cost benchmark lean on them.

A fault applies to the first COUNT calls of one operation (or of every operation with `*`).
Its kind is generic; each front end answers it in its cloud's own error shape:
`throttle` (the cloud's rate limiting: AWS 400 ThrottlingException, Google 429
RESOURCE_EXHAUSTED, ...), `error` (an internal error of the service), `deny` (a caller without
the permission) and `drop` (the connection is closed without an answer; the framework does
that itself). Operation names are the front end's (`CreateHyperParameterTuningJob`,
`s3:PUT`, ...). Calls the emulator makes to itself are never counted or faulted.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

THROTTLE, ERROR, DENY, DROP = "throttle", "error", "deny", "drop"
FAULT_KINDS = (THROTTLE, ERROR, DENY, DROP)
ANY_OPERATION = "*"


class FaultSpecError(ValueError):
    """A fault given as text does not read OP:KIND:COUNT."""


@dataclass
class Fault:
    operation: str
    kind: str
    remaining: int

    @classmethod
    def parse(cls, text: str) -> Fault:
        parts = text.split(":")
        if len(parts) != 3:
            raise FaultSpecError(f"--fault {text!r}: expected OPERATION:KIND:COUNT")
        operation, kind, count = (p.strip() for p in parts)
        return cls.make(operation, kind, count, label=f"--fault {text!r}")

    @classmethod
    def make(cls, operation: str, kind: str, count: int | str, label: str = "fault") -> Fault:
        if not operation:
            raise FaultSpecError(f"{label}: the operation is empty (use * for every operation)")
        if kind not in FAULT_KINDS:
            raise FaultSpecError(f"{label}: kind must be one of {', '.join(FAULT_KINDS)}")
        try:
            number = int(count)
        except (TypeError, ValueError):
            raise FaultSpecError(f"{label}: count must be a whole number") from None
        if number < 1:
            raise FaultSpecError(f"{label}: count must be at least 1")
        return cls(operation, kind, number)


class FaultPlan:
    """Faults still to inject, consumed call by call (thread-safe)."""

    def __init__(self, faults: list[Fault] | None = None) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = list(faults or [])
        self.injected: Counter[str] = Counter()

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, operation: str) -> str | None:
        """The fault kind to inject into this call, if any (and count it as spent)."""
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fault.operation in (operation, ANY_OPERATION):
                    fault.remaining -= 1
                    self.injected[f"{operation}:{fault.kind}"] += 1
                    return fault.kind
        return None

    def pending(self) -> list[dict[str, object]]:
        with self._lock:
            return [
                {"operation": f.operation, "kind": f.kind, "remaining": f.remaining}
                for f in self._faults
                if f.remaining > 0
            ]


class CallStats:
    """API calls received, per operation (the names the front end gives its calls)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()

    def record(self, operation: str) -> None:
        with self._lock:
            self._calls[operation] += 1

    def reset(self) -> None:
        with self._lock:
            self._calls.clear()

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._calls.items()))

    def total(self) -> int:
        with self._lock:
            return sum(self._calls.values())
