"""A training job's metric curves, read from its log the way SageMaker reads them.

SageMaker finds each metric of a tuning job by its MetricDefinitions: a regex with one
capture group, searched in every line the training job logs (to CloudWatch). Its API
then gives only the final value of each metric; every earlier value is still in the
log. `read_curves` applies the job's own definitions to the log's lines, in order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


def compile_definitions(definitions: Sequence[Mapping[str, Any]]) -> list[tuple[str, re.Pattern]]:
    """(name, pattern) per definition; one Python cannot compile is left out."""
    out = []
    for item in definitions:
        try:
            out.append((str(item["Name"]), re.compile(str(item["Regex"]))))
        except (KeyError, re.error):
            continue
    return out


def read_curves(lines: Iterable[str], definitions: Sequence[tuple[str, re.Pattern]]
                ) -> dict[str, list[float]]:
    """Every value of each metric, in log order (one per line that matches)."""
    curves: dict[str, list[float]] = {}
    for message in lines:
        for line in message.splitlines():  # one log event may hold several lines
            for name, pattern in definitions:
                match = pattern.search(line)
                if match is None or not match.groups():
                    continue
                try:
                    value = float(match.group(1))
                except (TypeError, ValueError):
                    continue
                if math.isfinite(value):
                    curves.setdefault(name, []).append(value)
    return curves
