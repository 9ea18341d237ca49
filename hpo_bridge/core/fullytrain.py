"""Vega's fullytrain stage: which configurations to re-run once the search has ended.

The best `top_k` distinct configurations of the search (a multi-fidelity
search tries one configuration at several budgets: it counts once), each re-run
at full budget as a new trial. A configuration that already has a fullytrain
trial (a resumed study) is not run again, unless that trial was interrupted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.ranking import ranked
from hpo_bridge.core.trial import FULLYTRAIN, Trial, is_interrupted

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec


def config_key(params: dict[str, Any]) -> str:
    """One text per configuration (params come back from the store as JSON)."""
    return json.dumps(params, sort_keys=True, default=str)


def fullytrain_configs(spec: TuningSpec, trials: Iterable[Trial], top_k: int) -> list[Trial]:
    """The search trials whose configurations the stage still has to run, best first."""
    trials = list(trials)
    done = {config_key(t.params) for t in trials
            if t.stage == FULLYTRAIN and not is_interrupted(t)}
    chosen: list[Trial] = []
    seen: set[str] = set()
    for trial in ranked(spec, (t for t in trials if t.stage != FULLYTRAIN)):
        key = config_key(trial.params)
        if key in seen:
            continue
        seen.add(key)
        if key not in done:
            chosen.append(trial)
        if len(seen) == top_k:
            break
    return chosen
