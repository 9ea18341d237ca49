"""A log file (stdout or stderr) as a metric channel: new lines through line parsers."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from hpo_bridge.metrics.base import LineParser, Reading
from hpo_bridge.metrics.lines import MAX_LINE, LineReader


class LogSource:
    def __init__(
        self, path: Path, parsers: Sequence[LineParser], max_line: int = MAX_LINE
    ) -> None:
        self.reader = LineReader(path, max_line=max_line)
        self.parsers = list(parsers)

    def read(self, final: bool = False) -> list[Reading]:
        if not self.parsers:
            return []  # nothing to look for: do not even read
        lines = self.reader.read_lines(final)
        readings: list[Reading] = []
        for line in lines:
            for parser in self.parsers:
                readings.extend(parser.parse(line))
        return readings

    @property
    def more(self) -> bool:
        """The last read stopped at its budget (see metrics/lines.py)."""
        return self.reader.more

    def close(self) -> None:
        self.reader.close()
