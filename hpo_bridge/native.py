"""Running a spec on a cloud's own tuner: compile, upload, submit, follow, collect.

Generic over `hpo_bridge.backend.Backend`: the study directory's store keeps the
backend's name and job handle (so `status`, `cancel` and a second `run` find the job
again) and every trial the backend reports, in the same form as local runs.
Polling costs one status call per poll, plus the trial listing only when the
counters moved; it backs off while nothing changes and never polls faster than
`poll_interval`.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hpo_bridge.backend import Backend, BackendError, JobStatus
from hpo_bridge.core.trial import Trial
from hpo_bridge.spec import TuningSpec

META_BACKEND = "native_backend"
META_HANDLE = "native_handle"
REQUEST_FILE = "native-request.json"
BACKOFF = 2.0  # the poll interval grows by this factor while nothing changes...
MAX_INTERVAL_FACTOR = 8  # ...up to this many times --poll-interval
STUDY_STATUS = {"completed": "finished", "failed": "failed", "stopped": "cancelled"}

Echo = Callable[[str], None]


def _echo(line: str) -> None:
    print(line, flush=True)


def create_backend(name: str) -> Backend:
    from hpo_bridge.plugins import registry

    try:
        component = registry().require("backends", name)
    except KeyError as exc:
        raise BackendError(str(exc.args[0])) from None
    backend = component.create()
    if not isinstance(backend, Backend):
        raise BackendError(f"backend {name!r} runs studies itself; it has no native job")
    return backend


def describe(status: JobStatus) -> str:
    done = status.trials_completed + status.trials_stopped
    line = (f"{status.native_state}: {done} done, {status.trials_running} running,"
            f" {status.trials_failed} failed")
    if status.best_value is not None:
        line += f"; best {status.best_value:g} ({status.best_trial})"
    if status.message:
        line += f"; {status.message}"
    return line


def _progress_key(status: JobStatus) -> tuple[Any, ...]:
    return (status.native_state, status.trials_total, status.trials_completed,
            status.trials_running, status.trials_failed, status.trials_stopped,
            status.best_trial, status.best_value)


def _save_trials(store: Any, trials: list[Trial]) -> None:
    for trial in trials:
        store.upsert_trial(trial)
    store.commit()


def follow(
    backend: Backend,
    store: Any,
    handle: str,
    poll_interval: float,
    echo: Echo = _echo,
    sleep: Callable[[float], None] = time.sleep,
) -> JobStatus:
    """Poll until the job ends, keeping the store's trials current; Ctrl-C stops the job."""
    interval = poll_interval
    last: tuple[Any, ...] | None = None
    try:
        while True:
            status = backend.status(handle)
            key = _progress_key(status)
            if key != last:
                if status.trials_total or status.done:
                    _save_trials(store, backend.trials(handle))
                echo(describe(status))
                last, interval = key, poll_interval
            else:
                interval = min(interval * BACKOFF, poll_interval * MAX_INTERVAL_FACTOR)
            if status.done:
                break
            sleep(interval)
    except KeyboardInterrupt:
        echo(f"interrupted: stopping {handle}")
        backend.cancel(handle)
        status = backend.status(handle)
        _save_trials(store, backend.trials(handle))
        store.set_status("cancelled", "stopped by the user (Ctrl-C)")
        store.commit()
        return status
    _save_trials(store, backend.final_trials(handle))
    store.set_status(STUDY_STATUS.get(status.state, "failed"), status.message)
    store.commit()
    return status


