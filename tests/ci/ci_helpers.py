"""Helpers of the CI tests: a small simulated table study and spec files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

# A table study (tests/ci/studies.py): trial 1 completes at 0.8, trial 2 at 0.96, trial 3
# is stopped by the median rule at its first interval, trial 4 exits without reporting,
# trial 5 reports NaN.
TABLE = {
    "metric": "accuracy", "seconds_per_interval": 1.0,
    "rows": [
        {"params": {"curve": "A"}, "values": [0.5, 0.6, 0.7, 0.8],
         "metrics": {"loss": [0.9, 0.8, 0.7, 0.6]}},
        {"params": {"curve": "B"}, "values": [0.9, 0.92, 0.95, 0.96],
         "metrics": {"loss": [0.5, 0.4, 0.3, 0.2]}},
        {"params": {"curve": "C"}, "values": [0.1, 0.1, 0.1, 0.1]},
        {"params": {"curve": "D"}, "values": []},
        {"params": {"curve": "E"}, "values": [float("nan")]},
    ],
}
TABLE_SPEC: dict[str, Any] = {
    "name": "table_study",
    "objective": {"metric": "accuracy", "goal": "maximize"},
    "search_space": {"curve": {"type": "categorical", "values": ["A", "B", "C", "D", "E"]}},
    "strategy": {"algorithm": "grid"},
    "early_stopping": {"policy": "median", "delay_evaluation": 1},
    "limits": {"max_failed": 3},
}


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path
