"""The base of every cloud backend: template methods around the cloud's own tuner.

A cloud plugin subclasses `NativeBackend` and writes only what is its cloud's:
- `translate(spec, issues)`: the spec as the cloud's request (its capability gaps are
  declared as data in `capabilities` and checked before translation, the same way for
  every cloud);
- `import_native(data)`: a native job back to a unified spec;
- the SDK calls: `upload`, `create_job`, `existing_request`, `job_status`, `list_trials`,
  `stop_job`, `trial_logs` (and `final_trials`, `check_access` where useful);
- `classify(exc)`: what an SDK exception means (retryable, access denied, not found,
  already exists, bad credentials), from which the kit derives both the retry predicate
  and the one-line user error.

The base does the rest for every cloud: the study directory and its store, idempotent
creation (a job named by the content hash of its request that "already exists with the
same request" is attached to, not created twice), rollback of a study whose submission
failed, the follow loop, cancelling ("a job that already ended is not an error"), and
collecting every trial into the store in hpo-bridge's own result form.
"""

from __future__ import annotations

import contextlib
import json
import time
from abc import abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from hpo_bridge.backends import packaging as code_package
from hpo_bridge.backends.base import (
    META_BACKEND,
    Backend,
    Outcome,
    RunOptions,
    StudyView,
    TrialLogs,
)
from hpo_bridge.backends.capabilities import CapabilityTable, Issues, check_capabilities
from hpo_bridge.backends.errors import BackendError, InvalidRequest
from hpo_bridge.backends.follow import follow, save_trials
from hpo_bridge.backends.jobs import Compiled, JobState, JobStatus, Submission
from hpo_bridge.backends.naming import is_subset
from hpo_bridge.backends.retry import RetryPolicy
from hpo_bridge.store import Store, StoreError

if TYPE_CHECKING:
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.spec import TuningSpec

T = TypeVar("T")
META_HANDLE = "native_handle"  # the store's meta key holding the job's handle
REQUEST_FILE = "native-request.json"


class ErrorKind(StrEnum):
    RETRYABLE = "retryable"  # throttling, 5xx, a dropped connection: worth another try
    ACCESS = "access"  # authenticated, but not allowed
    CREDENTIALS = "credentials"  # no usable credentials
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # already exists
    INVALID = "invalid"  # the service refused the request
    OTHER = "other"


@dataclass(frozen=True)
class CloudError:
    """What a cloud SDK's exception means, as the plugin reads it."""

    kind: ErrorKind
    code: str
    message: str


