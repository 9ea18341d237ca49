"""Metric history of one run in an MLflow file store, read incrementally.

The file store keeps one append-only file per metric under
`<experiment>/<run>/metrics/<name>` (a name with `/` becomes folders), one
`<timestamp_ms> <value> <step>` line per `log_metric` call. Reading these with
offsets costs only the new bytes per poll, where `MlflowClient.get_metric_history`
would re-read and re-parse every file's whole history each time (and need
mlflow imported in the orchestrator just to poll).
"""

from __future__ import annotations

import os
from pathlib import Path

from hpo_bridge.metrics.base import Reading, parse_number
from hpo_bridge.metrics.lines import LineReader


class MlflowFileStoreSource:
    def __init__(self, metrics_dir: Path) -> None:
        self.metrics_dir = Path(metrics_dir)
        self._readers: dict[str, LineReader] = {}

    def read(self, final: bool = False) -> list[Reading]:
        self._discover()
        entries: list[tuple[int, int, int, Reading]] = []
        order = 0
        for name, reader in self._readers.items():
            for line in reader.read_lines(final):
                parsed = _parse_line(name, line)
                if parsed is not None:
                    timestamp, step, reading = parsed
                    entries.append((timestamp, step, order, reading))
                    order += 1
        # Several metrics logged in one poll interval come back in logging order.
        entries.sort(key=lambda e: (e[0], e[1], e[2]))
        return [e[3] for e in entries]

    @property
    def more(self) -> bool:
        """Some metric file's last read stopped at its budget (see metrics/lines.py)."""
        return any(reader.more for reader in self._readers.values())

    def close(self) -> None:
        for reader in self._readers.values():
            reader.close()

    def _discover(self) -> None:
        if not self.metrics_dir.is_dir():
            return
        for folder, _dirs, files in os.walk(self.metrics_dir):
            for filename in files:
                path = Path(folder) / filename
                name = path.relative_to(self.metrics_dir).as_posix()
                if name not in self._readers:
                    self._readers[name] = LineReader(path)


def _parse_line(name: str, line: str) -> tuple[int, int, Reading] | None:
    parts = line.split()
    if len(parts) < 2:
        return None  # not a metric record (a line being written is not returned yet)
    try:
        timestamp = int(parts[0])
        step = int(parts[2]) if len(parts) > 2 else 0
    except ValueError:
        return None
    return timestamp, step, parse_number(name, parts[1])
