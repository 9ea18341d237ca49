"""ASHA's rung decisions (the stopping variant of asynchronous successive halving).

Rungs sit at r_min * eta^k below r_max (r_min, r_max = spec.resource_bounds(),
eta = strategy.reduction_factor, default 3): with r_min 1, r_max 9, eta 3 a
trial is judged at epochs 1 and 3 and runs to 9 if it passes both. Every
trial runs with the full budget r_max and reports one value per resource unit,
so interval k is resource k.

The rule (ASHA's asynchronous promotion, as Syne Tune's and Ray Tune's
stopping schedulers apply it): when a trial reports at a rung, its value at
that rung (the report at that interval, not its best so far) joins every value
recorded at that rung so far, its own included. With n values, the trial
continues when its rank, 1 + the number of strictly better values, is at most
max(1, floor(n / eta)); the first trial at a rung therefore always continues,
and ties share the better rank. Reports made at the same simulated time are
all recorded before any is decided (the tuner's contract), so trials in
lockstep are judged together.

Brackets (strategy.brackets, default 1; at most the number of rung levels):
bracket s judges only at the rungs r_min * eta^(s+k) < r_max, so higher brackets
are less aggressive, and keeps its own rung values. Trials are assigned to
brackets round-robin, in the order the searcher proposes them (or, for the
rule alone, the order of their first report).

`evaluation_interval` and `delay_evaluation` do not apply: rungs decide. The
state is serialisable (`Rungs.state_dict`) because the hyperband and bohb
searchers keep their rungs in it; the rule alone can also be rebuilt by
replaying reports, since recording a trial's value at a rung twice replaces it.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.stopping._history import Ranking, fmt, scorer
from hpo_bridge.core.stopping.base import CONTINUE, Decision, StoppingRule

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

DEFAULT_ETA = 3


def rung_levels(r_min: int, r_max: int, eta: int) -> list[int]:
    """Every r_min * eta^k <= r_max."""
    levels, r = [], r_min
    while r <= r_max:
        levels.append(r)
        r *= eta
    return levels


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Rungs:
    """Rung values of every bracket, shared by a hyperband searcher and its rule.

    Values are recorded at every rung level of the trial's bracket and at
    r_max (the final value, which BOHB learns from) but decided only below r_max.
    """

    def __init__(
        self, goal: str, r_min: int, r_max: int, eta: int = DEFAULT_ETA, brackets: int = 1
    ) -> None:
        self.goal, self.sign = goal, scorer(goal)
        self.r_min, self.r_max, self.eta = r_min, r_max, eta
        levels = rung_levels(r_min, r_max, eta)
        self.n_brackets = max(1, min(brackets, len(levels)))
        # bracket -> its decision levels (strictly below r_max)
        self.levels = [[r for r in levels[s:] if r < r_max] for s in range(self.n_brackets)]
        self.bracket_of: dict[int, int] = {}
        self._next_bracket = 0
        # (bracket, level) -> trial id -> value, in recording order
        self._values: dict[tuple[int, int], dict[int, float]] = {}
        self._rankings: dict[tuple[int, int], Ranking] = {}

    @classmethod
    def from_spec(cls, spec: TuningSpec) -> Rungs:
        bounds = spec.resource_bounds()
        if bounds is None:
            raise ValueError("hyperband needs a resource: trial.resource or strategy min/max")
        st = spec.strategy
        return cls(
            spec.primary.goal, bounds[0], bounds[1],
            st.reduction_factor or DEFAULT_ETA, st.brackets or 1,
        )

    def assign(self, trial_id: int) -> int:
        """The trial's bracket, assigned round-robin on first sight."""
        bracket = self.bracket_of.get(trial_id)
        if bracket is None:
            bracket = self._next_bracket % self.n_brackets
            self._next_bracket += 1
            self.bracket_of[trial_id] = bracket
        return bracket

    def _is_level(self, bracket: int, level: int) -> bool:
        return level == self.r_max or level in self.levels[bracket]

    def record(self, trial_id: int, interval: int, value: float) -> None:
        bracket = self.assign(trial_id)
        if not math.isfinite(value) or not self._is_level(bracket, interval):
            return
        key = (bracket, interval)
        values = self._values.setdefault(key, {})
        ranking = self._rankings.setdefault(key, Ranking())
        old = values.get(trial_id)
        if old is not None:  # a replay: replace, never count twice
            ranking.remove(self.sign * old)
        values[trial_id] = value
        ranking.add(self.sign * value)

    def decide(self, trial_id: int, interval: int) -> tuple[bool, int, int, int] | None:
        """(continues, rank, n, allowed) for a trial at one of its decision rungs, else None."""
        bracket = self.bracket_of.get(trial_id)
        if bracket is None or interval not in self.levels[bracket]:
            return None
        value = self._values.get((bracket, interval), {}).get(trial_id)
        if value is None:
            return None
        scores = self._rankings[(bracket, interval)].scores
        n = len(scores)
        rank = 1 + n - bisect_right(scores, self.sign * value)
        allowed = max(1, n // self.eta)
        return rank <= allowed, rank, n, allowed

    def value_at(self, trial_id: int, level: int) -> float | None:
        bracket = self.bracket_of.get(trial_id)
        return None if bracket is None else self._values.get((bracket, level), {}).get(trial_id)

    def observations(self, level: int) -> list[tuple[int, float]]:
        """(trial id, value) recorded at `level` in every bracket (recording order per bracket)."""
        out: list[tuple[int, float]] = []
        for bracket in range(self.n_brackets):
            out += self._values.get((bracket, level), {}).items()
        return out

    def all_levels(self) -> list[int]:
        """Every level where values are recorded, ascending."""
        return sorted({r for levels in self.levels for r in levels} | {self.r_max})

    def state_dict(self) -> dict[str, Any]:
        return {
            "bracket_of": {str(t): b for t, b in self.bracket_of.items()},
            "next_bracket": self._next_bracket,
            "values": [
                [bracket, level, [[t, v] for t, v in values.items()]]
                for (bracket, level), values in self._values.items()
            ],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.bracket_of = {int(t): int(b) for t, b in state["bracket_of"].items()}
        self._next_bracket = int(state["next_bracket"])
        self._values, self._rankings = {}, {}
        for bracket, level, pairs in state["values"]:
            key = (int(bracket), int(level))
            self._values[key] = {int(t): float(v) for t, v in pairs}
            ranking = self._rankings[key] = Ranking()
            for v in self._values[key].values():
                ranking.add(self.sign * v)


def _unit(resource_name: str) -> str:
    # "epochs" -> "epoch": reasons read "at rung 3 (epoch 3)".
    return resource_name[:-1] if resource_name.endswith("s") else resource_name


class HyperbandRule(StoppingRule):
    name = "hyperband"

    def __init__(self, spec: TuningSpec, rungs: Rungs | None = None) -> None:
        super().__init__(spec)
        self.rungs = rungs if rungs is not None else Rungs.from_spec(spec)
        resource = spec.trial.resource
        self.unit = _unit(resource.name if resource is not None else "epochs")

    def report(self, trial_id: int, interval: int, value: float) -> None:
        self.rungs.record(trial_id, interval, value)

    def decide(self, trial_id: int, interval: int) -> Decision:
        outcome = self.rungs.decide(trial_id, interval)
        if outcome is None or outcome[0]:
            return CONTINUE
        _, rank, n, allowed = outcome
        value = self.rungs.value_at(trial_id, interval)
        assert value is not None
        eta = self.rungs.eta
        return Decision(
            True,
            f"hyperband: {fmt(value)} not in top 1/{eta} at rung {interval}"
            f" ({self.unit} {interval}): {ordinal(rank)} of {n}, needs rank <= {allowed}",
        )
