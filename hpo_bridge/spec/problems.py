"""The error views of a spec: pydantic's errors rendered as problems.

Each error becomes one `Problem`: its location as a dotted path without
pydantic's union tags, and a message a user can act on - "required", the
words of a name pattern instead of the regex, and for an unknown key the
closest valid key ("did you mean 'scale'?") or the list of valid keys (see
spec/fields.py; under `backends.<name>` the keys of the backend's settings
model in the catalogue).
"""

from __future__ import annotations

import difflib
import re
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from hpo_bridge.spec.errors import Problem, dotted, shown
from hpo_bridge.spec.names import PATTERN_WORDS

if TYPE_CHECKING:
    from hpo_bridge.spec.catalogue import Catalogue


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


def did_you_mean(value: Any, choices: list[str]) -> str:
    """" (did you mean 'float'?)" when a choice is close to `value`, else ""."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _domain_type(err: Any) -> tuple[tuple[Any, ...], str] | None:
    """A domain whose `type` is not a known one: the problem at `type`, with a hint."""
    from hpo_bridge.spec.domains import DOMAIN_TAGS

    given = err.get("input")
    if not isinstance(given, dict) or "type" not in given or "distribution" in given:
        return None
    types = [t for t in DOMAIN_TAGS if t != "distribution"]
    value = given["type"]
    return ("type",), (f"unknown type {shown(value)}{did_you_mean(value, types)}"
                       f" (types: {', '.join(types)}; or give a `distribution`)")


def _literal_choices(err: Any) -> list[str]:
    expected = str(err.get("ctx", {}).get("expected", ""))
    return re.findall(r"'([^']*)'", expected)


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
            return f"must use {words} (got {shown(err.get('input'))})"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix) :]
    if kind == "literal_error":
        msg += f" (got {shown(err.get('input'))})" + did_you_mean(err.get("input"),
                                                                  _literal_choices(err))
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
        typed = _domain_type(err) if err["type"] == "domain_type" else None
        if typed is not None:
            problem = Problem(dotted(loc + typed[0]), typed[1])
        else:
            problem = Problem(dotted(loc), _message(err, raw_loc, loc, catalogue))
        if problem not in problems:
            problems.append(problem)
    return problems
