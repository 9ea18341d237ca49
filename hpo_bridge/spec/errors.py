"""Spec problems: one line per problem, each starting with the field's dotted path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError


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


def dotted(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc)


# Tags of tagged unions that pydantic puts into error locations; they are not
# keys the user wrote, so they are removed from the path.
_UNION_TAGS = {"float", "int", "categorical", "discrete", "bool", "distribution"}


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for i, part in enumerate(loc):
        # search_space.<name>.<tag>.field: the tag follows the parameter name.
        if i == 2 and loc[0] == "search_space" and part in _UNION_TAGS:
            continue
        if isinstance(part, str) and part.startswith("function-"):
            continue
        out.append(part)
    return tuple(out)


def _fields_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """Field names valid at the parent of `loc`, for "did you mean" hints."""
    from hpo_bridge.spec.fields import known_keys_at

    return known_keys_at(loc[:-1])


def _message(err: dict[str, Any], loc: tuple[Any, ...]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1]) if loc else ""
        choices = _fields_at(None, loc)
        close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        if not hint and choices:
            hint = f" (valid keys: {', '.join(sorted(choices))})"
        return f"unknown key{hint}"
    if kind == "missing":
        return "required"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if kind == "literal_error":
        msg += f" (got {err.get('input')!r})"
    return msg


def problems_from_validation(exc: ValidationError, root: tuple[Any, ...] = ()) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        loc = root + _clean_loc(tuple(err["loc"]))
        problems.append(Problem(dotted(loc), _message(err, loc)))
    return problems
