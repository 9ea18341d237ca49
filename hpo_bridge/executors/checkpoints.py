"""Where a restored trial's checkpoint comes from, copied where its contract expects it.

Before a trial that continues a checkpoint (`Trial.restore`) starts, the checkpoint
folder of its source - another trial's folder (population-based training), or its own
earlier attempt's folder kept aside as `<id>.attempt-N` (an interrupted trial run
again) - is copied to the contract's restore location (contracts/base.py). A copy, not
the source's path: each trial writes only its own folder, and a checkpoint several
members continue stays as it was. Sources are finished trials, so a copy never races
their writes.

A source that saved nothing (no checkpoint folder, or an empty one) cannot be resumed:
the trial starts from scratch, and the reason is returned for the executor's
RestoreCorrected (start 0). So it is for a re-run under a contract that resumes re-runs
only when asked (`trial.resume_from_checkpoint`; Azure's --resume-from must be accepted
by the script), unless the study is population-based training.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from hpo_bridge.store.layout import earlier_attempt_dir, trial_dir

if TYPE_CHECKING:
    from hpo_bridge.contracts.base import TrialContract
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.spec import TuningSpec


def restore_checkpoint(spec: TuningSpec, contract: TrialContract, study_dir: Path,
                       trial: Trial, folder: Path) -> tuple[Path | None, str | None]:
    """Copy the checkpoint `trial` resumes from into its (fresh) `folder`: (where it is,
    None), or (None, why it starts from scratch); (None, None) when it resumes nothing."""
    restore = trial.restore
    if restore is None or restore.start == 0:
        return None, None
    if restore.source == trial.id:
        whose, source_dir = "its interrupted attempt", earlier_attempt_dir(study_dir, trial.id)
        if not resumes_reruns(spec, contract):
            return None, (f"contract {contract.name} resumes an interrupted trial only with"
                          " trial.resume_from_checkpoint: true (its script must accept the"
                          " checkpoint): started from scratch")
    else:
        whose, source_dir = f"trial {restore.source}", trial_dir(study_dir, restore.source)
    source = contract.checkpoint_dir(source_dir) if source_dir is not None else None
    if source is None or not source.is_dir() or not any(source.iterdir()):
        return None, (f"{whose} saved no checkpoint (its {contract.checkpoint_folder}/ folder"
                      " is empty): started from scratch")
    target = contract.restore_target(folder)
    try:
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    except (OSError, shutil.Error) as exc:
        shutil.rmtree(target, ignore_errors=True)
        return None, f"cannot copy the checkpoint of {whose}: {exc}; started from scratch"
    return target, None


def resumes_reruns(spec: TuningSpec, contract: TrialContract) -> bool:
    """Whether an interrupted trial run again resumes from its checkpoint."""
    asked = getattr(spec.trial, "resume_from_checkpoint", None)
    if asked is not None:
        return bool(asked)
    return contract.resumes_reruns or spec.strategy.algorithm == "pbt"
