"""Hyperband as asynchronous successive halving (ASHA): SageMaker's Hyperband, Vega's ASHA.

Every trial is proposed at random (hpo_bridge.core.space) with the full budget,
`Suggestion.resource = r_max`, and a bracket (round-robin); its reports go
to the rungs it shares with the rule `stopping_rule()` returns, which stops it
at the first rung where it is not in the top 1/eta (see
hpo_bridge.core.stopping.hyperband for the exact rule). The searcher never
runs out of proposals: `max_trials` ends the study.

The n-th proposal draws from numpy's generator seeded with (seed, n), so a
resumed searcher proposes exactly what the uninterrupted one would have. A
forbidden configuration is drawn again from the same generator (see
random_search); when none can be found, `ask` has nothing left to propose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_bridge.core import space
from hpo_bridge.core.searchers.base import Searcher, Suggestion
from hpo_bridge.core.stopping.hyperband import HyperbandRule, Rungs

if TYPE_CHECKING:
    from hpo_bridge.core.trial import TrialStatus
    from hpo_bridge.spec import TuningSpec


def strategy_seed(spec: TuningSpec) -> int:
    """strategy.seed as a non-negative int (numpy's seed sequences take no negatives).

    Without a seed the study is still reproducible: seed 0.
    """
    seed = spec.strategy.seed
    return 0 if seed is None else seed % 2**64


class HyperbandSearcher(Searcher):
    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        self.rungs = Rungs.from_spec(spec)
        self.rule = HyperbandRule(spec, self.rungs)
        self.seed = strategy_seed(spec)
        self.asked = 0

    def rng(self, index: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, index])

    def ask(self, trial_id: int) -> Suggestion | None:
        index = self.asked
        self.asked += 1
        params = self.propose(trial_id, index)
        if params is None:
            return None
        bracket = self.rungs.assign(trial_id)
        return Suggestion(params, resource=self.rungs.r_max, bracket=bracket)

    def propose(self, trial_id: int, index: int) -> dict[str, Any] | None:
        """The configuration of the index-th proposal (random here; BOHB models it); None
        when every draw is forbidden."""
        return space.sample_allowed(self.spec, self.rng(index))

    def report(self, trial_id: int, interval: int, value: float) -> None:
        # The tuner also reports to the rule; recording a rung value twice replaces it.
        self.rungs.record(trial_id, interval, value)

    def tell(self, trial_id: int, status: TrialStatus, value: float | list[float] | None) -> None:
        """Nothing to learn at the end: the rungs already hold every value that matters."""

    def stopping_rule(self) -> HyperbandRule:
        return self.rule

    def state_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "asked": self.asked, "rungs": self.rungs.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.seed = int(state["seed"])
        self.asked = int(state["asked"])
        self.rungs.load_state_dict(state["rungs"])
