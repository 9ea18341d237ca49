"""The metric file cloudml-hypertune writes (Vertex AI, AI Platform Training).

The package rewrites the whole file on every report: one JSON object per line,
the last 100 reports, values as strings, e.g.
`{"accuracy": "0.91", "checkpoint_path": "", "global_step": "100", "timestamp": 1795.2,
"trial": "7"}`. Offsets are useless on a rewritten file, so new entries are
found after the last entry already seen; if that one has left the window
(over 100 reports between two reads), by timestamp.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hpo_bridge.metrics.base import Reading, parse_number
from hpo_bridge.metrics.file_state import ChangeWatch

DEFAULT_METRIC = "training/hptuning/metric"
RESERVED = frozenset({"timestamp", "trial", "global_step", "checkpoint_path"})


class HypertuneSource:
    def __init__(self, path: Path) -> None:
        self.watch = ChangeWatch(path)
        self._last: dict[str, Any] | None = None

    def read(self, final: bool = False) -> list[Reading]:
        got = self.watch.changed_text()
        if got is None:
            return []
        text, signature = got
        # A line that does not parse means the file was caught mid-rewrite: the next
        # read sees it whole. After exit, a cut last line (killed mid-write) is dropped.
        entries = _parse(text, lenient=final)
        if entries is None:
            return []
        self.watch.mark(signature)
        new = self._new_entries(entries)
        if new:
            self._last = new[-1]
        return [reading for entry in new for reading in _readings(entry)]

    def _new_entries(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self._last is None:
            return entries
        for i in range(len(entries) - 1, -1, -1):
            if entries[i] == self._last:
                return entries[i + 1 :]
        last_time = _timestamp(self._last)
        return [e for e in entries if _timestamp(e) > last_time]


def _parse(text: str, lenient: bool) -> list[dict[str, Any]] | None:
    entries = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            entry = None
        if not isinstance(entry, dict):
            if lenient:
                continue
            return None
        entries.append(entry)
    return entries


def _timestamp(entry: dict[str, Any]) -> float:
    try:
        return float(entry.get("timestamp", 0.0))
    except (TypeError, ValueError):
        return 0.0


def _readings(entry: dict[str, Any]) -> list[Reading]:
    return [parse_number(tag, value) for tag, value in entry.items() if tag not in RESERVED]
