"""Vega's objective files: the script writes `{"accuracy": 0.83}` to `./accuracy.json`.

One file per objective key, rewritten whole; it is read whenever it changes
and once more after the trial exits. A file caught mid-write is read again
later; one still unreadable after exit is an invalid report for its key.
"""

from __future__ import annotations

import json
from pathlib import Path

from hpo_bridge.metrics.base import RAW_LIMIT, Reading, parse_number
from hpo_bridge.metrics.file_state import ChangeWatch


class JsonFileSource:
    """`<key>.json` holding `{key: value}` (or a bare number) reports one value of `key`."""

    def __init__(self, path: Path, key: str) -> None:
        self.watch = ChangeWatch(path)
        self.key = key

    def read(self, final: bool = False) -> list[Reading]:
        got = self.watch.changed_text()
        if got is None:
            return []
        text, signature = got
        try:
            data = json.loads(text)
        except ValueError:
            if not final:
                return []
            self.watch.mark(signature)
            return [Reading(self.key, float("nan"), text[:RAW_LIMIT])]
        self.watch.mark(signature)
        if isinstance(data, dict):
            if self.key not in data:
                return [Reading(self.key, float("nan"), text[:RAW_LIMIT])]
            return [parse_number(self.key, data[self.key])]
        return [parse_number(self.key, data)]
