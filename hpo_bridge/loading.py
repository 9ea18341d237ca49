"""Specs validated against the installed plugins.

`hpo_bridge.spec` validates against whatever catalogue it is given (see
spec/catalogue.py); this module gives it the catalogue of the components
installed now (`hpo_bridge.plugins.registry().catalogue()`). It is what
`hpo_bridge.load_spec` and `hpo_bridge.validate_spec` are, and what the
command line uses.

A spec file may also be written in another tool's format (a Vega hpo.yml): the
registered formats are asked in turn whether they recognise the parsed file, and the
first that does converts it (`load_document`). Recognition happens here, above the
spec layer, which knows only the unified spec. The notes of what could not be mapped
come back with the spec, and validation problems name their place in the original file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge import spec as _spec
from hpo_bridge.plugins import registry
from hpo_bridge.spec import SpecError, TuningSpec
from hpo_bridge.spec.catalogue import Catalogue
from hpo_bridge.spec.schema import spec_schema as _spec_schema

if TYPE_CHECKING:
    from hpo_bridge.formats import ConfigFormat

__all__ = ["LoadedSpec", "convert_document", "installed_catalogue", "load_document",
           "load_spec", "spec_format", "spec_schema", "validate_spec"]


def installed_catalogue() -> Catalogue:
    """The catalogue of the installed components (read anew: plugins may be reset)."""
    return registry().catalogue()


@dataclass
class LoadedSpec:
    """A spec file as loaded: the spec, the format it was written in (None: a unified
    spec) and one line per thing that format says which the spec does not hold."""

    spec: TuningSpec
    format: str | None = None
    notes: list[str] = field(default_factory=list)


def load_spec(path: str | Path) -> TuningSpec:
    """Load a spec file (unified, or in a registered format) and validate it against the
    installed plugins; raises SpecError."""
    return load_document(path).spec


def load_document(path: str | Path) -> LoadedSpec:
    """Load a spec file, recognising another tool's format (see the module docstring)."""
    p = Path(path)
    text = _spec.read_document(p)  # within the limits: a regular file, 1 MiB, UTF-8
    data = _spec.parse_document(text, str(p), json_format=_spec.is_json_path(p))
    for name in registry().names("formats"):
        chosen = spec_format(name)
        if chosen.recognizes(data):
            return convert_document(chosen, data, text, p)
    return LoadedSpec(_spec.validate_spec(data, installed_catalogue(), source=str(p),
                                          base_dir=p.resolve().parent))


def spec_format(name: str) -> ConfigFormat:
    """The registered format `name` (KeyError naming the installed ones)."""
    found: ConfigFormat = registry().require("formats", name).create()
    return found


def convert_document(chosen: ConfigFormat, data: Any, text: str | None,
                     path: Path) -> LoadedSpec:
    """`data` (the file at `path`) converted by `chosen` and validated; the problems of
    the converted spec are placed in the original file."""
    source, base_dir = str(path), path.resolve().parent
    converted = chosen.convert(data, text=text, base_dir=base_dir, source=source)
    try:
        spec = _spec.validate_spec(converted.spec, installed_catalogue(), base_dir=base_dir)
    except SpecError as exc:
        raise SpecError(converted.translate(exc.problems), source) from None
    spec._default_study_dir = converted.study_dir
    spec._origin = {"path": source, "format": chosen.name, "text": text or ""}
    notes = [f"{source}: {note}" for note in converted.notes]
    return LoadedSpec(spec, chosen.name, notes)


def validate_spec(
    data: Any, *, source: str | None = None, base_dir: Path | None = None
) -> TuningSpec:
    """Validate a parsed spec against the installed plugins; raises SpecError."""
    return _spec.validate_spec(data, installed_catalogue(), source=source, base_dir=base_dir)


def spec_schema() -> dict[str, Any]:
    """The spec's JSON Schema with the names the installed plugins accept."""
    return _spec_schema(installed_catalogue())
