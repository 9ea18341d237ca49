"""An emulated cloud tuning job: hpo-bridge's own core runs it, in a background thread.

The run is the same for every cloud; what differs is behind `TuningHost`, which the front end
implements for one job:

- `prepare(work_dir)` fetches the job's code and data into `work_dir` and returns the spec
  to run (its `trial.contract` is the cloud's: sagemaker, vertex, azure); a problem of the
  request or its code is raised as `RunRejected` (or SpecError, ContractError);
- `prior_trials()` gives ended trials of earlier jobs to learn from before the first trial
  (a warm start: `hpo_bridge.tuning.build_tuner(prior=)`); none by default;
- `trial_environment(trial_id, env)` adds what the cloud tells each trial (its job name...);
- `on_event(event)` gets every study event (TrialCreated, TrialStatusChanged, MetricReported,
  ...) to keep the cloud's view of its trials; `on_output(trial_id, lines)` gets each trial's
  new output lines (all of them before the trial's final status); `on_step()` comes after
  every round of the tuner (ship buffered logs);
- `job_ended(outcome)` comes exactly once, last, from the run's thread.

All hooks are called from the run's thread; the host locks its own state. Other threads
(the cloud's API) call `request_stop` and `request_trial_stop`. The tuner is assembled only
through `hpo_bridge.tuning` (build_contract, build_executor, build_tuner), as everywhere.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hpo_bridge_localstack.framework.output import OutputTail

if TYPE_CHECKING:
    from collections.abc import Sequence

    from hpo_bridge.contracts.base import TrialContract
    from hpo_bridge.core.events import StudyEvent
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.core.tuner import Tuner
    from hpo_bridge.spec import TuningSpec

log = logging.getLogger(__name__)

FINISHED, FAILED, STOPPED = "finished", "failed", "stopped"
CLIENT, INTERNAL = "client", "internal"  # why a run failed, besides the study's own rules
POLL_INTERVAL = 0.2  # seconds the tuner waits for trial events before checking for stops
STUDY_DIR = "study"


class RunRejected(Exception):
    """The request or its code cannot run (the cloud's client error); str() is the reason."""


@dataclass(frozen=True)
class RunOutcome:
    """How an emulated tuning job ended."""

    status: str  # FINISHED | FAILED | STOPPED (a stop request, or the study was cancelled)
    reason: str | None = None  # why it failed (None otherwise)
    cause: str | None = None  # FAILED: CLIENT (request/code), INTERNAL (the emulator), or
    #                           None (the study's own failure rules, e.g. max_failed)
    since_improvement: int = 0  # trials since the objective last improved


class TuningHost(Protocol):
    """What one cloud's tuning job is to the run. Subclass it to inherit the no-op hooks."""

    def prepare(self, work_dir: Path) -> TuningSpec:
        """The spec to run, its code and data fetched into `work_dir`; raises RunRejected."""
        ...

    def prior_trials(self) -> Sequence[Trial]:
        """Ended trials of earlier jobs to learn from (a warm start); none by default."""
        return ()

    def trial_environment(self, trial_id: int, env: dict[str, str]) -> dict[str, str]:
        """The environment of one trial, as the contract built it: add or change entries."""
        return env

    def on_event(self, event: StudyEvent) -> None:
        """Every event of the study, in order."""

    def on_output(self, trial_id: int, lines: list[str]) -> None:
        """New lines the trial printed (stdout, then stderr)."""

    def on_step(self) -> None:
        """After every round of the tuner, and once after the last trial ended."""

    def job_ended(self, outcome: RunOutcome) -> None:
        """The job is over (called once, last)."""
        ...


STUDY_STATUS = {"finished": FINISHED, "failed": FAILED, "cancelled": STOPPED}


class EmulatedTuningRun:
    """One tuning job run by the core; `request_stop` and `request_trial_stop` are for
    other threads."""

    def __init__(
        self,
        host: TuningHost,
        work_dir: str | Path,
        *,
        name: str = "tuning",
        poll_interval: float = POLL_INTERVAL,
        executor: str = "process",
        executor_options: dict[str, Any] | None = None,
    ) -> None:
        self.host = host
        self.work_dir = Path(work_dir)
        self.study_dir = self.work_dir / STUDY_DIR
        self.poll_interval = poll_interval
        self.executor_name = executor
        self.executor_options = executor_options
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._stop_reason: str | None = None
        self._trial_stops: queue.SimpleQueue[tuple[int, str]] = queue.SimpleQueue()
        self._tail = OutputTail(self.study_dir)
        self._open: set[int] = set()  # trials whose output may still grow
        self._seen: list[int] = []

    # -- called from other threads ---------------------------------------------------------
    def start(self) -> EmulatedTuningRun:
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def stop_reason(self) -> str | None:
        return self._stop_reason

    def request_stop(self, reason: str) -> None:
        """End the job: running trials are cancelled, the outcome is STOPPED."""
        self._stop_reason = self._stop_reason or reason

    def request_trial_stop(self, trial_id: int, reason: str = "stopped on request") -> None:
        """End one trial (status cancelled); the job goes on."""
        self._trial_stops.put((trial_id, reason))

    # -- the run's thread ------------------------------------------------------------------
    def _main(self) -> None:
        outcome = RunOutcome(FAILED, "the run ended without an outcome", INTERNAL)
        try:
            outcome = self._run()
        except Exception as exc:  # the job fails; the emulator goes on serving
            log.exception("%s failed", self._thread.name)
            outcome = RunOutcome(FAILED, f"{type(exc).__name__}: {exc}", INTERNAL)
        finally:
            try:
                self.host.job_ended(outcome)
            except Exception:
                log.exception("%s: job_ended failed", self._thread.name)

    def _run(self) -> RunOutcome:
        from hpo_bridge.contracts.base import ContractError
        from hpo_bridge.spec import SpecError
        from hpo_bridge.tuning import build_contract, build_executor, build_tuner

        try:
            spec = self.host.prepare(self.work_dir)
            if self._stop_reason is not None:
                return RunOutcome(STOPPED)
            contract = hosted_contract(build_contract(spec), self.host.trial_environment)
            executor = build_executor(spec, self.executor_name, study_dir=self.study_dir,
                                      options=self.executor_options, contract=contract)
        except (RunRejected, SpecError, ContractError) as exc:  # the request or code is wrong
            return _client_error(exc)
        try:
            tuner = build_tuner(spec, executor, sink=self._sink, poll_interval=self.poll_interval,
                                prior=self.host.prior_trials())
        except (SpecError, ContractError) as exc:
            executor.close()
            return _client_error(exc)
        try:
            self._drive(tuner)
        finally:
            executor.close()
            self._forward_output(self._seen, final=True)
            self.host.on_step()
        ended = tuner.ended
        assert ended is not None
        status = STOPPED if self._stop_reason is not None else STUDY_STATUS[ended.status]
        return RunOutcome(status, ended.reason if status == FAILED else None,
                          since_improvement=tuner.progress.since_improvement)

    def _drive(self, tuner: Tuner) -> None:
        from hpo_bridge.core.trial import TrialStatus

        while True:
            if self._stop_reason is not None:
                tuner.cancel(self._stop_reason)
                return
            while not self._trial_stops.empty():
                trial_id, reason = self._trial_stops.get()
                tuner.executor.stop(trial_id, reason, TrialStatus.CANCELLED)
            if not tuner.step():
                return
            self._forward_output(sorted(self._open))
            self.host.on_step()

    def _sink(self, event: StudyEvent) -> None:
        from hpo_bridge.core.events import TrialCreated, TrialStatusChanged

        if isinstance(event, TrialCreated):
            self._open.add(event.trial_id)
            self._seen.append(event.trial_id)
        elif isinstance(event, TrialStatusChanged) and event.status.terminal:
            # Every line before the final status: the host may close the trial's log then.
            self._forward_output([event.trial_id], final=True)
            self._open.discard(event.trial_id)
        self.host.on_event(event)

    def _forward_output(self, trial_ids: list[int], final: bool = False) -> None:
        for trial_id in trial_ids:
            lines = self._tail.read(trial_id, final)
            if lines:
                self.host.on_output(trial_id, lines)


def _client_error(exc: Exception) -> RunOutcome:
    return RunOutcome(FAILED, " ".join(str(exc).splitlines()), CLIENT)


def hosted_contract(
    base: TrialContract, adjust: Any
) -> TrialContract:
    """`base`'s contract, with `adjust(trial_id, env)` applied to each trial's whole
    environment as the contract's launch built it (including what a contract adds at launch,
    e.g. the azure contract's MLFLOW_* variables, which the Azure host points at its own
    MLflow endpoint)."""
    contract_class = type(base)

    class Hosted(contract_class):  # type: ignore[misc, valid-type]
        def launch(self, ctx: Any) -> Any:
            launch = super().launch(ctx)
            launch.env = adjust(ctx.trial_id, dict(launch.env))
            return launch

    Hosted.__name__ = Hosted.__qualname__ = f"Hosted{contract_class.__name__}"
    contract: TrialContract = Hosted()
    return contract