def run_native(
    spec: TuningSpec,
    backend_name: str,
    study_dir: str | Path,
    detach: bool = False,
    poll_interval: float = 30.0,
    approximate: bool = False,
    *,
    backend: Backend | None = None,
    echo: Echo = _echo,
    sleep: Callable[[float], None] = time.sleep,
) -> JobStatus:
    """Submit `spec` to `backend_name` (unless the study already has its job) and follow it.

    Returns the job's last status (at submission when `detach`). Raises
    `UnsupportedFeatures`, `BackendError` or `StoreError` for problems the user can fix;
    a spec that does not compile, missing credentials or a failed submission leave no
    study behind.
    """
    from hpo_bridge.store import Store

    backend = backend or create_backend(backend_name)
    directory = Path(study_dir)
    store = Store.open(directory) if Store.exists(directory) else None
    handle = None
    if store is not None:
        handle = store.get_meta(META_HANDLE)
        if store.get_meta(META_BACKEND) not in (None, backend_name):
            handle = None
    try:
        if handle is not None:
            echo(f"following {backend_name} job {handle}")
        else:
            store, handle = _submit(spec, backend_name, backend, directory, store, approximate,
                                    echo)
        if detach:
            status = backend.status(handle)
            echo(f"{describe(status)}\ndetached: `hpo-bridge status {directory}` follows it")
            return status
        return follow(backend, store, handle, poll_interval, echo=echo, sleep=sleep)
    finally:
        if store is not None:
            store.close()


def _submit(spec: TuningSpec, backend_name: str, backend: Backend, directory: Path,
            store: Any, approximate: bool, echo: Echo) -> tuple[Any, str]:
    """Compile and check access first; the study is created only right before submission
    (and removed again if the submission fails), so a failure leaves nothing behind."""
    from hpo_bridge.store import Store

    compiled = backend.compile(spec, approximate=approximate)
    backend.check_access(spec)
    for warning in compiled.warnings:
        echo(f"warning: {warning}")
    created = store is None
    existed = directory.exists()
    if store is None:
        store = Store.create(directory, spec)
    request = directory / REQUEST_FILE
    try:
        request.write_text(json.dumps(compiled.request, indent=2))
        noted = len(compiled.warnings)
        handle = backend.submit(spec, compiled)
    except Exception:
        if created:
            store.close()
            store.discard()
            _remove_study(directory, remove_dir=not existed)
        raise
    store.set_meta(META_BACKEND, backend_name)
    store.set_meta(META_HANDLE, handle)
    store.set_status("running", f"{backend_name} job {handle}")
    store.commit()
    for note in compiled.warnings[noted:]:  # what submitting found (e.g. an existing job)
        echo(f"note: {note}")
    echo(f"submitted {backend_name} job {handle}")
    return store, handle


def _remove_study(directory: Path, remove_dir: bool) -> None:
    """What a failed submission left besides the store (the store discards itself)."""
    (directory / REQUEST_FILE).unlink(missing_ok=True)
    if remove_dir:
        with contextlib.suppress(OSError):  # only if nothing else was put there
            directory.rmdir()


def _open_native(study_dir: str | Path) -> tuple[Any, Backend, str]:
    from hpo_bridge.store import Store

    store = Store.open(study_dir)
    name, handle = store.get_meta(META_BACKEND), store.get_meta(META_HANDLE)
    if name is None or handle is None:
        store.close()
        raise BackendError(f"{study_dir}: not a study run on a native backend")
    return store, create_backend(name), handle


def is_native(study_dir: str | Path) -> bool:
    from hpo_bridge.store import Store

    if not Store.exists(study_dir):
        return False
    store = Store.open(study_dir)
    try:
        return store.get_meta(META_HANDLE) is not None
    finally:
        store.close()


def sync_native(study_dir: str | Path) -> JobStatus:
    """Bring a (detached) native study's trials and status up to date, once."""
    store, backend, handle = _open_native(study_dir)
    try:
        status = backend.status(handle)
        trials = backend.final_trials(handle) if status.done else backend.trials(handle)
        _save_trials(store, trials)
        if status.done:
            store.set_status(STUDY_STATUS.get(status.state, "failed"), status.message)
            store.commit()
        return status
    finally:
        store.close()


def cancel_native(study_dir: str | Path) -> str:
    """Stop a native study's job; returns its handle."""
    store, backend, handle = _open_native(study_dir)
    try:
        backend.cancel(handle)
        return str(handle)
    finally:
        store.close()


def native_logs(study_dir: str | Path, trial: str) -> Iterator[str]:
    """The lines a native trial printed (e.g. its CloudWatch log stream)."""
    store, backend, handle = _open_native(study_dir)
    store.close()
    return backend.logs(handle, trial)
