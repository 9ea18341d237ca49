"""The tuner loop: ask the searcher, run trials on an executor, stop poor ones, end the study.

One `step()` starts trials while fewer than `max_parallel` are active and the
budget allows, waits for the executor's next events, and acts on them:

1. the batch's reports are taken in waves: wave k holds each trial's k-th
   objective report (and the other metrics that came with it, i.e. after it
   until its next objective report). Every report of a wave is recorded
   (stopping rule, searcher) before the wave's stopping decisions, so trials
   running in lockstep are compared interval by interval; decisions go in
   (trial id, interval) order;
2. once a trial is to end (a stop decision, a timeout, an invalid report, the
   study's end) its later reports are dropped: not journaled, not told to the
   rule or searcher, not in its values. A process that printed ahead of the
   decision does not change it: a stopped trial's intervals are the decision's;
3. trials that ended are told to the searcher and counted by the end rules.

Definitions (where the issue left room):
- `max_trials` counts trials *created* (every configuration the tuner asked
  for and started), except trials interrupted by an orchestrator exit, whose
  configurations are re-proposed by the searcher after `resume`.
- The trial budget, `max_total_resource` (the resource, e.g. epochs, all trials may
  be given: core/budget.py), exhaustion of the searcher (grid) and
  `max_trials_without_improvement` end the study as "finished"; failure rules (see
  core/limits.py) as "failed".
- A trial that exits 0 without reporting every objective metric fails with
  "no value of metric X reported". A non-finite report of any metric fails the
  trial at once (its process is stopped) with a reason naming the metric.
- Study end: trials still running are stopped with status CANCELLED; the
  StudyEnded event comes after their final status.
- Times in the events this loop emits are *study* seconds: 0 at the study's
  first start, continuing across resumes (`elapsed`).
- Resume: trials that were pending or running when the orchestrator stopped are
  marked CANCELLED with a reason starting "interrupted", told to the searcher
  as results-less and not counted against `max_trials`; ids continue after the
  largest previous id, so no id repeats. See core/resume.py (`ResumeReplay`).
- Fullytrain (Vega, `trial.fullytrain`): when the search ends "finished", the
  best `top_k` distinct configurations are re-run at full budget (no resource)
  as new trials of stage "fullytrain", at most `max_parallel` at once, before
  StudyEnded. See core/fullytrain.py (`FullytrainStage`).
- Checkpoints: a trial may continue another's training (a suggestion's
  `restore_from`/`start`: population-based training) and an interrupted trial
  runs again from its own last checkpoint. Such a trial inherits the source's
  values up to `start` (`Trial.restore`), so `values[k-1]` is always interval
  k; the executor puts the checkpoint where the trial's contract expects it.
  When the source left no checkpoint the executor says so (RestoreCorrected,
  start 0: from scratch); when the trial reports more intervals than its
  checkpoint left, its start moves back one interval per extra report (its
  checkpoint predates the source's last report, or, down to 0, its script
  ignores checkpoints): its own reports are taken as the last ones of its
  budget. A searcher that `waiting()` (a population whose members all train)
  is asked for nothing until a trial ends.

This module is the loop; the resume replay and the fullytrain stage are mixins
of `Tuner` in their own modules.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from hpo_bridge.core.budget import ResourceBudget
from hpo_bridge.core.durations import format_duration
from hpo_bridge.core.events import (
    ExecutorEvent,
    MetricReported,
    RestoreCorrected,
    StoppingDecision,
    StudyEnded,
    StudyEvent,
    TrialCreated,
    TrialFinished,
    TrialRetried,
    TrialStarted,
    TrialStatusChanged,
)
from hpo_bridge.core.executor import Executor
from hpo_bridge.core.fullytrain import FullytrainStage
from hpo_bridge.core.limits import StudyProgress
from hpo_bridge.core.ranking import best_trial
from hpo_bridge.core.resume import BacklogEntry, ResumeReplay
from hpo_bridge.core.searchers.base import Searcher, Suggestion
from hpo_bridge.core.session import SessionLimits
from hpo_bridge.core.stopping.base import StoppingRule
from hpo_bridge.core.trial import (
    FULLYTRAIN,
    HPO,
    INTERRUPTED,
    Restore,
    Trial,
    TrialStatus,
    is_interrupted,
    is_valid_number,
)

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

DRAIN_POLL = 1.0  # seconds of the executor's clock per poll while cancelled trials wind down

Sink = Callable[[StudyEvent], None]


__all__ = ["INTERRUPTED", "Tuner", "is_interrupted"]


class Tuner(ResumeReplay, FullytrainStage):
    """Drives one study: `run()` until it ends, or `step()` one round at a time."""

    def __init__(
        self,
        spec: TuningSpec,
        searcher: Searcher,
        executor: Executor,
        *,
        rule: StoppingRule | None = None,
        sink: Sink | None = None,
        previous: Sequence[Trial] = (),
        backlog: Sequence[BacklogEntry] = (),
        elapsed: float = 0.0,
        poll_interval: float = math.inf,
        durable: Callable[[], None] | None = None,
        session: SessionLimits | None = None,
        prior: Sequence[Trial] = (),
    ) -> None:
        self.spec = spec
        # Makes what the sink received durable (the store's commit): called before a
        # trial's process starts, so no process runs that the journal does not know.
        self._durable = durable or (lambda: None)
        self.searcher = searcher
        self.executor = executor
        self.clock = executor.clock
        # A searcher's own rule (hyperband rungs) replaces the spec's policy.
        self.rule = searcher.stopping_rule() or rule
        self._searcher_rule = self.rule is not None and self.rule is not rule
        self.sink: Sink = sink or (lambda event: None)
        self._journaled = sink is not None
        self.poll_interval = poll_interval
        self.objectives = spec.all_objectives
        self.primary = spec.primary.metric
        self.max_trials = spec.max_trials
        self.max_parallel = spec.limits.max_parallel
        self.trials: dict[int, Trial] = {}
        self.progress = StudyProgress(spec)
        self.ended: StudyEnded | None = None  # set when the search ends
        self._over = False  # StudyEnded was emitted (after the fullytrain stage, if any)
        self._stage = HPO
        self._queue: list[Trial] = []  # fullytrain trials waiting for a free slot
        self.exhausted = False
        self.searcher_changed = False  # since the last `take_searcher_state`
        self._t0 = self.clock.now()
        self._elapsed0 = elapsed
        self._active: set[int] = set()  # started on the executor, no TrialFinished yet
        self._ending: dict[int, tuple[TrialStatus, str]] = {}  # stop requested
        self._deadlines: list[tuple[float, int]] = []  # (executor clock time, trial id)
        self._budget_used = 0
        self._next_id = 1
        self._pending_end: tuple[str, str] | None = None
        self._reruns: list[Trial] = []  # interrupted trials to run again (resume), by id
        self._closing: str | None = None  # why the orchestrator is stopping (interrupt())
        self.interrupted = False  # stepped until interrupt() had every trial ended
        bounds = spec.resource_bounds()
        self._default_budget = bounds[1] if bounds is not None else None
        self._learn_from_prior(prior)
        self.resource_budget = ResourceBudget(spec.limits.max_total_resource,
                                              self._default_budget)
        self._restore(previous, backlog)
        self._pending_end = self.progress.verdict()
        # This run's own limits (CI runs of a continuing study): see core/session.py.
        self.session = session or SessionLimits()
        self._session_start = self.now()
        self._created_before = self._budget_used
        self._holding: str | None = None  # why this run launches no more trials
        self.paused = False  # stopped by the session's limits; the study goes on next run

    # -- public ------------------------------------------------------------------------
    def now(self) -> float:
        """Study time: seconds since the study first started, across resumes."""
        return self._elapsed0 + (self.clock.now() - self._t0)

    @property
    def active(self) -> int:
        return len(self._active)

    @property
    def budget_used(self) -> int:
        return self._budget_used

    def run(self) -> StudyEnded:
        while self.step():
            pass
        assert self.ended is not None
        return self.ended

    def step(self) -> bool:
        """One round; False once the study has ended (then every trial has ended too), or
        once `interrupt()` had every trial end."""
        if self._over or self.interrupted:
            return False
        if self._closing is not None:
            return self._closing_step()
        if self.in_fullytrain:
            return self._fullytrain_step()
        self._check_duration()
        self._fill()
        if self._session_deadline_passed():
            self.paused = True
            self.interrupt(f"interrupted ({self._holding})")
            return self._closing_step()
        if self.ended is None and self._pending_end is None and not self._active:
            if self._holding is not None and not self._search_done():
                return self._pause()
            self._end("finished", self._why_idle())
        elif self.ended is None and self._pending_end is None:
            self._handle(self.executor.poll(self._poll_timeout()))
            self._enforce_timeouts()
            self._check_duration()
        if self._pending_end is not None and self.ended is None:
            self._end(*self._pending_end)
        if self.ended is not None:
            self._drain()
            if self._begin_fullytrain():
                return True
            return self._close()
        return True

    def cancel(self, reason: str, status: str = "cancelled") -> StudyEnded:
        """End the study now (e.g. the user asked); running trials are cancelled."""
        if not self._over:
            if self.ended is None:
                self._end(status, reason)
            else:  # during the fullytrain stage
                self._cancel_fullytrain(status, reason)
            self._drain()
            self._close()
        assert self.ended is not None
        return self.ended

    def interrupt(self, reason: str) -> None:
        """The orchestrator is stopping (Ctrl-C, SIGTERM): launch nothing more; let the
        trials that already reported their final interval finish, and end the others as
        INTERRUPTED (`resume` runs them again). Step on until `step()` returns False; the
        study does not end (no StudyEnded)."""
        if self._over or self._closing is not None:
            return
        self._closing = reason
        self._queue.clear()
        for trial_id in sorted(self._active):
            if not self._at_final_interval(self.trials[trial_id]):
                self._request_end(trial_id, TrialStatus.INTERRUPTED, reason)

    @property
    def closing_reason(self) -> str | None:
        """Why the run stopped without ending the study (interrupt() or a pause)."""
        return self._closing

    def _learn_from_prior(self, prior: Sequence[Trial]) -> None:
        """Earlier trials (warm start) join the spec's stopping rule's history, so running
        trials are also compared with their curves; they have negative ids and are not
        trials of this study. A searcher's own rule (hyperband rungs) is left alone."""
        if self.rule is None or self._searcher_rule:
            return
        for trial in prior:
            for interval, value in enumerate(trial.values, start=1):
                self.rule.report(trial.id, interval, value)
            self.rule.finished(trial.id)

    def _closing_step(self) -> bool:
        if self._active:
            self._handle(self.executor.poll(self._poll_timeout()))
            self._enforce_timeouts()
        if self._active:
            return True
        self.interrupted = True
        return False

    def _at_final_interval(self, trial: Trial) -> bool:
        return trial.resource is not None and len(trial.values) >= trial.resource

    def take_searcher_state(self) -> dict | None:
        """The searcher's state if it changed since the last call (for the store)."""
        if not self.searcher_changed:
            return None
        self.searcher_changed = False
        return self.searcher.state_dict()

    def best(self) -> Trial | None:
        """The best trial so far by the first objective (see core/ranking.py)."""
        return best_trial(self.spec, self.trials.values())

    # -- this run's limits (core/session.py) ----------------------------------------------
    def _may_launch(self, new: bool = True) -> bool:
        if self._holding is None:
            self._holding = self.session.hold(
                self.spec, now=self.now(), start=self._session_start,
                created=self._budget_used - self._created_before,
                trials=self.trials.values(), new=new)
        return self._holding is None

    def _search_done(self) -> bool:
        """Nothing is left to launch: the study would end now were it not paused."""
        return not self._reruns and (self.exhausted or self._budget_used >= self.max_trials)

    def _session_deadline_passed(self) -> bool:
        deadline = self.session.deadline(self.spec, self._session_start)
        if deadline is None or self.now() < deadline or self.ended is not None:
            return False
        self._holding = self._holding or self.session.spent()
        return bool(self._active)

    def _pause(self) -> bool:
        """Stop this run without ending the study (every trial has ended)."""
        self._closing = self._holding
        self.interrupted = self.paused = True
        return False

    # -- starting trials ---------------------------------------------------------------
    def _fill(self) -> None:
        # Interrupted trials run again first (they were counted when first created).
        while (self._reruns and self.ended is None and self._pending_end is None
               and len(self._active) < self.max_parallel and self._may_launch(new=False)):
            self._relaunch(self._reruns.pop(0))
        while (
            self.ended is None
            and self._pending_end is None
            and not self.exhausted
            and len(self._active) < self.max_parallel
            and self._budget_used < self.max_trials
            and self._may_launch()
            and self.resource_budget.fits(self.trials[t] for t in self._active)
        ):
            if self.searcher.waiting():
                return  # a population member finishing will free it
            trial_id = self._next_id
            suggestion = self.searcher.ask(trial_id)
            self.searcher_changed = True
            if suggestion is None:
                self.exhausted = True
                return
            self._next_id += 1
            self._budget_used += 1
            # The budget the trial is told (--epochs=9...): the searcher's, else the most
            # the spec's resource allows, when the spec has one.
            budget = suggestion.resource if suggestion.resource is not None \
                else self._default_budget
            self._launch(self._new_trial(trial_id, suggestion, budget))

    def _new_trial(self, trial_id: int, suggestion: Suggestion, budget: int | None) -> Trial:
        trial = Trial(id=trial_id, params=dict(suggestion.params), resource=budget,
                      bracket=suggestion.bracket, origin=suggestion.origin)
        source = self.trials.get(suggestion.restore_from) \
            if suggestion.restore_from is not None else None
        start = min(suggestion.start, len(source.values)) if source is not None else 0
        if source is not None and start > 0:
            self._inherit(trial, Restore(source.id, start, tuple(source.values[:start])))
        return trial

    def _inherit(self, trial: Trial, restore: Restore) -> None:
        """The trial continues `restore.source`'s training: its curve starts with the
        source's values up to the checkpoint."""
        trial.restore = restore
        trial.values = list(restore.values)
        trial.metrics = {self.primary: list(restore.values)} if restore.values else {}

    def _launch(self, trial: Trial) -> None:
        """Journal a new trial (durably) and start it on the executor."""
        self.trials[trial.id] = trial
        self.sink(TrialCreated(trial.id, self.now(), trial.params, trial.resource,
                               trial.bracket, trial.stage, trial.restore, trial.origin))
        self._start(trial)

    def _relaunch(self, trial: Trial) -> None:
        """Run an interrupted trial again: same id, configuration and budget, from the
        checkpoint its interrupted attempt left (when it reported something)."""
        inherited = tuple(trial.values)
        trial.attempt += 1
        trial.status, trial.reason, trial.exit_code = TrialStatus.PENDING, None, None
        trial.started_at = trial.ended_at = None
        trial.values, trial.metrics = [], {}
        trial.restore = trial.restore_note = None
        reason = f"run again after an interruption (attempt {trial.attempt})"
        if inherited:
            self._inherit(trial, Restore(trial.id, len(inherited), inherited))
            reason += f", from its checkpoint after interval {len(inherited)}"
        self.sink(TrialRetried(trial.id, self.now(), trial.attempt, reason, trial.restore))
        self._start(trial)

    def _start(self, trial: Trial) -> None:
        now = self.now()
        self._durable()
        self._active.add(trial.id)
        timeout = self.spec.limits.trial_timeout
        if timeout is not None:
            heapq.heappush(self._deadlines, (self.clock.now() + timeout, trial.id))
        try:
            self.executor.start(trial)
        except Exception as exc:  # noqa: BLE001 - one bad trial must not end the study
            self._active.discard(trial.id)
            self._finish(trial, now, TrialStatus.FAILED, f"could not start: {exc}", None)

    def _why_idle(self) -> str:
        if self.exhausted:
            return f"the searcher has no more configurations ({self._budget_used} trials)"
        if self._budget_used < self.max_trials and not self.resource_budget.fits(()):
            unit = self.spec.trial.resource.name if self.spec.trial.resource else "epochs"
            return (f"max_total_resource ({self.resource_budget.limit} {unit}) reached:"
                    f" {self.resource_budget.spent} spent, another trial takes"
                    f" {self.resource_budget.per_trial}")
        return f"max_trials ({self.max_trials}) reached"

    # -- events ------------------------------------------------------------------------
    def _poll_timeout(self) -> float:
        timeout = self.poll_interval
        if self._deadlines:
            timeout = min(timeout, self._deadlines[0][0] - self.clock.now())
        max_duration = self.spec.limits.max_duration
        if max_duration is not None and not self.in_fullytrain:
            timeout = min(timeout, max_duration - self.now())
        deadline = self.session.deadline(self.spec, self._session_start)
        if deadline is not None and self._closing is None:
            timeout = min(timeout, deadline - self.now())
        return max(timeout, 0.0)

    def _study_time(self, executor_time: float) -> float:
        return self._elapsed0 + (executor_time - self._t0)

    def _handle(self, events: Iterable[ExecutorEvent]) -> None:
        finished: list[TrialFinished] = []
        waves: list[list[MetricReported]] = []
        primaries: dict[int, int] = {}  # objective reports per trial in this batch
        for event in events:
            if isinstance(event, TrialFinished):
                finished.append(event)
            elif isinstance(event, MetricReported):
                if event.name == self.primary:
                    primaries[event.trial_id] = primaries.get(event.trial_id, 0) + 1
                wave = max(primaries.get(event.trial_id, 0), 1) - 1
                while len(waves) <= wave:
                    waves.append([])
                waves[wave].append(event)
            elif isinstance(event, TrialStarted):
                self._on_started(event)
            elif isinstance(event, RestoreCorrected):
                self._on_restore_corrected(event)
        finishing = {e.trial_id for e in finished}
        last_time = self.now()
        for wave_events in waves:
            to_decide: list[tuple[int, int]] = []
            for metric in wave_events:
                interval = self._on_metric(metric)
                if interval is not None:
                    to_decide.append((metric.trial_id, interval))
            self._decide(to_decide, finishing, last_time)
        for event in finished:
            self._on_finished(event)

    def _decide(self, to_decide: list[tuple[int, int]], finishing: set[int], t: float) -> None:
        if self.rule is None:
            return
        for trial_id, interval in sorted(to_decide):
            if trial_id in finishing or trial_id in self._ending:
                continue
            decision = self.rule.decide(trial_id, interval)
            if decision.stop:
                self.sink(StoppingDecision(trial_id, t, interval, self.rule.name, decision.reason))
                self._request_end(trial_id, TrialStatus.STOPPED, decision.reason)

    def _on_started(self, event: TrialStarted) -> None:
        trial = self.trials.get(event.trial_id)
        if trial is None or event.trial_id not in self._active:
            return
        t = self._study_time(event.time)
        trial.started_at = t
        trial.status = TrialStatus.RUNNING
        self.sink(TrialStarted(trial.id, t))
        self.sink(TrialStatusChanged(trial.id, t, TrialStatus.RUNNING))
        if trial.start > 0 and trial.stage != FULLYTRAIN:
            # The curve it continues, for the rule and the searcher (a rebuilt rule lacks
            # an interrupted attempt's values; recording an interval twice changes nothing).
            for interval, value in enumerate(trial.values, start=1):
                if self.rule is not None:
                    self.rule.report(trial.id, interval, value)
                self.searcher.report(trial.id, interval, value)
            self.searcher_changed = True

    def _on_restore_corrected(self, event: RestoreCorrected) -> None:
        """The executor found no checkpoint to resume from (before the trial started)."""
        trial = self.trials.get(event.trial_id)
        if trial is None or trial.restore is None or event.trial_id not in self._active:
            return
        self._cut_inheritance(trial, event.start, event.reason, self._study_time(event.time))

    def _cut_inheritance(self, trial: Trial, start: int, reason: str, t: float) -> None:
        assert trial.restore is not None
        own = trial.values[trial.start:]
        kept = trial.values[:start]
        trial.values = kept + own
        trial.metrics[self.primary] = list(trial.values)
        trial.restore = replace(trial.restore, start=start, values=tuple(kept))
        trial.restore_note = reason
        self.sink(RestoreCorrected(trial.id, t, start, reason))

    def _resumed_earlier(self, trial: Trial, t: float) -> None:
        """A restored trial reported past its budget: its checkpoint holds one interval
        fewer than planned (see the module notes)."""
        assert trial.restore is not None
        start = trial.start - 1
        source = trial.restore.source
        whose = "its interrupted attempt" if source == trial.id else f"trial {source}"
        if start == 0:
            reason = (f"restarted from scratch: it reported more intervals than the checkpoint"
                      f" of {whose} left (its script ignores checkpoints)")
        else:
            reason = (f"resumed after interval {start} of {whose}, not {trial.start}: it"
                      " reported more intervals than its checkpoint left")
        self._cut_inheritance(trial, start, reason, t)

    def _on_metric(self, event: MetricReported) -> int | None:
        """Record one report; the objective's interval number when a rule should decide."""
        trial_id = event.trial_id
        trial = self.trials.get(trial_id)
        if trial is None or trial_id not in self._active or trial_id in self._ending:
            return None  # reports after a stop request do not count
        if event.name == self.primary and self._at_final_interval(trial):
            if trial.start > 0:
                self._resumed_earlier(trial, self._study_time(event.time))
            else:
                assert trial.resource is not None
                name = self.spec.trial.resource.name if self.spec.trial.resource else "epochs"
                self._request_end(trial_id, TrialStatus.COMPLETED,
                                  f"reported past its budget of {trial.resource} {name}")
                return None
        if self._journaled:
            self.sink(MetricReported(trial_id, self._study_time(event.time), event.name,
                                     event.value, event.raw))
        if not is_valid_number(event.value):
            shown = event.raw if event.raw is not None else repr(event.value)
            self._request_end(
                trial_id,
                TrialStatus.FAILED,
                f"metric {event.name!r} reported {shown!s}, not a finite number",
            )
            return None
        value = float(event.value)
        trial.metrics.setdefault(event.name, []).append(value)
        if event.name != self.primary:
            return None
        trial.values.append(value)
        if trial.stage == FULLYTRAIN:
            return None  # the search is over: nothing learns from these
        interval = len(trial.values)
        if self.rule is not None:
            self.rule.report(trial_id, interval, value)
        self.searcher.report(trial_id, interval, value)
        self.searcher_changed = True
        return interval

    def _on_finished(self, event: TrialFinished) -> None:
        trial = self.trials.get(event.trial_id)
        if trial is None or event.trial_id not in self._active:
            return
        self._active.discard(event.trial_id)
        t = self._study_time(event.time)
        requested = self._ending.pop(event.trial_id, None)
        reason: str | None
        if requested is not None:
            status, reason = requested
        else:
            status, reason = event.status, event.reason
            if status is TrialStatus.COMPLETED:
                missing = [o.metric for o in self.objectives if not self._reported(trial, o.metric)]
                if missing:
                    status = TrialStatus.FAILED
                    reason = f"no value of metric {missing[0]} reported" + _what_came(trial)
        self._finish(trial, t, status, reason, event.exit_code)

    def _finish(
        self,
        trial: Trial,
        t: float,
        status: TrialStatus,
        reason: str | None,
        exit_code: int | None,
    ) -> None:
        trial.status, trial.reason, trial.exit_code, trial.ended_at = status, reason, exit_code, t
        self.sink(TrialStatusChanged(trial.id, t, status, reason, exit_code))
        if trial.stage == FULLYTRAIN or status is TrialStatus.INTERRUPTED:
            return  # nothing learns from an interrupted attempt: the trial runs again
        self.resource_budget.ended(trial)
        if self.rule is not None:
            self.rule.ended(trial.id, status)
        value = self._result(trial) if status.counts_as_result else None
        self.searcher.tell(trial.id, status, value)
        self.searcher_changed = True
        if self.ended is None:
            self.progress.trial_ended(trial.id, status, value, reason)
            verdict = self.progress.verdict()
            if verdict is not None and self._pending_end is None:
                self._pending_end = verdict

    def _reported(self, trial: Trial, metric: str) -> bool:
        return _reported_own(trial, metric, self.primary)

    def _result(self, trial: Trial) -> float | list[float] | None:
        """The objective per measurement; a list for multi-objective; None if incomplete."""
        values = [trial.metric_value(o.metric, o.goal, o.measurement) for o in self.objectives]
        if any(v is None for v in values):
            return None
        if self.spec.multi_objective:
            return [float(v) for v in values]  # type: ignore[arg-type]
        return float(values[0])  # type: ignore[arg-type]

    # -- ending trials and the study ------------------------------------------------------
    def _request_end(self, trial_id: int, status: TrialStatus, reason: str) -> None:
        if trial_id in self._ending or trial_id not in self._active:
            return
        self._ending[trial_id] = (status, reason)
        self.executor.stop(trial_id, reason, status)

    def _enforce_timeouts(self) -> None:
        timeout = self.spec.limits.trial_timeout
        now = self.clock.now()
        while self._deadlines and self._deadlines[0][0] <= now:
            _, trial_id = heapq.heappop(self._deadlines)
            if trial_id in self._active and timeout is not None:
                self._request_end(
                    trial_id, TrialStatus.TIMEOUT,
                    f"trial_timeout {format_duration(timeout)} exceeded",
                )

    def _check_duration(self) -> None:
        limit = self.spec.limits.max_duration
        if limit is not None and self.ended is None and self.now() >= limit:
            self._pending_end = self._pending_end or (
                "finished", f"max_duration {format_duration(limit)} reached"
            )

    def _end(self, status: str, reason: str) -> None:
        self.ended = StudyEnded(self.now(), status, reason)
        for trial_id in sorted(self._active):
            self._request_end(trial_id, TrialStatus.CANCELLED, f"study ended: {reason}")

    def _drain(self) -> None:
        """Wait for every stopped trial's final status."""
        while self._active:
            events = self.executor.poll(DRAIN_POLL)
            if not events and self.executor.running() == 0:
                # The executor lost them (it should not): close them with the requested status.
                for trial_id in sorted(self._active):
                    self._on_finished(TrialFinished(
                        trial_id, self.clock.now(), TrialStatus.CANCELLED, None,
                        "the executor lost the trial",
                    ))
                break
            self._handle(events)

    def _close(self) -> bool:
        assert self.ended is not None
        self._over = True
        self.sink(self.ended)
        return False


def _reported_own(trial: Trial, metric: str, primary: str) -> bool:
    """The trial itself reported `metric`: inherited values of a trial that continued
    another's checkpoint do not count; those of a resumed attempt do (it may resume a
    training its interrupted attempt had finished: nothing is left to report)."""
    if metric == primary:
        resumed = trial.restore is not None and trial.restore.source == trial.id
        return len(trial.values) > (0 if resumed else trial.start)
    return bool(trial.metrics.get(metric))


def _what_came(trial: Trial) -> str:
    """What the trial did report, for a reason naming a metric it did not."""
    names = sorted(trial.metrics)
    if not names:
        return " (it reported no metric)"
    shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
    return f" (it reported: {shown})"
