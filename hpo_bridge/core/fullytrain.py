"""Vega's fullytrain stage: which configurations to re-run once the search has ended,
and the tuner's running of that stage (`FullytrainStage`, a mixin of `Tuner`).

The best `top_k` distinct configurations of the search (a multi-fidelity
search tries one configuration at several budgets: it counts once), each re-run
at full budget as a new trial. A configuration that already has a fullytrain
trial (a resumed study) is not run again, unless that trial was interrupted.

When the search ends "finished", the stage's trials are queued and started at
most `trial.fullytrain.max_parallel` (default `limits.max_parallel`) at once,
before StudyEnded. They are not told to the
searcher or the stopping rule and do not count against `max_trials`;
`trial_timeout` applies, `max_duration` does not (it ends the search, not the
stage after it).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.events import ExecutorEvent, StudyEnded
from hpo_bridge.core.ranking import ranked
from hpo_bridge.core.trial import FULLYTRAIN, Trial, TrialStatus, is_interrupted

if TYPE_CHECKING:
    from hpo_bridge.core.executor import Executor
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


class FullytrainStage:
    """The fullytrain half of `Tuner` (hpo_bridge/core/tuner.py), which provides this state."""

    _stage: str  # HPO, then FULLYTRAIN once the stage began
    _queue: list[Trial]  # fullytrain trials waiting for a free slot

    if TYPE_CHECKING:
        spec: TuningSpec
        executor: Executor
        trials: dict[int, Trial]
        ended: StudyEnded | None
        max_parallel: int
        _active: set[int]
        _next_id: int

        def now(self) -> float: ...

        def _launch(self, trial: Trial) -> None: ...

        def _handle(self, events: Iterable[ExecutorEvent]) -> None: ...

        def _poll_timeout(self) -> float: ...

        def _enforce_timeouts(self) -> None: ...

        def _request_end(self, trial_id: int, status: TrialStatus, reason: str) -> None: ...

        def _close(self) -> bool: ...

    @property
    def in_fullytrain(self) -> bool:
        return self._stage == FULLYTRAIN

    def _begin_fullytrain(self) -> bool:
        """Queue the stage's trials when the search finished; False when there are none."""
        stage = self.spec.trial.fullytrain
        if stage is None or self._stage == FULLYTRAIN or self.ended is None \
                or self.ended.status != "finished":
            return False
        self._stage = FULLYTRAIN
        for source in fullytrain_configs(self.spec, self.trials.values(), stage.top_k):
            self._queue.append(Trial(id=self._next_id, params=dict(source.params),
                                     stage=FULLYTRAIN))
            self._next_id += 1
        self._start_queued()
        return bool(self._active)

    def _start_queued(self) -> None:
        stage = self.spec.trial.fullytrain
        limit = (stage.max_parallel if stage is not None else None) or self.max_parallel
        while self._queue and len(self._active) < limit:
            self._launch(self._queue.pop(0))

    def _fullytrain_step(self) -> bool:
        self._handle(self.executor.poll(self._poll_timeout()))
        self._enforce_timeouts()
        self._start_queued()
        if self._active:
            return True
        search = self.ended
        assert search is not None
        self.ended = StudyEnded(self.now(), search.status, search.reason)  # ends now
        return self._close()

    def _cancel_fullytrain(self, status: str, reason: str) -> None:
        """End the stage now: queued trials never start, running ones are cancelled."""
        self._queue.clear()
        self.ended = StudyEnded(self.now(), status, reason)
        for trial_id in sorted(self._active):
            self._request_end(trial_id, TrialStatus.CANCELLED, f"study ended: {reason}")