class CloudCallError(BackendError):
    """A cloud call that failed for good (after the retries worth making)."""

    def __init__(self, kind: ErrorKind, code: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.code = code


class NativeBackend(Backend):
    """A cloud's own tuner behind submit / follow / collect / cancel."""

    options: ClassVar[frozenset[str]] = frozenset({"detach", "poll_interval", "approximate"})
    #: What the cloud cannot express (see capabilities.py), checked before translation.
    capabilities: ClassVar[CapabilityTable] = {}
    #: How the cloud calls its job, for messages ("tuning job", "sweep job").
    job_noun: ClassVar[str] = "job"
    #: Request keys whose equality makes an existing job "the same job" (None: all keys).
    identity_keys: ClassVar[tuple[str, ...] | None] = None
    #: How a user starts a new job instead of attaching to the existing one.
    rename_hint: ClassVar[str] = "change the spec's name"
    credentials_help: ClassVar[str] = "no credentials found"
    access_hint: ClassVar[str] = "check the credentials' permissions"

    def __init__(self, retry: RetryPolicy | None = None,
                 on_retry: Callable[[BaseException], None] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.retry = (retry or RetryPolicy()).with_predicate(self.is_retryable)
        self.on_retry = on_retry
        self.sleep = sleep

    # -- what each cloud writes --------------------------------------------------------
    @abstractmethod
    def translate(self, spec: TuningSpec, issues: Issues) -> Compiled:
        """The native request for `spec`, validated against the cloud's own schema.

        Gaps only the translator can see go to `issues` (then `issues.raise_if_any()`
        before validating the request); approximations chosen are in
        `issues.applies(key)`. Raises `InvalidRequest` for a request the service would
        refuse.
        """

    def capability_context(self, spec: TuningSpec) -> dict[str, Any]:
        """Names the capability table's texts may use besides `value` and `spec`."""
        return {}

    def import_native(self, data: dict[str, Any]) -> dict[str, Any]:
        """A unified spec (as a dict) from the cloud's native request or description."""
        raise BackendError(f"{self.name}: cannot import native jobs")

    #: Options `import_file` takes (`hpo-bridge import --node NAME` -> {"node": NAME}).
    import_options: ClassVar[frozenset[str]] = frozenset()

    def import_file(self, path: Path, options: dict[str, str]) -> dict[str, Any] | None:
        """A unified spec (as a dict) from a native file the backend reads itself: a file
        that is not plain JSON/YAML data (a Python config), or one that refers to other
        files next to it. None: the file is data for `import_native` (the default)."""
        return None

    def check_access(self, spec: TuningSpec) -> None:  # noqa: B027 - optional
        """Raise `BackendError` (one line per problem) when the cloud cannot be reached as
        configured (no credentials, no region): checked before anything is created or
        uploaded, without a call to the cloud. Default: nothing to check."""

    def upload(self, spec: TuningSpec, compiled: Compiled) -> None:  # noqa: B027 - optional
        """Upload `compiled.artifacts` (code, data) before the job is created."""

    @abstractmethod
    def create_job(self, spec: TuningSpec, compiled: Compiled) -> str:
        """Create the job; its handle. Raises (through `call`) a CONFLICT `CloudCallError`
        when a job of that name exists."""

    @abstractmethod
    def job_handle(self, spec: TuningSpec, compiled: Compiled) -> str:
        """The handle the job of `compiled` has (or would have), without a call."""

    @abstractmethod
    def existing_request(self, handle: str) -> dict[str, Any]:
        """The request an existing job was created from, as the cloud describes it."""

    @abstractmethod
    def job_status(self, handle: str) -> JobStatus:
        """One status call."""

    @abstractmethod
    def list_trials(self, handle: str) -> list[Trial]:
        """Every trial of the job with params, status, objective values and metrics."""

    def final_trials(self, handle: str) -> list[Trial]:
        """Every trial once the job has ended, with all the detail the cloud has (may cost
        a call per trial, so it is called once, not per poll)."""
        return self.list_trials(handle)

    @abstractmethod
    def stop_job(self, handle: str) -> None:
        """Ask the cloud to stop the job."""

    def trial_logs(self, handle: str, trial: str) -> Iterator[str]:
        """The lines a trial printed (e.g. its CloudWatch stream)."""
        raise BackendError(f"{self.name}: no log access")

    @abstractmethod
    def classify(self, exc: BaseException) -> CloudError | None:
        """What an exception of the cloud's SDK means; None for anything else."""

    # -- the shared machinery ------------------------------------------------------------
    def is_retryable(self, exc: BaseException) -> bool:
        error = self.classify(exc)
        return error is not None and error.kind is ErrorKind.RETRYABLE

    def call(self, operation: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One cloud call with the retry policy; what still fails becomes one clear line."""
        try:
            return self.retry.call(fn, *args, on_retry=self.on_retry, **kwargs)
        except Exception as exc:
            error = self.classify(exc)
            if error is None:
                raise
            raise self.user_error(operation, error) from exc

    def user_error(self, operation: str, error: CloudError) -> CloudCallError:
        if error.kind is ErrorKind.CREDENTIALS:
            text = self.credentials_help
        elif error.kind is ErrorKind.ACCESS:
            text = f"access denied for {operation}: {error.message} ({self.access_hint})"
        else:
            text = f"{operation} failed: {error.code}: {error.message}".replace(": : ", ": ")
        return CloudCallError(error.kind, error.code, f"{self.name}: {text}")

    def compile(self, spec: TuningSpec, approximate: bool = False) -> Compiled:
        """The native request; raises `UnsupportedFeatures` naming every feature the cloud
        cannot express (each with its nearest native option) unless `approximate`, where
        approximations are applied and reported as warnings."""
        issues = check_capabilities(spec, self.capabilities,
                                    Issues(self.name, approximate=approximate),
                                    self.capability_context(spec))
        try:
            with code_package.recording() as packs:
                compiled = self.translate(spec, issues)
        except code_package.PackingError as exc:
            raise InvalidRequest(self.name, [str(exc)]) from None
        issues.raise_if_any()
        compiled.warnings[:0] = [w for w in issues.ordered_warnings()
                                 if w not in compiled.warnings]
        # What every code package holds, whichever plugin packed it (see packaging.py).
        compiled.warnings += [w for p in packs if (w := p.warning()) is not None]
        compiled.notes += [p.note() for p in packs]
        return compiled

    def submit(self, spec: TuningSpec, compiled: Compiled) -> Submission:
        """Upload and create the job, idempotently: a job that already exists from this
        same request is attached to; one from another request is an error."""
        self.upload(spec, compiled)
        try:
            return Submission(self.create_job(spec, compiled))
        except CloudCallError as exc:
            if exc.kind is not ErrorKind.CONFLICT:
                raise
        handle = self.job_handle(spec, compiled)
        existing = self.existing_request(handle)
        keys = self.identity_keys or tuple(compiled.request)
        for key in keys:
            if key in compiled.request and not is_subset(compiled.request[key],
                                                         existing.get(key)):
                raise BackendError(
                    f"{self.name}: a {self.job_noun} named {self.job_name(handle)} already"
                    f" exists with a different {key}; {self.rename_hint} or change the"
                    " spec's name")
        return Submission(handle, attached=True, notes=(
            f"{self.job_noun} {self.job_name(handle)} already exists from this same request:"
            f" following it ({self.rename_hint} to start a new one)",))

    def job_name(self, handle: str) -> str:
        """The job's name as the user knows it (a handle may add a region)."""
        return handle

    def cancel_job(self, handle: str) -> None:
        """Stop the job; stopping a job that has already ended is not an error."""
        try:
            self.stop_job(handle)
        except CloudCallError as exc:
            if exc.kind in (ErrorKind.ACCESS, ErrorKind.CREDENTIALS):
                raise
            if self.job_status(handle).state in (JobState.COMPLETED, JobState.FAILED,
                                                 JobState.STOPPED, JobState.STOPPING):
                return
            raise

    # -- Backend: the study ------------------------------------------------------------------
    def run(self, spec: TuningSpec, study_dir: Path, options: RunOptions,
            view: StudyView) -> Outcome:
        """Submit `spec` (unless the study directory already has its job) and follow it.

        A spec that does not compile, missing credentials or a failed submission leave no
        study behind.
        """
        store = Store.open(study_dir) if Store.exists(study_dir) else None
        try:
            if store is not None:
                handle = self._stored_handle(store, study_dir)
                view.note(f"following {self.name} job {handle}")
            else:
                store, handle = self._submit_study(spec, study_dir, options, view)
            if options.detach:
                status = self.job_status(handle)
                view.note(f"{status.describe()}\ndetached: `hpo-bridge status {study_dir}`"
                          " follows it")
                return Outcome("running", status.message)
            return self._follow(store, handle, options.poll_interval, view)
        finally:
            if store is not None:
                store.close()

    def resume(self, study_dir: Path, view: StudyView,
               options: RunOptions | None = None) -> Outcome:
        return self.run(Store.open(study_dir).spec, study_dir, options or RunOptions(), view)

    def refresh(self, study_dir: Path) -> list[str]:
        """Bring a (detached) study's trials and status up to date, once."""
        with Store.open(study_dir) as store:
            handle = self._stored_handle(store, study_dir)
            try:
                status = self.job_status(handle)
                trials = self.final_trials(handle) if status.done else self.list_trials(handle)
            except BackendError as exc:
                return [f"cannot reach {self.name}: {exc}"]
            save_trials(store, trials)
            if status.done:
                store.set_status(status.state.study_status, status.message)
                store.commit()
        return []

    def continues(self, store: Store) -> bool:
        """`run` on the study of this backend's job follows the job again."""
        return store.get_meta(META_BACKEND) == self.name and \
            store.get_meta(META_HANDLE) is not None

    def is_live(self, store: Store) -> bool:
        """The cloud runs the study: live until the synced status says it ended."""
        return store.study_status().status == "running"

    def cancel(self, study_dir: Path) -> str:
        with Store.open(study_dir) as store:
            handle = self._stored_handle(store, study_dir)
        self.cancel_job(handle)
        return handle

    def logs(self, study_dir: Path, trial: int) -> TrialLogs:
        with Store.open(study_dir) as store:
            handle = self._stored_handle(store, study_dir)
        return TrialLogs(lines=self.trial_logs(handle, str(trial)))

    # -- internals -------------------------------------------------------------------------
    def _stored_handle(self, store: Store, study_dir: Path) -> str:
        handle = store.get_meta(META_HANDLE)
        if handle is None or store.get_meta(META_BACKEND) != self.name:
            raise StoreError(f"{study_dir}: already holds a study; continue it with"
                             f" `hpo-bridge resume {study_dir}`")
        return str(handle)

    def _follow(self, store: Store, handle: str, poll_interval: float,
                view: StudyView) -> Outcome:
        status = follow(self, store, handle, poll_interval, note=view.note, sleep=self.sleep)
        if status is None:
            return Outcome("cancelled", "stopped by the user (Ctrl-C)")
        return Outcome(status.state.study_status, status.message)

    def _submit_study(self, spec: TuningSpec, directory: Path, options: RunOptions,
                      view: StudyView) -> tuple[Store, str]:
        """Compile and check access first; the study is created only right before
        submission (and removed again if the submission fails)."""
        compiled = self.compile(spec, approximate=options.approximate)
        self.check_access(spec)
        for warning in compiled.warnings:
            view.note(f"warning: {warning}")
        for note in compiled.notes:
            view.note(f"note: {note}")
        existed = directory.exists()
        store = Store.create(directory, spec)
        request = directory / REQUEST_FILE
        try:
            request.write_text(json.dumps(compiled.request, indent=2))
            submission = self.submit(spec, compiled)
        except BaseException:
            store.close()
            store.discard()
            request.unlink(missing_ok=True)
            if not existed:
                with contextlib.suppress(OSError):  # only if nothing else was put there
                    directory.rmdir()
            raise
        store.set_meta(META_BACKEND, self.name)
        store.set_meta(META_HANDLE, submission.handle)
        store.set_status("running", f"{self.name} job {submission.handle}")
        store.commit()
        for note in submission.notes:
            view.note(f"note: {note}")
        view.note(f"submitted {self.name} job {submission.handle}")
        return store, submission.handle
