"""MetricDefinitions: a named regex whose one capture group is the value (SageMaker's semantics).

Each definition is searched in every log line, stdout and stderr alike; the
first match in a line is one report. A capture that is not a finite number
(empty, `nan`, `1.2.3`) is an invalid report, not a skipped line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from hpo_bridge.metrics.base import Reading, parse_number


class RegexExtractor:
    def __init__(self, definitions: Iterable[Any]) -> None:
        """`definitions`: objects with `.name` and `.regex` (the spec's MetricDefinition)."""
        self._patterns = [(d.name, re.compile(d.regex)) for d in definitions]

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def parse(self, line: str) -> list[Reading]:
        readings = []
        for name, pattern in self._patterns:
            match = pattern.search(line)
            if match is not None:
                readings.append(parse_number(name, match.group(1) or ""))
        return readings
