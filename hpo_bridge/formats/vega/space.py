"""Vega's `search_space`: hyperparameters, conditions and forbidden combinations.

Types (Vega's ParamTypes, and the names older Vega releases used):

    CATEGORY, STRING, INT_CAT, FLOAT_CAT  categorical: one of `range`
    BOOL                                  bool
    INT       [low, high]                 int, linear
    INT_EXP   [low, high]                 int, log scale
    FLOAT     [low, high]                 float, linear
    FLOAT_EXP [low, high]                 float, log scale

BINARY_CODE, ADJACENCY_LIST and HALF encode architectures for Vega's NAS; a search space
with them cannot be mapped. Conditions (`child`, `parent`, `type`, `range`): EQUAL ->
op `==`; NOT_EQUAL -> `!=` (one value) or `not_in`; IN -> `in` for a CATEGORY or BOOL
parent and `range` ([low, high], both included) for a numeric one, as Vega's
InCondition does. Condition values are cast to the parent's type, as Vega casts them.
`forbidden` is a list of {key: value} combinations.
"""

from __future__ import annotations

from typing import Any

from hpo_bridge.formats.vega.reading import Reading, describe, is_number, join
from hpo_bridge.spec.names import PARAM_NAME_RE, PARAM_NAME_WORDS

CATEGORICAL = ("CATEGORY", "STRING", "INT_CAT", "FLOAT_CAT")
NUMERIC = {"INT": ("int", "linear"), "INT_EXP": ("int", "log"),
           "FLOAT": ("float", "linear"), "FLOAT_EXP": ("float", "log")}
NAS_ONLY = ("BINARY_CODE", "ADJACENCY_LIST", "HALF")
KNOWN_TYPES = (*CATEGORICAL, "BOOL", *NUMERIC)
HP_KEYS = {"key", "type", "range"}


def read_space(r: Reading, section: dict[str, Any], path: str) -> tuple[
        dict[str, Any], list[dict[str, Any]]]:
    """The unified search_space and forbidden list of a Vega search_space section."""
    kind = section.get("type", "SearchSpace")
    if kind != "SearchSpace":
        r.note(join(path, "type"), f"{kind!r} is a search space class of Vega's own; read"
                                   " as the SearchSpace its hyperparameters describe")
    r.leftovers(section, path, {"type", "hyperparameters", "condition", "forbidden"},
                "not mapped: a search space holds hyperparameters, condition and forbidden")
    space: dict[str, Any] = {}
    vega_types: dict[str, str] = {}
    items = section.get("hyperparameters")
    if not isinstance(items, list) or not items:
        r.problem(join(path, "hyperparameters"), "must list at least one hyperparameter"
                  " ({key, type, range})")
        items = []
    for i, item in enumerate(items):
        where = join(path, f"hyperparameters.{i}")
        parsed = _hyperparameter(r, item, where)
        if parsed is None:
            continue
        name, kind, domain = parsed
        if name in space:
            r.problem(join(where, "key"), f"duplicate key {name!r}")
            continue
        space[name], vega_types[name] = domain, kind
        r.origin(f"search_space.{name}", where)
    conditions = section.get("condition") or []
    if not isinstance(conditions, list):
        r.problem(join(path, "condition"), "must be a list of conditions")
        conditions = []
    conditioned: set[str] = set()
    for i, cond in enumerate(conditions):
        where = join(path, f"condition.{i}")
        parsed_condition = _condition(r, cond, where, space, vega_types)
        if parsed_condition is None:
            continue
        child, condition = parsed_condition
        if child in conditioned:
            r.problem(join(where, "child"), f"{child!r} already has a condition; hpo-bridge"
                      " takes one condition per parameter")
            continue
        conditioned.add(child)
        space[child] = {**space[child], "condition": condition}
        r.origin(f"search_space.{child}.condition", where)
    return space, _forbidden(r, section.get("forbidden"), join(path, "forbidden"), space,
                             vega_types)


