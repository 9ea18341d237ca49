"""The spec a study keeps, validated once per process however often the study is opened.

A study's journal holds the spec as JSON (`meta.spec`). Every command opens the study
at least once (`status` two or three times), and each open needs the spec as a
`TuningSpec`. Validation is linear in the spec's size, but a spec can be large (10,000
categorical values), so a validated spec is kept in a small in-process cache keyed by
its stored text and base folder: the same text always validates to the same (frozen)
spec, and a study whose stored spec changed is validated anew. Nothing is cached across
processes: no pickled objects in the study directory.

No catalogue: the spec was validated against the installed plugins when the study was
created; reopening it must not depend on what is installed now.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from hpo_bridge.spec import SpecError, TuningSpec, validate_spec

CACHED_SPECS = 8  # studies one process opens (tests open many; the CLI one or two)


def stored_spec(text: str, spec_dir: str | None, source: str) -> TuningSpec:
    """The spec stored as JSON `text` (relative paths resolve against `spec_dir`);
    raises SpecError naming `source` when it does not validate."""
    try:
        return _validated(text, spec_dir)
    except SpecError as exc:
        raise SpecError(exc.problems, source) from None


@lru_cache(maxsize=CACHED_SPECS)
def _validated(text: str, spec_dir: str | None) -> TuningSpec:
    return validate_spec(json.loads(text), base_dir=Path(spec_dir) if spec_dir else None)
