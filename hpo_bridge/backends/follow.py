"""Following a native job until it ends, keeping the study's store current.

Polling costs one status call per poll, plus the trial listing only when the counters
moved; the interval grows while nothing changes (up to 8 times `poll_interval`) and never
gets shorter than `poll_interval`. Ctrl-C stops the job and records it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hpo_bridge.backends.errors import BackendError

if TYPE_CHECKING:
    from hpo_bridge.backends.jobs import JobStatus
    from hpo_bridge.core.trial import Trial

BACKOFF = 2.0  # the poll interval grows by this factor while nothing changes...
MAX_INTERVAL_FACTOR = 8  # ...up to this many times the poll interval


META_CURVES = "native_curves"  # {"done": [ids], "tries": {id: reads}, "last": {id: time}}
MAX_CURVE_READS = 4  # a log still catching up is read again, at most this many times...
CURVE_RETRY = 2.0  # ...at least this many seconds apart

Curves = Callable[["Trial"], dict[str, list[float]]]


def save_trials(store: Any, trials: Iterable[Trial], curves: Curves | None = None) -> int:
    """Keep the cloud's trials; their wall-clock times become study seconds. Returns how
    many ended trials still wait for their whole curves.

    A cloud lists a trial with its final metric values only. `curves(trial)` reads every
    value its log holds (e.g. its CloudWatch stream) once the trial has ended. A log
    reaches the cloud's log service some time after the trial ends, so a curve counts as
    whole only when it ends at the cloud's final values; one that does not is kept (with
    the final value added at its end) and read again at a later save, CURVE_RETRY seconds
    on, MAX_CURVE_READS times in all at most. The store remembers which trials are done,
    across processes: a poll or a `status` never reads a finished trial's log again.
    """
    clock = store.clock()
    state = store.get_meta(META_CURVES) or {}
    done = set(state.get("done", []))
    tries = {int(k): v for k, v in state.get("tries", {}).items()}
    last = {int(k): v for k, v in state.get("last", {}).items()}
    stored = {t.id: t for t in store.trials()} if tries else {}
    now = time.time()
    pending = 0
    for trial in trials:
        metrics = dict(trial.metrics)
        kept = stored.get(trial.id)
        if kept is not None:  # curves read before stay (a listing has final values only)
            metrics.update({name: series for name, series in kept.metrics.items()
                            if len(series) > len(metrics.get(name, []))})
        if curves is not None and trial.status.terminal and trial.id not in done:
            if now - last.get(trial.id, -math.inf) >= CURVE_RETRY:
                tries[trial.id] = tries.get(trial.id, 0) + 1
                last[trial.id] = now
                if _read_curves(curves, trial, metrics) or tries[trial.id] >= MAX_CURVE_READS:
                    done.add(trial.id)
            pending += trial.id not in done
        store.upsert_trial(replace(trial, started_at=clock.study(trial.started_at),
                                   ended_at=clock.study(trial.ended_at), metrics=metrics))
    if curves is not None:
        store.set_meta(META_CURVES, {
            "done": sorted(done), "tries": {str(k): v for k, v in sorted(tries.items())},
            "last": {str(k): v for k, v in sorted(last.items()) if k not in done}})
    store.commit()
    return pending


def _read_curves(curves: Curves, trial: Trial, metrics: dict[str, list[float]]) -> bool:
    """Put the trial's curves into `metrics`; whether they end at its final values."""
    finals = {name: series[-1] for name, series in trial.metrics.items() if series}
    try:
        found = curves(trial)
    except BackendError:  # e.g. no permission to read logs: the final values stay
        return True
    whole = True
    for name, series in found.items():
        if not series:
            continue
        if name in finals and series[-1] != finals[name]:
            series, whole = [*series, finals[name]], False
        metrics[name] = series
    return whole and all(name in found for name in finals)


def follow(backend: Any, store: Any, handle: str, poll_interval: float,
           note: Callable[[str], None], sleep: Callable[[float], None]) -> JobStatus | None:
    """Poll `backend` (a NativeBackend) until its job ends; the last status, or None when
    the user stopped it with Ctrl-C (the job is then cancelled and the store says so)."""
    curves = backend.curves_of(handle)
    interval = poll_interval
    last: tuple[Any, ...] | None = None
    try:
        while True:
            status = backend.job_status(handle)
            key = status.progress_key()
            if key != last:
                if status.trials_total or status.done:
                    save_trials(store, backend.list_trials(handle), curves)
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
        save_trials(store, backend.list_trials(handle), curves)
        store.set_status("cancelled", "stopped by the user (Ctrl-C)")
        store.commit()
        return None
    final = backend.final_trials(handle)
    pending = save_trials(store, final, curves)
    for _ in range(MAX_CURVE_READS - 1):  # the last trials' logs may still be on their way
        if not pending:
            break
        sleep(CURVE_RETRY)
        pending = save_trials(store, final, curves)
    store.set_status(status.state.study_status, status.message)
    store.commit()
    return status
