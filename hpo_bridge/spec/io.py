"""Reading and writing specs: strict YAML (safe, no duplicate keys) and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hpo_bridge.spec.catalogue import Catalogue, context_of
from hpo_bridge.spec.errors import Problem, SpecError, path_part
from hpo_bridge.spec.model import TuningSpec
from hpo_bridge.spec.problems import problems_from_validation


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (PyYAML keeps the last one silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                "a key must be a plain value, not a list or mapping",
                key_node.start_mark,
            ) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def parse_yaml(text: str, source: str = "<string>") -> Any:
    """Parse YAML safely; errors become a SpecError naming the line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - strict SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown place"
        what = exc.problem or exc.context or "invalid YAML"
        raise SpecError([Problem("", f"YAML error at {where}: {what}")], source) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1 if isinstance(exc.position, int) else "?"
        char = exc.character
        shown = f"#x{char:04x}" if isinstance(char, int) else repr(char)
        what = f"unacceptable character {shown}: {exc.reason}"
        raise SpecError([Problem("", f"YAML error at line {line}: {what}")], source) from None
    except yaml.YAMLError as exc:
        flat = " ".join(str(exc).split())
        raise SpecError([Problem("", f"YAML error: {flat}")], source) from None


def validate_spec(
    data: Any,
    catalogue: Catalogue | None = None,
    *,
    source: str | None = None,
    base_dir: Path | None = None,
) -> TuningSpec:
    """Validate a parsed spec; every problem at once as a SpecError.

    With a catalogue the names of components are checked against it and each
    `backends.<name>` goes through its settings model; without one they are taken
    as given (see spec/catalogue.py). `hpo_bridge.loading` passes the installed one.
    """
    if not isinstance(data, dict):
        raise SpecError([Problem("", "a spec is a mapping of keys (name, objective, ...)")], source)
    bad_keys = [k for k in data if not isinstance(k, str)]
    if bad_keys:
        raise SpecError([Problem(path_part(k), "keys must be strings") for k in bad_keys], source)
    try:
        spec = TuningSpec.model_validate(data, context=context_of(catalogue))
    except ValidationError as exc:
        raise SpecError(problems_from_validation(exc, catalogue=catalogue), source) from None
    except SpecError as exc:
        raise SpecError(exc.problems, source) from None
    if base_dir is not None:
        spec._base_dir = base_dir
    return spec


def load_spec(path: str | Path, catalogue: Catalogue | None = None) -> TuningSpec:
    """Load and validate a spec file (YAML or JSON); `catalogue` as for `validate_spec`."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError([Problem("", f"cannot read spec: {exc.strerror}")], str(p)) from None
    data = parse_yaml(text, str(p))  # JSON is YAML, and the loader rejects duplicates in both
    return validate_spec(data, catalogue, source=str(p), base_dir=p.resolve().parent)


def dump_spec(spec: TuningSpec) -> str:
    data = spec.to_dict()
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    # PyYAML emits a few characters raw that its reader then treats as line breaks
    # (U+0085, U+2028, U+2029): escape everything non-ASCII in that rare case.
    if yaml.safe_load(text) != data:
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=False)
    return text


def dump_spec_json(spec: TuningSpec) -> str:
    return json.dumps(spec.to_dict(), indent=2)
