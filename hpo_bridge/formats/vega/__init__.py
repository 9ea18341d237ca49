"""Huawei Vega's HPO configuration (`hpo.yml`) and its task layout (SEEDS.md, 001).

`VegaFormat` reads an hpo.yml into the unified spec (formats/vega/pipeline.py and the
modules it uses: algorithms, space, trainer) and writes a study in Vega's task layout
(formats/vega/layout.py), which the vega contract does when a study ends.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from hpo_bridge.formats.base import ConfigFormat, Converted
from hpo_bridge.formats.locations import yaml_lines
from hpo_bridge.formats.vega.pipeline import read_vega
from hpo_bridge.formats.vega.reading import Reading
from hpo_bridge.spec.errors import SpecError

__all__ = ["VegaFormat"]


class VegaFormat(ConfigFormat):
    name: ClassVar[str] = "vega"

    def __init__(self, env: Mapping[str, str] | None = None,
                 clock: Any = datetime.now) -> None:
        self.env = os.environ if env is None else env  # where the devices are listed
        self.clock = clock  # the task id is the time the file is read

    def recognizes(self, data: Any) -> bool:
        """A Vega file lists its `pipeline` steps; a unified spec has a search_space."""
        return isinstance(data, dict) and "pipeline" in data and "search_space" not in data

    def convert(self, data: Any, *, text: str | None = None, base_dir: Path | None = None,
                source: str | None = None) -> Converted:
        r = Reading(lines=yaml_lines(text) if text else {}, base_dir=base_dir or Path.cwd(),
                    env=self.env)
        if not isinstance(data, dict):
            r.problem("", "a Vega file is a mapping (general, pipeline, and the steps)")
            raise SpecError(list(r.problems), source)
        spec, study_dir = read_vega(r, data, source, self.clock())
        if r.problems:
            raise SpecError(list(r.problems), source)
        notes = sorted(r.notes, key=lambda n: (n.line or 0))  # in the file's order
        return Converted(spec, notes, r.origins, r.lines, study_dir)

    def export(self, study_dir: Path, out_dir: Path) -> list[str]:
        from hpo_bridge.formats.vega.layout import write_layout

        return write_layout(study_dir, out_dir)
