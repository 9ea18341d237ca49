"""Spec problems: one line per problem, each starting with the field's dotted path."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

from hpo_bridge.spec.names import PATTERN_WORDS

if TYPE_CHECKING:
    from hpo_bridge.spec.catalogue import Catalogue

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


# Tags of tagged unions that pydantic puts into error locations; they are not
# keys the user wrote, so they are removed from the path.
_UNION_TAGS = {"float", "int", "categorical", "discrete", "bool", "distribution"}


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    out: list[Any] = []
    for i, part in enumerate(loc):
        # search_space.<name>.<tag>.field: the tag follows the parameter name.
        if i == 2 and loc[0] == "search_space" and part in _UNION_TAGS:
            continue
        if part == "[key]" or (isinstance(part, str) and part.startswith("function-")):
            continue
        out.append(part)
    return tuple(out)


def _unknown_key(
    raw_loc: tuple[Any, ...], loc: tuple[Any, ...], catalogue: Catalogue | None
) -> str:
    from hpo_bridge.spec.fields import known_keys_at

    key = str(loc[-1]) if loc else ""
    choices = known_keys_at(raw_loc[:-1], catalogue)
    close = difflib.get_close_matches(key, choices, n=1, cutoff=0.6)
    if close:
        return f"unknown key (did you mean '{close[0]}'?)"
    if choices:
        return f"unknown key (valid keys: {', '.join(sorted(choices))})"
    return "unknown key"


def _message(
    err: Any, raw_loc: tuple[Any, ...], loc: tuple[Any, ...], catalogue: Catalogue | None
) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return _unknown_key(raw_loc, loc, catalogue)
    if kind == "missing":
        return "required"
    if kind == "string_pattern_mismatch":
        words = PATTERN_WORDS.get(str(err.get("ctx", {}).get("pattern")))
        if words:
            return f"must use {words} (got {err.get('input')!r})"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if kind == "literal_error":
        msg += f" (got {err.get('input')!r})"
    return msg


def problems_from_validation(
    exc: ValidationError, root: tuple[Any, ...] = (), catalogue: Catalogue | None = None
) -> list[Problem]:
    """One Problem per pydantic error; the catalogue names the keys of `backends.<name>`
    for "did you mean" hints."""
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        raw_loc = root + tuple(err["loc"])
        loc = root + _clean_loc(tuple(err["loc"]))
        problem = Problem(dotted(loc), _message(err, raw_loc, loc, catalogue))
        if problem not in problems:
            problems.append(problem)
    return problems
