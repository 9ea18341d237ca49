"""The line `hpo_bridge.report(...)` prints: MARKER followed by one JSON object.

The marker is looked for anywhere in the line, because a script may have
printed text without a newline just before reporting; its `@@name@@` shape
does not occur in ordinary logs. Non-finite values travel as strings ('nan')
and come back as invalid readings naming the metric.
"""

from __future__ import annotations

import json

from hpo_bridge._report import MARKER
from hpo_bridge.metrics.base import Reading, parse_number

_DECODER = json.JSONDecoder()


class ReportLineParser:
    def parse(self, line: str) -> list[Reading]:
        at = line.find(MARKER)
        if at < 0:
            return []
        try:
            payload, _ = _DECODER.raw_decode(line, at + len(MARKER))
        except ValueError:
            return []  # a cut or garbled line names no metric: nothing to report
        if not isinstance(payload, dict):
            return []
        return [parse_number(str(name), value) for name, value in payload.items()]
