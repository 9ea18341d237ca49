"""Where a value sits in a YAML file, so a problem names its line (files written by people)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hpo_bridge.backends import BackendError

Key = tuple[Any, ...]


def read_yaml(path: Path, backend: str) -> tuple[Any, dict[Key, int]]:
    """The file's data and the line of every key path in it; a syntax error is one line
    naming where it is."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BackendError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise BackendError(f"{where}: YAML error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise BackendError(f"{path}: YAML error: {' '.join(str(exc).split())}") from None
    lines: dict[Key, int] = {}
    if node is not None:
        _walk(node, (), lines)
    return data, lines


def _walk(node: yaml.Node, key: Key, lines: dict[Key, int]) -> None:
    lines.setdefault(key, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            child = (*key, k.value)
            lines[child] = k.start_mark.line + 1
            _walk(v, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _walk(v, (*key, i), lines)


class Places:
    """Turns "field.path: message" into "file:line: field.path: message"."""

    def __init__(self, path: Path, lines: dict[Key, int], prefix: Key = ()) -> None:
        self.path = path
        self.lines = lines
        self.prefix = prefix

    def within(self, *key: Any) -> Places:
        return Places(self.path, self.lines, (*self.prefix, *key))

    def line(self, dotted: str) -> int | None:
        parts: list[Any] = [p for p in dotted.split(".") if p]
        while parts:
            found = self.lines.get((*self.prefix, *parts))
            if found is not None:
                return found
            parts.pop()
        return self.lines.get(self.prefix)

    def say(self, problem: str) -> str:
        field = problem.split(":", 1)[0]
        line = self.line(field) if " " not in field else None
        return f"{self.path}:{line}: {problem}" if line else f"{self.path}: {problem}"
