"""Grid search: every combination of the finite domains' values, each once.

Order: parameters in the spec's order (a conditional parameter is moved just
after its parent when the spec lists it earlier), values in each domain's
`grid_values()` order, and the LAST parameter varies fastest, like nested
loops. choice(1,2,3) x choice(16,32) gives (1,16) (1,32) (2,16) (2,32) (3,16)
(3,32). A conditional parameter whose condition fails is absent and does not
multiply the configurations, so no configuration repeats. Forbidden
configurations (the spec's `forbidden`) are skipped. `ask` returns None once
the grid is exhausted or `spec.max_trials` configurations were proposed.

The grid is walked lazily (a huge integer range costs nothing up front); the
state is the number of proposals made, and loading it skips that many.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from hpo_bridge.core import space
from hpo_bridge.core.searchers.base import Searcher, Suggestion

if TYPE_CHECKING:
    from hpo_bridge.core.trial import TrialStatus
    from hpo_bridge.spec import TuningSpec


def grid_configs(spec_or_space: Any) -> Iterator[dict[str, Any]]:
    """Every configuration of a finite search space, in grid order (see the module docstring)."""
    search_space = space.space_of(spec_or_space)
    names = space.ordered_names(search_space)
    for name in names:
        if not search_space[name].finite:
            raise ValueError(f"search_space.{name}: grid search needs a finite domain")
    values = {name: search_space[name].grid_values() for name in names}

    def walk(i: int, config: dict[str, Any]) -> Iterator[dict[str, Any]]:
        if i == len(names):
            yield {n: config[n] for n in search_space if n in config}
            return
        name = names[i]
        if not space.is_active(search_space[name], config):
            yield from walk(i + 1, config)
            return
        for value in values[name]:
            config[name] = value
            yield from walk(i + 1, config)
        del config[name]

    return walk(0, {})


def allowed_configs(spec: TuningSpec) -> Iterator[dict[str, Any]]:
    """The grid's configurations that are not forbidden, in grid order."""
    return (config for config in grid_configs(spec) if not space.is_forbidden(spec, config))


class GridSearcher(Searcher):
    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        self.asked = 0
        self._configs = allowed_configs(spec)

    def ask(self, trial_id: int) -> Suggestion | None:
        if self.asked >= self.spec.max_trials:
            return None
        config = next(self._configs, None)
        if config is None:
            return None
        self.asked += 1
        return Suggestion(config)

    def tell(self, trial_id: int, status: TrialStatus, value: float | list[float] | None) -> None:
        """The grid is fixed: results change nothing."""

    def state_dict(self) -> dict[str, Any]:
        return {"asked": self.asked}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.asked = int(state["asked"])
        self._configs = allowed_configs(self.spec)
        for _ in islice(self._configs, self.asked):
            pass
