"""Sobol search: scrambled Sobol points (scipy.stats.qmc) mapped through each domain.

One dimension per parameter, in `space.ordered_names` order; a point's
coordinate becomes a value by `space.from_unit` (the domain's inverse CDF, so
scales, q and Azure's distributions all apply). A conditional parameter keeps
its dimension when inactive, so the sequence stays a Sobol sequence. The
scrambling is seeded by strategy.seed; the state is the seed and the number of
points drawn, and loading it fast-forwards a fresh sequence. A point whose
configuration is forbidden (the spec's `forbidden`) is skipped: the next point
of the sequence is taken instead, so `asked` counts points, not proposals.
"""

from __future__ import annotations

import inspect
import warnings
from typing import TYPE_CHECKING, Any

from scipy.stats import qmc

from hpo_bridge.core import space
from hpo_bridge.core.searchers.base import Searcher, Suggestion
from hpo_bridge.core.searchers.random_search import strategy_seed

if TYPE_CHECKING:
    from hpo_bridge.core.trial import TrialStatus
    from hpo_bridge.spec import TuningSpec

# scipy 1.15 renamed `seed` to `rng`; both build numpy's default_rng from an int.
_SEED_KEYWORD = "rng" if "rng" in inspect.signature(qmc.Sobol).parameters else "seed"


def sobol_sequence(dimensions: int, seed: int) -> qmc.Sobol:
    return qmc.Sobol(dimensions, scramble=True, **{_SEED_KEYWORD: seed})


class SobolSearcher(Searcher):
    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        self.seed = strategy_seed(spec)
        self.names = space.ordered_names(spec)
        self.asked = 0
        self._sequence = sobol_sequence(len(self.names), self.seed)

    def ask(self, trial_id: int) -> Suggestion | None:
        for _ in range(space.MAX_FORBIDDEN_DRAWS):
            with warnings.catch_warnings():
                # scipy warns about balance when the count is not a power of two; the
                # tuner needs points one at a time.
                warnings.simplefilter("ignore", UserWarning)
                point = self._sequence.random(1)[0]
            self.asked += 1
            config = space.config_from_units(self.spec, point.tolist())
            if not space.is_forbidden(self.spec, config):
                return Suggestion(config)
        return None

    def tell(self, trial_id: int, status: TrialStatus, value: float | list[float] | None) -> None:
        """The sequence is fixed: results change nothing."""

    def state_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "asked": self.asked}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.seed = int(state["seed"])
        self.asked = int(state["asked"])
        self._sequence = sobol_sequence(len(self.names), self.seed)
        self._sequence.fast_forward(self.asked)
