"""Whether a small file changed since it was last read (for files rewritten whole)."""

from __future__ import annotations

import os
from pathlib import Path

# Read of a file rewritten whole: its first MiB. Such files hold one value (Vega's
# <objective>.json) or the last 100 reports (cloudml-hypertune); a larger one is cut, and
# reads as a file caught mid-write, never as gigabytes in the orchestrator's memory.
MAX_FILE_BYTES = 1 << 20


class ChangeWatch:
    """Tracks (inode, size, mtime) of one file; `changed()` is one stat call."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._seen: tuple[int, int, int] | None = None

    def changed(self) -> bool:
        sig = self._signature()
        return sig is not None and sig != self._seen

    def read_text(self) -> tuple[str, tuple[int, int, int]] | None:
        """The file's text and its signature, or None when it does not exist."""
        try:
            with open(self.path, "rb") as fh:
                st = os.fstat(fh.fileno())
                data = fh.read(MAX_FILE_BYTES)
        except FileNotFoundError:
            return None
        return data.decode("utf-8", "replace"), (st.st_ino, st.st_size, st.st_mtime_ns)

    def changed_text(self) -> tuple[str, tuple[int, int, int]] | None:
        """The text and signature when the file changed since `mark`, else None."""
        return self.read_text() if self.changed() else None

    def mark(self, signature: tuple[int, int, int]) -> None:
        self._seen = signature

    def _signature(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns
