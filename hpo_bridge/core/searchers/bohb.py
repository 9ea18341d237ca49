"""BOHB: hyperband's rungs with model-based proposals (optuna's TPE).

Trials, brackets and rung decisions are those of the hyperband searcher. A
proposal comes from optuna's TPESampler (multivariate, like BOHB's KDE) fit at
the largest rung level b that holds at least `n_startup_trials` values
(default max(5, d + 1) for d parameters: BOHB's paper asks d + 1, five keeps
TPE off a two-point fit). Until some level has that many, proposals are random.

The model at level b sees every trial's value at b as a completed trial, and
every trial that ended below b (stopped by a rung, failed, timed out) as a
*pruned* trial carrying its value at the last level it reached; optuna's TPE
ranks pruned trials after the completed ones, deeper first. Without them the
model would only know the survivors of the lower rungs, all of them good, and
TPE would steer away from exactly where they are. Cancelled trials teach
nothing and are left out.

The model works on the unit coordinates of hpo_bridge.core.space: each
categorical, discrete or bool parameter is an optuna categorical over its
value indices, every other parameter a float in [0, 1) that `space.from_unit`
maps through its domain (scale, q, distribution). Every parameter owns a
coordinate whether or not a condition makes it active, so TPE sees one fixed
search space and conditional parameters need no special case.

Forbidden configurations (the spec's `forbidden`) are proposed again: by the
model with seeds derived from (seed, n, attempt), after MODEL_ATTEMPTS at
random from the proposal's generator; the searcher has nothing left to propose
after space.MAX_FORBIDDEN_DRAWS attempts.

Determinism: the n-th proposal uses seeds derived from (seed, n), and each
level's study is built by replaying one append-only log of observations and
trial ends, which the state keeps; a resumed searcher proposes exactly what the
uninterrupted one would have.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution, FloatDistribution
from optuna.study import StudyDirection
from optuna.trial import TrialState, create_trial

from hpo_bridge.core import space
from hpo_bridge.core.ranges import Choice, as_range
from hpo_bridge.core.searchers import _optuna
from hpo_bridge.core.searchers.hyperband import HyperbandSearcher
from hpo_bridge.core.stopping.hyperband import rung_levels
from hpo_bridge.core.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

MIN_STARTUP = 5
MODEL_ATTEMPTS = 10  # forbidden proposals of the model before drawing at random
END = -1  # the level field of a log entry recording that a trial ended


def _choices(domain: Any) -> int | None:
    """Number of values of a domain the model treats as categorical (a Choice), else None."""
    match as_range(domain):
        case Choice(values=values):
            return len(values)
        case _:
            return None


class BOHBSearcher(HyperbandSearcher):
    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        self.names = space.ordered_names(spec)
        self.sizes = [_choices(spec.search_space[name]) for name in self.names]
        self.n_startup = spec.strategy.n_startup_trials or max(MIN_STARTUP, len(self.names) + 1)
        self.distributions: dict[str, BaseDistribution] = {
            name: FloatDistribution(0.0, 1.0) if n is None else CategoricalDistribution(range(n))
            for name, n in zip(self.names, self.sizes, strict=True)
        }
        self.units: dict[int, list[float]] = {}  # trial id -> unit coordinates of its config
        # Append-only: [level, trial id, value] observations and [END, trial id, 0.0] ends.
        self.log: list[tuple[int, int, float]] = []
        self._counts: dict[int, int] = {}  # level -> observations
        self._last: dict[int, tuple[int, float]] = {}  # trial id -> (deepest level, its value)
        self._ended: set[int] = set()
        self._studies: dict[int, tuple[optuna.Study, int]] = {}  # level -> (study, log read)

    # -- proposals ----------------------------------------------------------------------
    def propose(self, trial_id: int, index: int) -> dict[str, Any] | None:
        level = self.model_level()
        rng = self.rng(index)
        for attempt in range(space.MAX_FORBIDDEN_DRAWS):
            if level is None or attempt >= MODEL_ATTEMPTS:
                units = rng.random(len(self.names)).tolist()
            else:
                units = self._from_model(level, index, attempt)
            config = space.config_from_units(self.spec, units)
            if not space.is_forbidden(self.spec, config):
                self.units[trial_id] = units
                return config
        return None

    def model_level(self) -> int | None:
        """The largest level with at least n_startup observations, or None."""
        ready = [level for level, n in self._counts.items() if n >= self.n_startup]
        return max(ready) if ready else None

    def _from_model(self, level: int, index: int, attempt: int = 0) -> list[float]:
        study = self._study(level)
        # attempt 0 keeps the seed of (seed, index); later ones (after a forbidden proposal)
        # are seeded by (seed, index, attempt).
        key = [self.seed, index] if attempt == 0 else [self.seed, index, attempt]
        seed = int(np.random.SeedSequence(key).generate_state(1)[0])
        with warnings.catch_warnings():
            # multivariate TPE is "experimental" in optuna; its results are what BOHB wants.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            study.sampler = optuna.samplers.TPESampler(
                seed=seed, multivariate=True, n_startup_trials=self.n_startup
            )
            trial = study.ask(self.distributions)
        # Closed at once: TPE's draws depend on how many trials are still running, and a
        # resumed searcher rebuilds the study without them.
        study.tell(trial, state=TrialState.FAIL)
        return [
            float(trial.params[name]) if n is None else (int(trial.params[name]) + 0.5) / n
            for name, n in zip(self.names, self.sizes, strict=True)
        ]

    def _study(self, level: int) -> optuna.Study:
        """The level's optuna study, brought up to date with the log."""
        if level not in self._studies:
            storage = optuna.storages.InMemoryStorage()
            maximize = self.spec.primary.goal == "maximize"
            direction = StudyDirection.MAXIMIZE if maximize else StudyDirection.MINIMIZE
            with _optuna.quiet():  # optuna logs every study it creates
                storage.create_new_study([direction], study_name=f"bohb-{level}")
            self._studies[level] = (optuna.Study(f"bohb-{level}", storage), 0)
        study, read = self._studies[level]
        for entry_level, trial_id, value in self.log[read:]:
            if entry_level == level:
                study.add_trial(self._frozen(trial_id, value=value))
            elif entry_level == END:
                deepest, last = self._last[trial_id]
                if deepest < level:
                    study.add_trial(self._frozen(trial_id, pruned_at=(deepest, last)))
        self._studies[level] = (study, len(self.log))
        return study

    def _frozen(
        self, trial_id: int, value: float | None = None,
        pruned_at: tuple[int, float] | None = None,
    ) -> optuna.trial.FrozenTrial:
        params = {
            name: u if n is None else min(int(u * n), n - 1)
            for name, u, n in zip(self.names, self.units[trial_id], self.sizes, strict=True)
        }
        if pruned_at is None:
            return create_trial(params=params, distributions=self.distributions, value=value)
        return create_trial(
            state=TrialState.PRUNED, params=params, distributions=self.distributions,
            intermediate_values={pruned_at[0]: pruned_at[1]},
        )

    def warm_start(self, trials: Sequence[Trial]) -> None:
        """Earlier trials' curves join the model: each one's value at every rung level it
        reached is an observation at that level, then it ends (so it also counts as a
        pruned trial at deeper levels). The rungs' promotions compare this study's trials
        only: its brackets count their own trials."""
        levels = sorted(set(rung_levels(self.rungs.r_min, self.rungs.r_max, self.rungs.eta)))
        for trial in trials:
            if not trial.values or not space.in_space(self.spec, trial.params):
                continue
            self.units[trial.id] = space.units_from_config(self.spec, trial.params)
            for level in levels:
                if level <= len(trial.values) and math.isfinite(trial.values[level - 1]):
                    self._append(level, trial.id, float(trial.values[level - 1]))
            if trial.id in self._last:
                self._append(END, trial.id, 0.0)
            else:
                del self.units[trial.id]

    # -- observations -------------------------------------------------------------------
    def report(self, trial_id: int, interval: int, value: float) -> None:
        super().report(trial_id, interval, value)
        last = self._last.get(trial_id)
        if (
            trial_id in self.units
            and trial_id not in self._ended
            and math.isfinite(value)
            and (last is None or interval > last[0])
            and self.rungs.value_at(trial_id, interval) is not None
        ):
            self._append(interval, trial_id, float(value))

    def tell(self, trial_id: int, status: TrialStatus, value: float | list[float] | None) -> None:
        if (
            status is not TrialStatus.CANCELLED
            and trial_id in self._last
            and trial_id not in self._ended
        ):
            self._append(END, trial_id, 0.0)

    def _append(self, level: int, trial_id: int, value: float) -> None:
        self.log.append((level, trial_id, value))
        if level == END:
            self._ended.add(trial_id)
        else:
            self._counts[level] = self._counts.get(level, 0) + 1
            self._last[trial_id] = (level, value)

    # -- state --------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            **super().state_dict(),
            "units": {str(t): u for t, u in self.units.items()},
            "log": [list(entry) for entry in self.log],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        self.units = {int(t): [float(x) for x in u] for t, u in state["units"].items()}
        self.log, self._counts, self._last, self._ended, self._studies = [], {}, {}, set(), {}
        for level, trial_id, value in state["log"]:
            self._append(int(level), int(trial_id), float(value))
