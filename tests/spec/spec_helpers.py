"""Helpers for the spec tests: patching a valid spec and reading its problems."""

from __future__ import annotations

import copy
from typing import Any

from hpo_bridge.loading import validate_spec
from hpo_bridge.spec import SpecError, TuningSpec

DELETE = object()


class Replace:
    """A patch value that replaces instead of merging."""

    def __init__(self, value: Any):
        self.value = value


def patched(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """`base` with `patch` merged in: dicts merge, DELETE removes a key, the rest replaces."""
    out = copy.deepcopy(base)
    for key, value in patch.items():
        if value is DELETE:
            out.pop(key, None)
        elif isinstance(value, Replace):
            out[key] = copy.deepcopy(value.value)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = patched(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def problems(data: Any) -> list[tuple[str, str]]:
    """(path, message) of every problem; fails the test if the spec is valid."""
    try:
        validate_spec(data)
    except SpecError as exc:
        return [(p.path, p.message) for p in exc.problems]
    raise AssertionError(f"spec unexpectedly valid: {data!r}")


def valid(data: Any) -> TuningSpec:
    try:
        return validate_spec(data)
    except SpecError as exc:
        raise AssertionError(f"spec unexpectedly invalid:\n{exc}") from None


def assert_problem(data: Any, path: str, fragment: str) -> list[tuple[str, str]]:
    found = problems(data)
    messages = [m for p, m in found if p == path]
    assert messages, f"no problem at {path!r}; got {found}"
    assert any(fragment in m for m in messages), f"{fragment!r} not in {messages}"
    return found
