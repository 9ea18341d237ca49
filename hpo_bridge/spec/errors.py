"""Spec problems: one line per problem, each starting with the field's dotted path.

The types (`Problem`, `SpecError`) and how a model raises its rule violations
(`raise_at`); spec/problems.py renders pydantic's errors as problems.
"""

from __future__ import annotations

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


def path_part(part: Any) -> str:
    """One step of a dotted path; a key with line breaks or other control characters is
    quoted, so that every problem stays on one line."""
    text = str(part)
    return text if text.isprintable() else repr(text)


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
