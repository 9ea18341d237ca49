"""The study facade: run, resume, status, results, best, cancel and logs for every study.

Local, simulated, cloud (native) or any other kind of study: the facade finds the
study's backend by the name its store keeps and asks it. The `hpo-bridge` command calls
only this module (parse, call, print), so a new kind of backend needs no change to it.

Every problem a user can fix comes out as a `StudyError` (one line per problem, exit
code 2 at the command line); a study that ends badly is an `Outcome`, not an error.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge.backends.base import (
    META_BACKEND,
    Backend,
    Outcome,
    QuietView,
    RunOptions,
    StudyView,
    TrialLogs,
)
from hpo_bridge.backends.errors import BackendError
from hpo_bridge.store import Store, StoreError
from hpo_bridge.store.faults import StoreDamaged

if TYPE_CHECKING:
    from hpo_bridge.backends.jobs import Compiled
    from hpo_bridge.backends.native import NativeBackend
    from hpo_bridge.core.events import StoppingDecision
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.spec import TuningSpec

ENDED = ("finished", "failed", "cancelled")
DEFAULT_BACKEND = "local"

__all__ = ["StudyError", "StudySnapshot", "best", "cancel", "compile_spec", "create_backend",
           "default_study_dir", "export", "import_file", "import_format_file", "import_job",
           "import_source", "logs", "metric_channels", "native_backend", "resume", "run",
           "snapshot", "with_max_trials", "with_seed"]


class StudyError(Exception):
    """A problem the user can fix: one line per problem (exit code 2, no traceback).

    `exit_code` is 1 when the problem stopped a running study (its journal could not be
    written: disk full); `damaged` is the journal file when it is damaged
    (`damage_survey` says what can still be read)."""

    def __init__(self, message: str, *, exit_code: int = 2,
                 damaged: Path | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.damaged = damaged


@contextlib.contextmanager
def user_errors() -> Iterator[None]:
    """Every error a user can cause, as a StudyError with its own one-line text."""
    from hpo_bridge.contracts.base import ContractError
    from hpo_bridge.core.executor import ExecutorUnavailable
    from hpo_bridge.executors.simulator import SimulationError
    from hpo_bridge.spec import SpecError

    try:
        yield
    except SpecError as exc:
        raise StudyError(exc.render()) from None
    except StoreError as exc:
        raise StudyError(str(exc), exit_code=exc.exit_code,
                         damaged=exc.path if isinstance(exc, StoreDamaged) else None) from None
    except (BackendError, ContractError, SimulationError, ExecutorUnavailable) as exc:
        raise StudyError(str(exc)) from None


# -- backends ----------------------------------------------------------------------------
def create_backend(name: str, flag: str = "--backend") -> Backend:
    """The backend registered as `name`."""
    from hpo_bridge.plugins import registry

    reg = registry()
    component = reg.get("backends", name)
    if component is None:
        installed = ", ".join(reg.names("backends")) or "none"
        raise StudyError(f"{flag}: unknown backend {name!r} (installed: {installed})")
    backend = component.create()
    if not isinstance(backend, Backend):
        raise StudyError(f"{flag}: {name!r} is not a backend (its factory returned"
                         f" {type(backend).__name__})")
    return backend


def _backend_of(store: Store) -> Backend:
    return create_backend(store.get_meta(META_BACKEND) or DEFAULT_BACKEND,
                          flag=f"{store.directory}: backend")


@contextlib.contextmanager
def _opened(study_dir: str | Path) -> Iterator[Store]:
    """The study's store, open for the block; its errors (also those of reads inside the
    block: a damaged page shows only when read) as StudyErrors."""
    with user_errors():
        store = Store.open(study_dir)
        try:
            yield store
        finally:
            store.close()


def damage_survey(path: Path) -> list[str]:
    """What a damaged journal still holds, table by table, and the trials' folders next to
    it, which do not depend on it (for `status`)."""
    from hpo_bridge.store.faults import survey
    from hpo_bridge.store.layout import TRIALS_DIR, trial_ids_on_disk

    lines = survey(path).lines()
    folders = trial_ids_on_disk(path.parent)
    if folders:
        lines.append(f"intact: {len(folders)} trial folder(s) in {path.parent / TRIALS_DIR}"
                     " (each trial's output and files)")
    return lines


def metric_channels(spec: TuningSpec) -> tuple[list[str], list[str]]:
    """(errors, warnings) about objective metrics the spec's trial contract cannot read
    (e.g. the sagemaker contract without a regex for it) or may not read (the local
    contract, with regexes for other metrics only)."""
    from hpo_bridge.contracts.base import ContractError
    from hpo_bridge.tuning import build_contract

    try:
        found = build_contract(spec).metric_problems(spec)
    except (KeyError, ContractError):  # an unknown contract is a spec problem, named there
        return [], []
    return found.errors, found.warnings


# -- running -----------------------------------------------------------------------------
def default_study_dir(name: str, root: Path | None = None) -> Path:
    """./studies/<name>-<YYYYmmdd-HHMMSS> (a -2, -3... suffix if that exists already)."""
    base = (root or Path("studies")) / f"{name}-{datetime.now():%Y%m%d-%H%M%S}"
    candidate, n = base, 1
    while candidate.exists():
        n += 1
        candidate = base.with_name(f"{base.name}-{n}")
    return candidate


def with_seed(spec: TuningSpec, seed: int) -> TuningSpec:
    """`spec` with strategy.seed replaced."""
    strategy = spec.strategy.model_copy(update={"seed": seed})
    copied = spec.model_copy(update={"strategy": strategy})
    copied._base_dir = spec.base_dir
    copied._default_study_dir = spec.default_study_dir
    copied._origin = spec.origin
    return copied


def with_max_trials(spec: TuningSpec, max_trials: int) -> TuningSpec:
    """`spec` with limits.max_trials replaced (a smoke run, or a study extended); max_parallel
    and max_failed are lowered to it where they exceed it."""
    limits = spec.limits
    update: dict[str, Any] = {"max_trials": max_trials,
                              "max_parallel": min(limits.max_parallel, max_trials)}
    if limits.max_failed is not None:
        update["max_failed"] = min(limits.max_failed, max_trials)
    copied = spec.model_copy(update={"limits": limits.model_copy(update=update)})
    copied._base_dir = spec.base_dir
    return copied


def run(spec: TuningSpec, *, backend: str = DEFAULT_BACKEND, study_dir: str | Path | None = None,
        options: RunOptions | None = None, view: StudyView | None = None,
        resume_if_exists: bool = False) -> tuple[Outcome, Path]:
    """Run `spec` on `backend` in `study_dir` (default: the spec's own default, e.g. a Vega
    file's task folder, else `default_study_dir`) to its end.

    Returns the outcome and the study directory. Ctrl-C gives the outcome "interrupted"
    (`resume` continues the study). With `resume_if_exists`, a study already in
    `study_dir` is continued under `spec` when their differences allow it (see
    spec/changes.py; a raised max_trials extends a finished study), else refused.
    """
    options = options or RunOptions()
    chosen = create_backend(backend)
    directory = Path(study_dir) if study_dir is not None else (
        spec.default_study_dir or default_study_dir(spec.name))
    with user_errors():
        chosen.check_options(options)
    if Store.exists(directory):
        with _opened(directory) as store:
            continues = chosen.continues(store)
        if not continues and resume_if_exists:
            return _continue_study(spec, chosen, directory, options, view), directory
        if not continues:
            raise StudyError(f"--study-dir {directory}: already holds a study; continue it"
                             f" with `hpo-bridge resume {directory}` (or run with"
                             " --resume-if-exists)")
    return _running(lambda v: chosen.run(spec, directory, options, v), view), directory


def _continue_study(spec: TuningSpec, chosen: Backend, directory: Path, options: RunOptions,
                    view: StudyView | None) -> Outcome:
    """`run --resume-if-exists` on a stored study: take the new spec's limits (and folder)
    and go on, or refuse one line per incomparable difference."""
    from hpo_bridge.spec.changes import spec_changes

    with _opened(directory) as store:
        stored_backend = store.get_meta(META_BACKEND) or DEFAULT_BACKEND
        if stored_backend != chosen.name:
            raise StudyError(f"--backend {chosen.name}: the study in {directory} runs on"
                             f" {stored_backend}")
        if chosen.is_live(store):
            raise StudyError(f"--study-dir {directory}: the study is running"
                             f" (pid {store.study_status().pid})")
        changes = spec_changes(store.spec, spec)
        refused = [c for c in changes if not c.continuable]
        if refused:
            raise StudyError("\n".join(
                [f"{directory}: cannot continue the study with this spec: {c}" for c in refused]
                + [f"(start a new study in another --study-dir, or warm-start one from"
                   f" {directory}: warm_start: {{from: [{directory}]}})"]))
        status = store.study_status()
        moved = str(spec.base_dir) != str(store.spec.base_dir)
        if changes or moved:
            store.replace_spec(spec)
            store.commit()
    if status.status in ENDED and not changes:
        return Outcome(status.status, status.reason, ended_before=True)
    return _resumed(chosen, directory, options if options.given() else None, view)


def resume(study_dir: str | Path, view: StudyView | None = None,
           options: RunOptions | None = None) -> Outcome:
    """Continue a study that did not end (killed, crashed, stopped with Ctrl-C, paused by
    a run's time budget, or a native job being followed again). A study that has ended
    is left as it is: its outcome comes back with `ended_before` set. `options`: this
    run's limits (--time-budget, --max-new-trials), for backends that take them."""
    directory = Path(study_dir)
    with _opened(directory) as store:
        status = store.study_status()
        backend = _backend_of(store)
    if status.status in ENDED:
        return Outcome(status.status, status.reason, ended_before=True)
    given = options if options is not None and options.given() else None
    if given is not None:
        with user_errors():
            backend.check_options(given)
    return _resumed(backend, directory, given, view)


def _resumed(backend: Backend, directory: Path, options: RunOptions | None,
             view: StudyView | None) -> Outcome:
    # Options go only to a backend that takes them (checked): older backends' `resume`
    # may not have the parameter.
    if options is None:
        return _running(lambda v: backend.resume(directory, v), view)
    return _running(lambda v: backend.resume(directory, v, options), view)


def _running(call: Any, view: StudyView | None) -> Outcome:
    view = view or QuietView()
    try:
        with user_errors():
            return call(view)  # type: ignore[no-any-return]
    except KeyboardInterrupt:
        return Outcome("interrupted", "interrupted by the user")
    finally:
        view.stop()


# -- reading -----------------------------------------------------------------------------
@dataclass
class StudySnapshot:
    """A study as it stands: what `status`, `results`, `best` and `report` show."""

    directory: Path
    spec: TuningSpec
    trials: list[Trial]
    status: str  # as shown: a "running" study nothing runs any more is "interrupted"
    reason: str | None
    backend: str
    live: bool  # something still runs it (its trials may be running)
    elapsed: float
    decisions: list[StoppingDecision] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> Counter[str]:
        """Trials per status, as every view shows them (results/results.py)."""
        from hpo_bridge.results.results import shown_status

        return Counter(shown_status(t, self.live) for t in self.trials)


def snapshot(study_dir: str | Path, *, refresh: bool = True) -> StudySnapshot:
    """The study as it stands; with `refresh`, brought up to date first (a native study
    syncs with its cloud; if the cloud cannot be reached, `warnings` says so)."""
    directory = Path(study_dir)
    with _opened(directory) as store:
        backend = _backend_of(store)
    warnings: list[str] = []
    if refresh:
        with user_errors():
            warnings = backend.refresh(directory)
    with _opened(directory) as store:
        stored = store.study_status()
        live = backend.is_live(store)
        status, reason = stored.status, stored.reason
        if status == "running" and not live:
            status, reason = "interrupted", "the orchestrator stopped before the study ended"
        return StudySnapshot(
            directory=directory, spec=store.spec, trials=store.trials(), status=status,
            reason=reason, backend=backend.name, live=live, elapsed=store.elapsed(),
            decisions=store.decisions(), warnings=warnings,
        )


def best(study_dir: str | Path) -> dict[str, Any]:
    """`{"best": trial or null}`, or `{"pareto": [trials]}` for several objectives."""
    from hpo_bridge.results.results import best_dict

    with _opened(study_dir) as store:
        return best_dict(store.spec, store.trials())


def cancel(study_dir: str | Path) -> str:
    """Stop the study where it runs; what was stopped (e.g. the cloud job's name)."""
    with _opened(study_dir) as store:
        backend = _backend_of(store)
    with user_errors():
        return backend.cancel(Path(study_dir))


def _checked_lines(lines: Iterable[str]) -> Iterator[str]:
    """A cloud's log lines, read as they come; its errors as StudyErrors."""
    from hpo_bridge.backends.errors import UnknownTrial

    try:
        yield from lines
    except UnknownTrial as exc:
        raise StudyError(f"TRIAL: {exc}") from None
    except BackendError as exc:
        raise StudyError(str(exc)) from None


def _where_logs_are(exc: StudyError, directory: Path, trial: int) -> str:
    """`exc`'s line, and where a local trial's output is when its journal cannot tell."""
    from hpo_bridge.store.layout import trial_log_files

    files = trial_log_files(directory, trial)
    if not files:
        return str(exc)
    folder = files[0][1].parent
    return f"{exc}; trial {trial}'s output is in {folder} ({', '.join(p.name for _, p in files)})"


def logs(study_dir: str | Path, trial: int) -> TrialLogs:
    """What a trial printed: its log files, or its lines from the cloud."""
    from hpo_bridge.store.layout import trial_ids_on_disk

    directory = Path(study_dir)
    if not directory.is_dir():
        raise StudyError(f"DIR: {directory} is not a directory")
    backend, known = create_backend(DEFAULT_BACKEND), []
    if Store.exists(directory):  # (a folder of trial logs without a journal is read too)
        try:
            with _opened(directory) as store:
                backend = _backend_of(store)
                known = sorted(t.id for t in store.trials())
        except StudyError as exc:  # the journal cannot say: where the trial's output is
            raise StudyError(_where_logs_are(exc, directory, trial),
                             exit_code=exc.exit_code) from None
    with user_errors():
        found = backend.logs(directory, trial)
    if found.lines is not None:
        return TrialLogs(lines=_checked_lines(found.lines))
    if found.files:
        return found
    if trial in known:
        raise StudyError(f"TRIAL: trial {trial} has no logs (it printed nothing: simulated"
                         " trials have no process)")
    ids = sorted(set(known) | set(trial_ids_on_disk(directory)))
    shown = ", ".join(map(str, ids[:20])) + (" ..." if len(ids) > 20 else "")
    raise StudyError(f"TRIAL: no trial {trial} in {directory}"
                     + (f" (trials: {shown})" if ids else ""))


def export(study_dir: str | Path, fmt: str, out_dir: str | Path | None = None) -> list[str]:
    """Write the study in the registered format `fmt`'s layout (Vega's task folder) into
    `out_dir` (default: the study directory itself); the format's summary lines."""
    from hpo_bridge.loading import spec_format
    from hpo_bridge.plugins import registry

    directory = Path(study_dir)
    with _opened(directory):
        pass  # a StudyError (one line) when there is no study here
    if registry().get("formats", fmt) is None:
        raise StudyError(f"--format: unknown format {fmt!r} (installed:"
                         f" {', '.join(registry().names('formats')) or 'none'})")
    chosen = spec_format(fmt)
    if not chosen.exports:
        raise StudyError(f"--format: format {fmt!r} reads files only; it has no layout")
    target = Path(out_dir) if out_dir is not None else directory
    try:
        return chosen.export(directory, target)
    except OSError as exc:
        raise StudyError(f"--output {target}: cannot write: {exc.strerror or exc}") from None


# -- native requests ---------------------------------------------------------------------------
def native_backend(name: str, flag: str = "--backend") -> NativeBackend:
    """The native (cloud) backend registered as `name`."""
    from hpo_bridge.backends.native import NativeBackend

    backend = create_backend(name, flag)
    if not isinstance(backend, NativeBackend):
        raise StudyError(f"{flag}: backend {name!r} runs studies itself; it has no native job")
    return backend


def compile_spec(spec: TuningSpec, backend: str, approximate: bool = False) -> Compiled:
    """The native request `backend` would send for `spec` (warnings in `.warnings`)."""
    from hpo_bridge.backends.errors import UnsupportedFeatures

    native = native_backend(backend)
    try:
        return native.compile(spec, approximate=approximate)
    except UnsupportedFeatures as exc:
        hint = "" if approximate or not exc.approximable else \
            "\n(--approximate maps what has a near equivalent)"
        raise StudyError(f"{exc}{hint}") from None
    except BackendError as exc:
        raise StudyError(str(exc)) from None


def import_source(name: str) -> str:
    """"format" when `name` is a registered configuration format (Vega's hpo.yml...),
    "backend" when it is a native backend; else a StudyError naming what is installed."""
    from hpo_bridge.plugins import registry

    reg = registry()
    if reg.get("formats", name) is not None:
        return "format"
    if reg.get("backends", name) is not None:
        native_backend(name, flag="--from")
        return "backend"
    formats = ", ".join(reg.names("formats")) or "none"
    backends = ", ".join(reg.names("backends")) or "none"
    raise StudyError(f"--from: unknown source {name!r} (formats: {formats};"
                     f" backends: {backends})")


def import_format_file(path: str | Path, source: str) -> tuple[TuningSpec, list[str]]:
    """A unified spec from a file in the registered format `source` (e.g. a Vega
    hpo.yml), with one line per thing the format says that the spec cannot hold."""
    from hpo_bridge.loading import convert_document, spec_format
    from hpo_bridge.spec import parse_yaml

    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise StudyError(f"{file}: cannot read: {exc.strerror}") from None
    with user_errors():
        loaded = convert_document(spec_format(source), parse_yaml(text, str(file)), text,
                                  file)
    return loaded.spec, loaded.notes


def import_file(path: Path, source: str,
                options: dict[str, str | None] | None = None) -> TuningSpec | None:
    """A unified spec from a native file that backend `source` reads itself (see
    `NativeBackend.import_file`); None when the file is plain data for `import_job`."""
    from hpo_bridge.loading import validate_spec
    from hpo_bridge.spec import SpecError

    native = native_backend(source, flag="--from")
    given = {k: v for k, v in (options or {}).items() if v is not None}
    refused = sorted(set(given) - native.import_options)
    if refused:
        raise StudyError("\n".join(f"--{name}: not taken by --from {source}"
                                    for name in refused))
    try:
        spec_dict = native.import_file(path, given)
    except BackendError as exc:
        raise StudyError(str(exc)) from None
    if spec_dict is None:
        return None
    try:
        return validate_spec(spec_dict, source=f"{path} (imported)")
    except SpecError as exc:
        raise StudyError(exc.render()) from None


def import_job(data: Any, source: str, origin: str) -> TuningSpec:
    """A unified spec from a native job `data` of backend `source` (read from `origin`)."""
    from hpo_bridge.loading import validate_spec
    from hpo_bridge.spec import SpecError

    native = native_backend(source, flag="--from")
    try:
        spec_dict = native.import_native(data)
    except BackendError as exc:
        raise StudyError(f"{origin}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise StudyError(f"{origin}: not a {source} tuning job ({type(exc).__name__}: {exc})"
                         ) from None
    try:
        return validate_spec(spec_dict, source=f"{origin} (imported)")
    except SpecError as exc:
        raise StudyError(exc.render()) from None
