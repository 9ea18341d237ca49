"""Handing devices (GPU ids, NPU ids) to running trials, round-robin."""

from __future__ import annotations

from collections.abc import Sequence


class DevicePool:
    """Each running trial gets its own device; with `share`, the least loaded one.

    Ties go round-robin from after the last device handed out, so successive
    trials spread over all devices rather than reusing the first free one.
    """

    def __init__(self, devices: Sequence[int | str], share: bool = False) -> None:
        self.devices = [str(d) for d in devices]
        self.share = share
        self._load = [0] * len(self.devices)
        self._next = 0

    def acquire(self) -> str:
        n = len(self.devices)
        order = [(self._next + k) % n for k in range(n)]
        index = min(order, key=lambda i: self._load[i])
        if self._load[index] and not self.share:
            raise RuntimeError(
                f"all {n} device(s) are busy; trial.share_devices allows sharing them"
            )
        self._load[index] += 1
        self._next = (index + 1) % n
        return self.devices[index]

    def release(self, device: str) -> None:
        index = self.devices.index(device)
        if self._load[index] > 0:
            self._load[index] -= 1

    def busy(self) -> int:
        return sum(1 for load in self._load if load)
