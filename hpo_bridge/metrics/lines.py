"""Reading a growing log file line by line from where the last read stopped.

Only the bytes appended since the last call are read, at most `budget` bytes per
call, final or not: a trial that printed gigabytes is read over many calls, never
at once (`more` says the last call stopped at its budget). A partial last line is
kept until its newline arrives, up to `max_line` bytes: a longer line (a
progress bar without newlines, an 8 MB dump) is dropped whole while the reader
stays aligned on the next newline, so memory stays bounded.
"""

from __future__ import annotations

import os
from pathlib import Path

MAX_LINE = 1 << 20  # 1 MiB: far beyond any metric line, small enough to hold
CHUNK = 1 << 16
BUDGET = 1 << 20  # bytes per read: one chatty trial cannot stall a poll or fill memory


class LineReader:
    """Incremental reader of one append-only text file."""

    def __init__(self, path: Path, max_line: int = MAX_LINE, budget: int = BUDGET) -> None:
        self.path = Path(path)
        self.max_line = max_line
        self.budget = budget
        self.offset = 0
        self.skipped_lines = 0  # lines longer than max_line, dropped
        self.more = False  # the last read stopped at its budget: more bytes may be waiting
        self._partial = bytearray()
        self._skipping = False
        self._fd: int | None = None

    def read_lines(self, final: bool = False) -> list[str]:
        """Complete lines appended since the last call, up to `budget` bytes of them;
        `final` (the writer has exited) also ends the last partial line once the file
        has been read to its end (`more` is False)."""
        lines: list[bytes] = []
        self.more = False
        fd = self._open()
        if fd is not None:
            budget = self.budget
            while budget > 0:
                chunk = os.pread(fd, min(CHUNK, budget), self.offset)
                if not chunk:
                    break
                self.offset += len(chunk)
                budget -= len(chunk)
                self._feed(chunk, lines)
            self.more = budget <= 0
        if final and not self.more:
            if self._partial and not self._skipping:
                lines.append(bytes(self._partial))
            self._partial.clear()
            self._skipping = False
            self.close()
        return [_decode(line) for line in lines]

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _open(self) -> int | None:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDONLY)
            except FileNotFoundError:
                return None
        return self._fd

    def _feed(self, chunk: bytes, out: list[bytes]) -> None:
        start = 0
        while True:
            nl = chunk.find(b"\n", start)
            if nl < 0:
                break
            piece = chunk[start:nl]
            if self._skipping:
                self._skipping = False
            elif len(self._partial) + len(piece) > self.max_line:
                self.skipped_lines += 1
            elif self._partial:
                self._partial += piece
                out.append(bytes(self._partial))
            else:
                out.append(piece)
            self._partial.clear()
            start = nl + 1
        rest = chunk[start:]
        if self._skipping or not rest:
            return
        if len(self._partial) + len(rest) > self.max_line:
            # Too long to be a metric line: drop it and skip to its end.
            self._partial.clear()
            self._skipping = True
            self.skipped_lines += 1
        else:
            self._partial += rest


def _decode(line: bytes) -> str:
    return line.decode("utf-8", "replace").rstrip("\r")
