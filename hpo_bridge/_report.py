"""`hpo_bridge.report(**metrics)`: the helper a training script calls.

Standard library only, so a training script can import it without pulling
pydantic, optuna or anything heavy. It prints one line on stdout:

    @@hpo-bridge:report@@ {"accuracy": 0.91}

The marker starts the line and carries the tool's name between two `@@`,
which no ordinary log line does; the rest is one JSON object.
"""

from __future__ import annotations

import json
import math
import sys
from typing import Any

MARKER = "@@hpo-bridge:report@@ "


def report(**metrics: Any) -> None:
    """Report metric values of the current interval, e.g. report(accuracy=0.91, loss=0.3)."""
    if not metrics:
        raise TypeError("report() needs at least one metric, e.g. report(accuracy=0.9)")
    clean: dict[str, Any] = {}
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(value)  # numpy scalars, tensors with __float__
            except (TypeError, ValueError):
                raise TypeError(f"metric {name!r} must be a number, got {value!r}") from None
        # JSON has no nan/inf: they travel as strings and the reader rejects them by name.
        clean[name] = value if math.isfinite(value) else repr(float(value))
    line = MARKER + json.dumps(clean, separators=(",", ":")) + "\n"
    sys.stdout.write(line)
    sys.stdout.flush()
