"""Huawei Vega's HPO trainer: `--name=value`, PIPESTEP/EPOCHS/DEVICE_ID, `<objective>.json`.

Fixed `other_args` are trial.args (`pretrained: ~` is the bare flag
`--pretrained`). The script writes each objective to `./<key>.json` in its
working directory, the trial folder. The fullytrain stage re-runs a
configuration with PIPESTEP=fullytrain and no EPOCHS: `fullytrain(ctx)`. When a
study ends, its folder gets Vega's task layout (formats/vega/layout.py) and the run shows
Vega's closing summary. Checkpoints go to HPO_BRIDGE_CHECKPOINT_DIR; a trial that
resumes (Vega's PBTHpo hands its trainer a `checkpoint_path` the same way) loads
HPO_BRIDGE_RESTORE_FROM (see contracts/base.py).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from hpo_bridge.contracts.base import (
    Launch,
    TrialContext,
    TrialContract,
    all_values,
    equals_args,
)
from hpo_bridge.metrics.base import MetricSource
from hpo_bridge.metrics.json_file import JsonFileSource
from hpo_bridge.spec.errors import dotted, shown
from hpo_bridge.spec.names import file_name_problem

HPO, FULLYTRAIN = "hpo", "fullytrain"


class VegaContract(TrialContract):
    name = "vega"

    @classmethod
    def spec_problems(cls, spec: Any) -> list[tuple[str, str]]:
        """Each objective is read from `<metric>.json` in the trial's folder."""
        places: list[tuple[tuple[str | int, ...], str]]
        if spec.objective is not None:
            places = [(("objective", "metric"), spec.objective.metric)]
        else:
            places = [(("objectives", i, "metric"), o.metric)
                      for i, o in enumerate(spec.objectives or [])]
        return [(dotted(path), f"{shown(metric)} {problem} (the vega contract reads"
                               " <metric>.json)")
                for path, metric in places
                if (problem := file_name_problem(metric, ".json")) is not None]

    def arguments(self, ctx: TrialContext) -> list[str]:
        # Vega tells a trial its budget through EPOCHS only (see environment()).
        return equals_args(all_values(ctx, with_budget=False))

    def environment(self, ctx: TrialContext) -> dict[str, str]:
        env = {"PIPESTEP": ctx.stage}
        if ctx.stage == HPO and ctx.resource is not None:
            env["EPOCHS"] = str(ctx.resource)
        if ctx.device is not None:
            # Vega hands a worker its NPU as DEVICE_ID and ASCEND_DEVICE_ID (CANN's own name).
            env["DEVICE_ID"] = env["ASCEND_DEVICE_ID"] = ctx.device
        return env

    def sources(self, ctx: TrialContext) -> list[MetricSource]:
        return [
            JsonFileSource(ctx.trial_dir / f"{objective.metric}.json", objective.metric)
            for objective in ctx.spec.all_objectives
        ]

    @staticmethod
    def fullytrain_context(ctx: TrialContext) -> TrialContext:
        """The same configuration for the fullytrain stage: full budget, no EPOCHS."""
        return replace(ctx, stage=FULLYTRAIN, resource=None)

    def fullytrain(self, ctx: TrialContext) -> Launch:
        return self.launch(self.fullytrain_context(ctx))

    def study_ended(self, study_dir: Path) -> list[str]:
        """Vega's task layout in the study folder (logs/, output/, workers/); the closing
        summary's lines."""
        from hpo_bridge.formats.vega.layout import write_layout

        return write_layout(study_dir, study_dir)
