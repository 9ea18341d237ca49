"""Specs validated against the installed plugins.

`hpo_bridge.spec` validates against whatever catalogue it is given (see
spec/catalogue.py); this module gives it the catalogue of the components
installed now (`hpo_bridge.plugins.registry().catalogue()`). It is what
`hpo_bridge.load_spec` and `hpo_bridge.validate_spec` are, and what the
command line uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hpo_bridge import spec as _spec
from hpo_bridge.plugins import registry
from hpo_bridge.spec import TuningSpec
from hpo_bridge.spec.catalogue import Catalogue
from hpo_bridge.spec.schema import spec_schema as _spec_schema

__all__ = ["installed_catalogue", "load_spec", "spec_schema", "validate_spec"]


def installed_catalogue() -> Catalogue:
    """The catalogue of the installed components (read anew: plugins may be reset)."""
    return registry().catalogue()


def load_spec(path: str | Path) -> TuningSpec:
    """Load a spec file and validate it against the installed plugins; raises SpecError."""
    return _spec.load_spec(path, installed_catalogue())


def validate_spec(
    data: Any, *, source: str | None = None, base_dir: Path | None = None
) -> TuningSpec:
    """Validate a parsed spec against the installed plugins; raises SpecError."""
    return _spec.validate_spec(data, installed_catalogue(), source=source, base_dir=base_dir)


def spec_schema() -> dict[str, Any]:
    """The spec's JSON Schema with the names the installed plugins accept."""
    return _spec_schema(installed_catalogue())
