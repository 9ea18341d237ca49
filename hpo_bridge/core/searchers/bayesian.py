"""Bayesian search: optuna's samplers behind ask/tell (TPE by default, GP as an option).

hpo-bridge writes no model of its own: an in-memory optuna study holds the
history, and each `ask` is optuna's define-by-run `study.ask()` followed by
one `suggest_*` per *active* parameter, parents first, so conditional
parameters are simply never suggested when their condition fails (see
`_optuna` for how each domain maps to an optuna distribution).

- Sampler: TPESampler(n_startup_trials=strategy.n_startup_trials or 10,
  constant_liar=True) - trials still running count as "liars" with a poor
  value, so parallel asks spread out instead of proposing the same point.
  strategy.sampler "gp" picks GPSampler (optuna needs PyTorch for it).
- Multi-objective studies (`objectives:`) create an optuna study with one
  direction per objective; both samplers handle several directions.
- tell: completed and stopped trials (a stopped trial carries its last or
  best value, per `measurement`) become COMPLETE with their value(s); failed,
  timed-out and cancelled trials, and any trial without a valid value,
  become FAIL, which TPE ignores. Intermediate reports are not used: optuna's
  samplers only read them through pruners, and stopping is the rule's job.
- warm_start: an earlier trial's result joins optuna's history as a finished
  trial (its parameters encoded as optuna holds them); one outside the search
  space is skipped. It is part of the state like any trial.
- Forbidden configurations (the spec's `forbidden`): a proposal that matches one
  is closed as FAIL (so the model learns nothing from it) and another is asked
  for; after MODEL_ATTEMPTS of them, or when the model repeats itself, the
  proposal comes from optuna's RandomSampler; after space.MAX_FORBIDDEN_DRAWS
  the searcher has nothing left to propose. Each attempt counts as an ask.
- Determinism: before every ask the sampler's random states are reseeded
  from (strategy.seed, number of asks so far), so a proposal depends only on
  the seed, the history and its index. The state is that history (optuna's
  params, status and values per trial, in ask order, running trials
  included); loading it rebuilds the same study with `create_trial`, so a
  resumed searcher proposes exactly what the uninterrupted one would have.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import optuna
from optuna.study import StudyDirection
from optuna.trial import TrialState, create_trial

from hpo_bridge.core import space
from hpo_bridge.core.searchers import _optuna
from hpo_bridge.core.searchers.base import Searcher, Suggestion, result_of
from hpo_bridge.core.searchers.random_search import derived_seed, strategy_seed
from hpo_bridge.core.trial import Trial, TrialStatus, is_valid_number

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

DEFAULT_STARTUP_TRIALS = 10  # optuna's own default for TPE and GP
MODEL_ATTEMPTS = 10  # forbidden proposals of the model before drawing at random

RUNNING, COMPLETE, FAIL = "running", "complete", "fail"
_STATES = {RUNNING: TrialState.RUNNING, COMPLETE: TrialState.COMPLETE, FAIL: TrialState.FAIL}


def _require_torch() -> None:
    try:
        import torch  # noqa: F401 - optuna's GPSampler runs on PyTorch
    except ImportError:
        raise ValueError(
            "strategy.sampler: gp needs PyTorch, which optuna's GPSampler runs on"
            " (pip install 'hpo-bridge[gp]'), or use sampler tpe"
        ) from None


class BayesianSearcher(Searcher):
    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        strategy = spec.strategy
        if strategy.sampler == "gp":
            _require_torch()
        self.seed = strategy_seed(spec)
        self.names = space.ordered_names(spec)
        self.codecs = {name: _optuna.codec(spec.search_space[name]) for name in self.names}
        self.directions = [
            StudyDirection.MAXIMIZE if o.goal == "maximize" else StudyDirection.MINIMIZE
            for o in spec.all_objectives
        ]
        self.n_startup = strategy.n_startup_trials or DEFAULT_STARTUP_TRIALS
        self.asked = 0
        # One [trial id, optuna params, state, values] per ask; the position is optuna's number.
        self.records: list[list[Any]] = []
        self._numbers: dict[int, int] = {}  # trial id -> its latest ask's number
        self._study = self._new_study()

    # -- optuna plumbing -----------------------------------------------------------------
    def _sampler(self, seed: int) -> optuna.samplers.BaseSampler:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            if self.spec.strategy.sampler == "gp":
                return optuna.samplers.GPSampler(
                    seed=seed, n_startup_trials=self.n_startup, warn_independent_sampling=False
                )
            return optuna.samplers.TPESampler(
                seed=seed,
                n_startup_trials=self.n_startup,
                constant_liar=True,
            )

    def _new_study(self) -> optuna.Study:
        with _optuna.quiet():
            return optuna.create_study(
                storage=optuna.storages.InMemoryStorage(),
                sampler=self._sampler(self.seed),
                directions=self.directions,
            )

    def _reseed(self, index: int) -> None:
        seed = derived_seed(self.seed, index)
        if not _optuna.reseed(self._study.sampler, seed):
            self._study.sampler = self._sampler(seed)

    # -- ask/tell ------------------------------------------------------------------------
    def ask(self, trial_id: int) -> Suggestion | None:
        # Asked again for the same id (a replay): the earlier proposal is void.
        self.tell(trial_id, TrialStatus.CANCELLED, None)
        rejected: list[dict[str, Any]] = []
        for attempt in range(space.MAX_FORBIDDEN_DRAWS):
            self._reseed(self.asked)
            self.asked += 1
            # The model may keep proposing the same forbidden point (GP is deterministic
            # for a history): past a few attempts, or on a repeat, draw at random.
            repeated = len(rejected) >= 2 and rejected[-1] in rejected[:-1]
            at_random = attempt >= MODEL_ATTEMPTS or repeated
            trial, internal, config = self._draw(at_random)
            if not space.is_forbidden(self.spec, config):
                self._numbers[trial_id] = trial.number
                self.records.append([trial_id, internal, RUNNING, None])
                return Suggestion(
                    {name: config[name] for name in self.spec.search_space if name in config})
            # Never run: closed as failed (TPE and GP learn nothing from it), so optuna's
            # numbering and `records` stay one to one.
            with _optuna.quiet():
                self._study.tell(trial.number, state=TrialState.FAIL)
            self.records.append([None, internal, FAIL, None])
            rejected.append(internal)
        return None

    def _draw(self, at_random: bool) -> tuple[optuna.Trial, dict[str, Any], dict[str, Any]]:
        """One proposal of the model (or of optuna's RandomSampler): optuna's trial, its
        internal values and the configuration."""
        model = self._study.sampler
        if at_random:
            self._study.sampler = optuna.samplers.RandomSampler(
                seed=derived_seed(self.seed, self.asked))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                trial = self._study.ask()
                config: dict[str, Any] = {}
                internal: dict[str, Any] = {}
                for name in self.names:
                    if not space.is_active(self.spec.search_space[name], config):
                        continue
                    codec = self.codecs[name]
                    internal[name] = _optuna.suggest(trial, name, codec.distribution)
                    config[name] = codec.decode(internal[name])
        finally:
            self._study.sampler = model
        return trial, internal, config

    def tell(self, trial_id: int, status: TrialStatus, value: float | list[float] | None) -> None:
        number = self._numbers.get(trial_id)
        if number is None or self.records[number][2] != RUNNING:
            return  # never asked here (or already told): nothing to learn
        values = self._values(status, value)
        with _optuna.quiet():
            if values is None:
                self._study.tell(number, state=TrialState.FAIL)
            else:
                self._study.tell(number, values)
        self.records[number][2:] = [FAIL, None] if values is None else [COMPLETE, values]

    def _values(self, status: TrialStatus, value: float | list[float] | None) -> list[float] | None:
        """The objective values optuna gets, or None when the trial counts as failed."""
        if not status.counts_as_result or value is None:
            return None
        values = list(value) if isinstance(value, list | tuple) else [value]
        if len(values) != len(self.directions) or not all(is_valid_number(v) for v in values):
            return None
        return [float(v) for v in values]

    def warm_start(self, trials: Sequence[Trial]) -> None:
        """Earlier trials join optuna's study as completed ones (`add_trials`), ahead of
        this study's: TPE (or GP) models them like its own history, and they count
        towards its startup trials. Ones outside the search space or without a result
        are left out."""
        frozen = []
        for trial in trials:
            values = self._values(trial.status, result_of(self.spec, trial))
            if values is None or not space.in_space(self.spec, trial.params):
                continue
            internal = {name: self.codecs[name].encode(trial.params[name])
                        for name in self.names if name in trial.params}
            frozen.append(create_trial(
                params=internal,
                distributions={name: self.codecs[name].distribution for name in internal},
                state=TrialState.COMPLETE, values=values))
            self._numbers[trial.id] = len(self.records)
            self.records.append([trial.id, internal, COMPLETE, values])
        self._study.add_trials(frozen)

    # -- state ---------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "asked": self.asked,
            "trials": [
                [trial_id, dict(params), state, None if values is None else list(values)]
                for trial_id, params, state, values in self.records
            ],
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.seed = int(state["seed"])
        self.asked = int(state["asked"])
        self.records = []
        self._numbers = {}
        self._study = self._new_study()
        for trial_id, params, status, values in state["trials"]:
            frozen = create_trial(
                params=params,
                distributions={name: self.codecs[name].distribution for name in params},
                state=_STATES[status],
                values=values if status == COMPLETE else None,
            )
            self._study.add_trial(frozen)  # numbered in order: its number is its position
            if trial_id is not None:  # None: a forbidden proposal, never run
                self._numbers[int(trial_id)] = len(self.records)
            self.records.append([None if trial_id is None else int(trial_id), dict(params),
                                 status, values])
