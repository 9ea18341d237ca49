"""Reading and writing specs: strict YAML (safe, no duplicate keys) and JSON, read within
limits (see spec/documents.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from hpo_bridge.spec.catalogue import Catalogue, context_of
from hpo_bridge.spec.documents import (
    is_json_path,
    parse_document,
    read_document,
)
from hpo_bridge.spec.errors import Problem, SpecError, path_part
from hpo_bridge.spec.model import TuningSpec
from hpo_bridge.spec.problems import problems_from_validation


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
    text = read_document(p)
    data = parse_document(text, str(p), json_format=is_json_path(p))
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
