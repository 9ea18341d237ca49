"""Loading specs against the installed components (placeholder until the catalogue lands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hpo_bridge.spec import TuningSpec
from hpo_bridge.spec import load_spec as _load
from hpo_bridge.spec import validate_spec as _validate


def load_spec(path: str | Path) -> TuningSpec:
    return _load(path)


def validate_spec(data: Any, source: str = "<spec>") -> TuningSpec:
    return _validate(data, source=source)
