"""What a configuration format of another tool is to hpo-bridge.

A `ConfigFormat` reads that tool's configuration file into the unified spec
(`convert`), says whether a parsed file is written in it (`recognizes`, so `run` and
`validate` take the file as it is), and may write a finished study back out in the
tool's own layout (`export`). Formats register through the `register_formats` hook, like
every other component; the built-in one is Vega's (hpo_bridge/formats/vega/).

Everything a file says that the unified spec cannot hold is one `Placed` note (a
warning, the study still runs); what makes the file unusable is a `Placed` problem in a
SpecError. Both name their place in the file: the dotted path, and its line when known.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from hpo_bridge.spec.errors import Problem


@dataclass(frozen=True)
class Placed(Problem):
    """A problem or note at a place of a foreign file: its dotted path and line."""

    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return where + super().__str__()


@dataclass
class Converted:
    """A foreign file as a unified spec."""

    spec: dict[str, Any]
    notes: list[Placed] = field(default_factory=list)  # what could not be mapped
    # unified spec path -> the place in the file it came from (for validation problems)
    origins: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)  # place in the file -> line
    study_dir: Path | None = None  # where the tool would keep this run, if it says

    def place(self, path: str) -> tuple[str, int | None]:
        """The place in the file a unified spec path came from, and its line."""
        best = ""
        for prefix in self.origins:
            if (path == prefix or path.startswith(prefix + ".")) and len(prefix) > len(best):
                best = prefix
        if not best:
            return path, None
        where = self.origins[best]
        return where, line_of(self.lines, where)

    def translate(self, problems: list[Problem]) -> list[Problem]:
        """Validation problems of the converted spec, placed in the original file."""
        out: list[Problem] = []
        for problem in problems:
            where, line = self.place(problem.path)
            if where == problem.path:
                out.append(problem)
            else:
                out.append(Placed(where, f"{problem.message} (as {problem.path})", line))
        return out


def line_of(lines: dict[str, int], path: str) -> int | None:
    """The line of `path`, or of its nearest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path.rpartition(".")[0]
    return None


class ConfigFormat(ABC):
    """Another tool's configuration format (see the module docstring)."""

    name: ClassVar[str]

    @abstractmethod
    def recognizes(self, data: Any) -> bool:
        """Whether a parsed file is written in this format (and not as a unified spec)."""

    @abstractmethod
    def convert(self, data: Any, *, text: str | None = None, base_dir: Path | None = None,
                source: str | None = None) -> Converted:
        """The unified spec of a parsed file (`text`: the file itself, for line numbers;
        `base_dir`: its folder). Raises SpecError with `Placed` problems."""

    def export(self, study_dir: Path, out_dir: Path) -> list[str]:
        """Write a study in this tool's own layout into `out_dir`; the closing summary's
        lines. Formats that read files only do not override this."""
        raise NotImplementedError(f"format {self.name} has no output layout")

    @property
    def exports(self) -> bool:
        return type(self).export is not ConfigFormat.export
