"""New lines of each trial's stdout and stderr, read from where the last read stopped.

An emulated tuning run hands them to its host (`TuningHost.on_output`), which sends them
where its cloud keeps a job's logs (CloudWatch Logs, a run's log file, ...).
"""

from __future__ import annotations

from pathlib import Path

# Where the process executor keeps a trial's output: <study>/trials/<id>/{stdout,stderr}.log
OUTPUT_FILES = ("stdout.log", "stderr.log")
TRIALS_DIR = "trials"


class OutputTail:
    def __init__(self, study_dir: Path) -> None:
        self.study_dir = study_dir
        self._offsets: dict[Path, int] = {}
        self._partial: dict[Path, bytes] = {}

    def read(self, trial_id: int, final: bool = False) -> list[str]:
        """Complete new lines (and, when `final`, an unterminated last line)."""
        lines: list[str] = []
        folder = self.study_dir / TRIALS_DIR / str(trial_id)
        for name in OUTPUT_FILES:
            path = folder / name
            try:
                with path.open("rb") as handle:
                    handle.seek(self._offsets.get(path, 0))
                    chunk = handle.read()
            except FileNotFoundError:
                continue
            self._offsets[path] = self._offsets.get(path, 0) + len(chunk)
            data = self._partial.pop(path, b"") + chunk
            *complete, rest = data.split(b"\n")
            if rest and final:
                complete.append(rest)
            elif rest:
                self._partial[path] = rest
            lines += [line.decode("utf-8", "replace").rstrip("\r") for line in complete]
        return lines
