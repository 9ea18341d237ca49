"""A synthetic learning-curve table: `configs` configurations x `epochs` epochs.

Each configuration's validation accuracy follows a saturating power law,
acc(e) = top - gap * e**(-rate), with its own top, gap and rate drawn from a
fixed seed, so curves cross (a slow starter can end best), which is what makes
early stopping non-trivial. The table has the simulator's table format.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def learning_curves(
    configs: int = 100, epochs: int = 27, seed: int = 0, seconds_per_interval: float = 30.0
) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    tops = rng.uniform(0.70, 0.96, configs)
    gaps = rng.uniform(0.15, 0.60, configs)
    rates = rng.uniform(0.3, 1.5, configs)
    e = np.arange(1, epochs + 1, dtype=float)
    rows = []
    for i in range(configs):
        curve = tops[i] - gaps[i] * e ** (-rates[i])
        rows.append({"params": {"config": i}, "values": [round(float(v), 6) for v in curve]})
    return {"metric": "accuracy", "seconds_per_interval": seconds_per_interval, "rows": rows}
