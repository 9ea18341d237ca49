"""What every part of the Vega reader shares: the notes and problems it collects, placed in
the file, and where each piece of the unified spec came from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_bridge.formats.base import Placed, line_of


@dataclass
class Reading:
    """One Vega file being read."""

    lines: dict[str, int] = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path.cwd)
    env: Mapping[str, str] = field(default_factory=dict)  # where devices are listed
    notes: list[Placed] = field(default_factory=list)
    problems: list[Placed] = field(default_factory=list)
    origins: dict[str, str] = field(default_factory=dict)

    def note(self, path: str, message: str) -> None:
        """Something the file says that the unified spec does not hold (a warning)."""
        self.notes.append(Placed(path, message, line_of(self.lines, path)))

    def problem(self, path: str, message: str) -> None:
        """Something that makes the file unusable (an error)."""
        self.problems.append(Placed(path, message, line_of(self.lines, path)))

    def origin(self, unified: str, path: str) -> None:
        """The unified spec's `unified` came from `path` of the file."""
        self.origins[unified] = path

    def mapping(self, value: Any, path: str) -> dict[str, Any]:
        """`value` as a mapping; a problem (and {}) when it is something else."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"must be a mapping, not {describe(value)}")
            return {}
        return value

    def leftovers(self, section: Mapping[str, Any], path: str, known: set[str],
                  why: str) -> None:
        """One note per key of `section` that is not in `known`."""
        for key in section:
            if key not in known:
                self.note(join(path, key), why)


def join(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return repr(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
