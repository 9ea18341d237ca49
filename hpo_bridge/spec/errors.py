"""Spec problems: one line per problem, each starting with the field's dotted path.

The types (`Problem`, `SpecError`) and how a model raises its rule violations
(`raise_at`); spec/problems.py renders pydantic's errors as problems.
"""

from __future__ import annotations

import reprlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

RULE_ERROR = "spec_rule"


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SpecError(Exception):
    """A spec with one or more problems. `str()` is one line per problem.

    Deliberately not a ValueError: pydantic would swallow and rewrap it when
    raised from a validator, losing the per-field paths.
    """

    def __init__(self, problems: Sequence[Problem], source: str | None = None):
        self.problems = list(problems)
        self.source = source
        super().__init__(self.render())

    def render(self) -> str:
        prefix = f"{self.source}: " if self.source else ""
        return "\n".join(prefix + str(p) for p in self.problems)


SHOWN_CHARS = 80  # of a value quoted in a message
KEY_CHARS = 64  # of a key in a dotted path


class _Abbreviated(reprlib.Repr):
    """repr() that looks at a bounded part of a value: a few items per container, a few
    levels deep. A YAML alias bomb is a small graph that expands to billions of items;
    its full repr would never end."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlevel = 3
        self.maxlist = self.maxtuple = self.maxset = self.maxdict = 4
        self.maxstring = self.maxother = SHOWN_CHARS


_ABBREVIATED = _Abbreviated()


def shown(value: Any) -> str:
    """A value as a message quotes it: its repr, abbreviated to about SHOWN_CHARS
    characters ("..." marks what was left out), on one line."""
    text = _ABBREVIATED.repr(value)
    if len(text) > SHOWN_CHARS:
        text = text[: SHOWN_CHARS - 3] + "..."
    return text


def clipped(text: str) -> str:
    """Text quoted in a message as it is, cut to SHOWN_CHARS characters."""
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def path_part(part: Any) -> str:
    """One step of a dotted path; a key with line breaks or other control characters is
    quoted, so that every problem stays on one line, and a very long key is shortened."""
    text = str(part)
    size = len(text)
    if not text.isprintable():
        text = repr(text)
    if len(text) > KEY_CHARS:
        text = f"{text[: KEY_CHARS - 24]}...({size:,} characters)"
    return text


def dotted(loc: Iterable[Any]) -> str:
    return ".".join(path_part(part) for part in loc)


def raise_at(title: str, issues: Sequence[tuple[tuple[str | int, ...], str]]) -> None:
    """Raise the rule violations of one model, each at its own field.

    Called from a model validator: pydantic prefixes each `loc` with the
    model's own place in the spec, so `("sigma",)` becomes
    `search_space.k.sigma`. An empty `loc` names the model itself.
    """
    if not issues:
        return
    raise ValidationError.from_exception_data(
        title,
        [
            {
                "type": PydanticCustomError(RULE_ERROR, "{message}", {"message": message}),
                "loc": loc,
                "input": None,
            }
            for loc, message in issues
        ],
    )
