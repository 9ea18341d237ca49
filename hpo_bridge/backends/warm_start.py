"""A cloud's warm start: which earlier job a `warm_start.from` entry names.

An entry is either a native job's name or id (the cloud's translator checks its form) or
the study directory of an earlier study on the same backend, which stands for its job.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hpo_bridge.backends.base import META_BACKEND
from hpo_bridge.backends.native import META_HANDLE
from hpo_bridge.store import Store

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec


class NotThisBackend(ValueError):
    """The entry is a study of another backend: one line, without the field's path."""


def earlier_job(spec: TuningSpec, source: str, backend: str) -> str | None:
    """The job handle stored in the study directory `source` (relative to the spec's
    folder), None when `source` is no study directory (then it names a job itself).
    Raises NotThisBackend for a study of another backend, or one that holds no job."""
    path = Path(source).expanduser()
    folder = path if path.is_absolute() else spec.base_dir / path
    if not Store.exists(folder):
        return None
    with Store.open(folder) as store:
        kind, handle = store.get_meta(META_BACKEND), store.get_meta(META_HANDLE)
    if kind != backend or not handle:
        raise NotThisBackend(f"{source} is a {kind or 'local'} study; {backend} warm-starts"
                             " only from its own jobs")
    return str(handle)
