"""Following a native job until it ends, keeping the study's store current.

Polling costs one status call per poll, plus the trial listing only when the counters
moved; the interval grows while nothing changes (up to 8 times `poll_interval`) and never
gets shorter than `poll_interval`. Ctrl-C stops the job and records it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_bridge.backends.jobs import JobStatus
    from hpo_bridge.core.trial import Trial

BACKOFF = 2.0  # the poll interval grows by this factor while nothing changes...
MAX_INTERVAL_FACTOR = 8  # ...up to this many times the poll interval


def save_trials(store: Any, trials: Iterable[Trial]) -> None:
    """Keep the cloud's trials; their wall-clock times become study seconds."""
    clock = store.clock()
    for trial in trials:
        store.upsert_trial(replace(trial, started_at=clock.study(trial.started_at),
                                   ended_at=clock.study(trial.ended_at)))
    store.commit()


def follow(backend: Any, store: Any, handle: str, poll_interval: float,
           note: Callable[[str], None], sleep: Callable[[float], None]) -> JobStatus | None:
    """Poll `backend` (a NativeBackend) until its job ends; the last status, or None when
    the user stopped it with Ctrl-C (the job is then cancelled and the store says so)."""
    interval = poll_interval
    last: tuple[Any, ...] | None = None
    try:
        while True:
            status = backend.job_status(handle)
            key = status.progress_key()
            if key != last:
                if status.trials_total or status.done:
                    save_trials(store, backend.list_trials(handle))
                note(status.describe())
                last, interval = key, poll_interval
            else:
                interval = min(interval * BACKOFF, poll_interval * MAX_INTERVAL_FACTOR)
            if status.done:
                break
            sleep(interval)
    except KeyboardInterrupt:
        note(f"interrupted: stopping {handle}")
        backend.cancel_job(handle)
        save_trials(store, backend.list_trials(handle))
        store.set_status("cancelled", "stopped by the user (Ctrl-C)")
        store.commit()
        return None
    save_trials(store, backend.final_trials(handle))
    store.set_status(status.state.study_status, status.message)
    store.commit()
    return status