def _hyperparameter(r: Reading, item: Any, where: str) -> tuple[str, str, dict] | None:
    if not isinstance(item, dict):
        r.problem(where, f"must be a mapping {{key, type, range}}, not {describe(item)}")
        return None
    r.leftovers(item, where, HP_KEYS, "not mapped: hpo-bridge samples every hyperparameter"
                " itself (slice, generator and sample_num are Vega's NAS encodings)")
    name = item.get("key")
    if not isinstance(name, str) or not PARAM_NAME_RE.match(name):
        r.problem(join(where, "key"), f"must be a name of {PARAM_NAME_WORDS}"
                  f" (got {describe(name)})")
        return None
    kind = str(item.get("type", "")).upper()
    values = item.get("range")
    if kind in NAS_ONLY:
        r.problem(join(where, "type"), f"{kind} encodes an architecture for Vega's NAS;"
                  " it cannot be mapped to a hyperparameter")
        return None
    if kind not in KNOWN_TYPES:
        r.problem(join(where, "type"), f"unknown type {item.get('type')!r} (Vega's types:"
                  f" {', '.join(KNOWN_TYPES)})")
        return None
    if kind == "BOOL":
        if values is not None and not (isinstance(values, list)
                                       and all(isinstance(v, bool) for v in values)):
            r.problem(join(where, "range"), "a BOOL takes [true, false] or no range")
            return None
        return name, kind, {"type": "bool"}
    if not isinstance(values, list) or not values:
        r.problem(join(where, "range"), f"{kind} needs a range list (got {describe(values)})")
        return None
    if kind in CATEGORICAL:
        if any(isinstance(v, list | dict) or v is None for v in values):
            r.problem(join(where, "range"), "a list or mapping as a choice (Vega's list-valued"
                      " CATEGORY) cannot be mapped: choices are strings, numbers or booleans")
            return None
        return name, kind, {"type": "categorical", "values": values}
    number, scale = NUMERIC[kind]
    if len(values) != 2 or not all(is_number(v) for v in values):
        r.problem(join(where, "range"), f"{kind} takes [low, high] (got {values!r})")
        return None
    low, high = values
    if number == "int":
        if not all(float(v).is_integer() for v in values):
            r.problem(join(where, "range"), f"{kind} takes whole numbers (got {values!r})")
            return None
        low, high = int(low), int(high)
    domain: dict[str, Any] = {"type": number, "low": low, "high": high}
    if scale == "log":
        domain["scale"] = "log"
    return name, kind, domain


def _cast(value: Any, kind: str) -> Any:
    """A condition's value as Vega's parent hyperparameter casts it."""
    if kind in ("INT", "INT_EXP") and is_number(value):
        return int(value)
    if kind in ("FLOAT", "FLOAT_EXP") and is_number(value):
        return float(value)
    if kind == "BOOL" and not isinstance(value, str):
        return bool(value)
    return value


def _condition(r: Reading, cond: Any, where: str, space: dict[str, Any],
               vega_types: dict[str, str]) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(cond, dict):
        r.problem(where, f"must be a mapping {{child, parent, type, range}}, not"
                  f" {describe(cond)}")
        return None
    r.leftovers(cond, where, {"key", "child", "parent", "type", "range"}, "not mapped")
    child, parent = cond.get("child"), cond.get("parent")
    for role, name in (("child", child), ("parent", parent)):
        if name not in space:
            r.problem(join(where, role), f"{describe(name)} is not a key of hyperparameters")
            return None
    kind = str(cond.get("type", "")).upper()
    values = cond.get("range")
    if not isinstance(values, list) or not values:
        r.problem(join(where, "range"), f"must list the parent's values (got"
                  f" {describe(values)})")
        return None
    parent_kind = vega_types[str(parent)]
    values = [_cast(v, parent_kind) for v in values]
    if kind == "EQUAL":
        if len(values) != 1:
            r.problem(join(where, "range"), f"EQUAL takes one value (got {len(values)})")
            return None
        op = "=="
    elif kind == "NOT_EQUAL":
        op = "!=" if len(values) == 1 else "not_in"
    elif kind == "IN":
        op = "in" if parent_kind in (*CATEGORICAL, "BOOL") else "range"
        if op == "range" and len(values) != 2:
            r.problem(join(where, "range"), f"IN over the {parent_kind} parent {parent!r} takes"
                      f" [low, high] (got {len(values)} values)")
            return None
    else:
        r.problem(join(where, "type"), f"unknown condition type {cond.get('type')!r}"
                  " (EQUAL, NOT_EQUAL or IN)")
        return None
    condition: dict[str, Any] = {"parent": parent, "values": values}
    if op != "in":
        condition["op"] = op
    return str(child), condition


def _forbidden(r: Reading, entries: Any, path: str, space: dict[str, Any],
               vega_types: dict[str, str]) -> list[dict[str, Any]]:
    if entries is None:
        return []
    if not isinstance(entries, list):
        r.problem(path, "must be a list of {key: value} combinations")
        return []
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(entries):
        where = join(path, i)
        if not isinstance(entry, dict) or not entry:
            r.problem(where, f"must be a mapping {{key: value, ...}}, not {describe(entry)}")
            continue
        combination: dict[str, Any] = {}
        for name, value in entry.items():
            if name not in space:
                r.problem(join(where, name), f"{name!r} is not a key of hyperparameters")
                continue
            combination[str(name)] = _cast(value, vega_types[str(name)])
        if combination and len(combination) == len(entry):
            r.origin(f"forbidden.{len(out)}", where)
            out.append(combination)
    return out
