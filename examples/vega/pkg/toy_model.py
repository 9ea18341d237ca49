"""The training project's code, found through pkg_path (Vega adds it to PYTHONPATH)."""

import math


def accuracy(lr: float, momentum: float, epochs: int, pretrained: bool) -> float:
    """A deterministic stand-in for training: best near lr = 0.005, better with epochs."""
    distance = (math.log10(lr) - math.log10(0.005)) ** 2
    bonus = 0.02 if pretrained else 0.0
    return round(0.9 + bonus - 0.3 * distance - 0.1 / epochs - 0.05 * abs(momentum - 0.9), 6)
