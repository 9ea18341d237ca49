"""Random search: independent draws from every domain (hpo_bridge.core.space).

The n-th proposal draws from numpy's generator seeded with (seed, n), so the
state is just the seed and the number of proposals made, and a resumed
searcher proposes exactly what the uninterrupted one would have. Results do
not steer it, so single- and multi-objective studies are the same to it. A
forbidden configuration (the spec's `forbidden`) is drawn again from the same
generator; after `space.MAX_FORBIDDEN_DRAWS` forbidden draws in a row the
searcher has nothing left to propose.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_bridge.core import space
from hpo_bridge.core.searchers.base import Searcher, Suggestion

if TYPE_CHECKING:
    from hpo_bridge.core.trial import TrialStatus
    from hpo_bridge.spec import TuningSpec


def strategy_seed(spec: TuningSpec) -> int:
    """strategy.seed as a non-negative int; without a seed a study is still reproducible (0)."""
    seed = spec.strategy.seed
    return 0 if seed is None else seed % 2**64


def derived_seed(seed: int, index: int) -> int:
    """A 32-bit seed for the index-th draw of a stream (for libraries that take one int)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


class RandomSearcher(Searcher):
    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        self.seed = strategy_seed(spec)
        self.asked = 0
        space.ordered_names(spec)  # fail now, not at the first ask, on a condition cycle

    def ask(self, trial_id: int) -> Suggestion | None:
        rng = np.random.default_rng([self.seed, self.asked])
        self.asked += 1
        config = space.sample_allowed(self.spec, rng)
        return None if config is None else Suggestion(config)

    def tell(self, trial_id: int, status: TrialStatus, value: float | list[float] | None) -> None:
        """Random search learns nothing from results."""

    def state_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "asked": self.asked}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.seed = int(state["seed"])
        self.asked = int(state["asked"])
