"""Vertex AI / AI Platform Training: `--name=value`; metrics through cloudml-hypertune's file.

The trial gets CLOUD_ML_HP_METRIC_FILE (its own file, so parallel trials never
share the package's one default file), CLOUD_ML_TRIAL_ID, TF_CONFIG with the
trial id (AI Platform's way), and AIP_MODEL_DIR / AIP_CHECKPOINT_DIR /
AIP_TENSORBOARD_LOG_DIR under the trial folder, as Vertex lays them out under
`<base_output_dir>/<trial_id>/`. A trial that resumes finds its source's checkpoint
copied into its own AIP_CHECKPOINT_DIR (a Vertex script resumes from whatever that
folder holds, Keras' BackupAndRestore style); a copy rather than the source's path,
so each trial writes only its own folder (Vertex gives each trial its own) and a
checkpoint several trials continue stays as it was.
"""

from __future__ import annotations

import json

from hpo_bridge.contracts.base import TrialContext, TrialContract, all_values, equals_args
from hpo_bridge.metrics.base import MetricSource
from hpo_bridge.metrics.hypertune import HypertuneSource

METRIC_FILE = "hypertune/output.metrics"
OUTPUT_DIRS = {"AIP_MODEL_DIR": "model", "AIP_CHECKPOINT_DIR": "checkpoints",
               "AIP_TENSORBOARD_LOG_DIR": "logs"}


class VertexContract(TrialContract):
    name = "vertex"
    checkpoint_folder = OUTPUT_DIRS["AIP_CHECKPOINT_DIR"]

    def arguments(self, ctx: TrialContext) -> list[str]:
        return equals_args(all_values(ctx))

    def prepare(self, ctx: TrialContext) -> None:
        for folder in OUTPUT_DIRS.values():
            (ctx.trial_dir / folder).mkdir(parents=True, exist_ok=True)

    def environment(self, ctx: TrialContext) -> dict[str, str]:
        trial = str(ctx.trial_id)
        env = {
            "CLOUD_ML_HP_METRIC_FILE": str(ctx.trial_dir / METRIC_FILE),
            "CLOUD_ML_TRIAL_ID": trial,
            "TF_CONFIG": json.dumps({"cluster": {}, "environment": "cloud",
                                     "task": {"type": "master", "index": 0, "trial": trial}}),
        }
        # Vertex hands these out as folder URIs ending in '/'.
        env.update({var: f"{ctx.trial_dir / folder}/" for var, folder in OUTPUT_DIRS.items()})
        return env

    def sources(self, ctx: TrialContext) -> list[MetricSource]:
        return [HypertuneSource(ctx.trial_dir / METRIC_FILE)]
