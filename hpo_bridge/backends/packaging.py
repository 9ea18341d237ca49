"""The code a cloud job runs, packed deterministically: same files -> same bytes -> same hash.

Like SageMaker's `sourcedir.tar.gz` (and what Vertex and Azure upload): the code folder's
files at the archive root, in a fixed order with fixed times, owners and modes, so the digest
identifies the code and a job name built from it is stable.

What is packed: every regular file under the folder except VCS data, caches and virtual
environments (SKIP_DIRS), compiled Python, symbolic links, and what the folder's
`.hpoignore` names (gitignore syntax, read with the `pathspec` library; `!pattern`
re-includes).

Limits (`PackLimits`): a code folder of more than 100 MiB or 10,000 files is refused, in
one line naming trial.code, as soon as the walk passes the limit (no file is read): a
mistaken `trial.code: /usr/share` would otherwise take minutes to pack into hundreds of
MB. Over 10 MiB packs with a warning. Every pack made while a backend compiles is
recorded (`recording()`): `NativeBackend.compile` turns each into a note saying what was
packed (files, bytes, what .hpoignore left out) and the warning if any, so every cloud
plugin reports it without code of its own.

The archive is streamed (to the hash and to gzip), never held whole in memory. A cloud
whose own SDK uploads the code folder (Azure ML) takes `code_digest`: the same limits and
note, without .hpoignore (that SDK reads its own ignore files).
"""

from __future__ import annotations

import contextlib
import contextvars
import gzip
import hashlib
import io
import os
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pathspec

from hpo_bridge.backends.errors import BackendError

# Folders that are never training code: VCS data, caches, virtual environments.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache", ".hypothesis", "node_modules"})
SKIP_SUFFIXES = (".pyc", ".pyo")
IGNORE_FILE = ".hpoignore"
MIB = 1 << 20


class PackingError(BackendError):
    """The code folder cannot be packed (too large, unreadable): one line naming it."""


@dataclass(frozen=True)
class PackLimits:
    """How much a code package may hold."""

    max_bytes: int = 100 * MIB  # refused above (the files' sizes, before compression)
    max_files: int = 10_000  # refused above
    warn_bytes: int = 10 * MIB  # packed with a warning above


DEFAULT_LIMITS = PackLimits()


@dataclass(frozen=True)
class Packed:
    """What one pack held."""

    root: Path
    files: int
    size: int  # bytes of the files packed
    ignored: int  # files left out by .hpoignore
    archive_size: int | None = None  # bytes of the .tar.gz, when one was written
    limits: PackLimits = DEFAULT_LIMITS

    def note(self) -> str:
        text = f"packed {self.files:,} file(s), {_size(self.size)}, from {self.root}"
        if self.archive_size is None:
            text = f"code {self.files:,} file(s), {_size(self.size)}, from {self.root}"
        if self.archive_size is not None:
            text += f" ({_size(self.archive_size)} compressed)"
        if self.ignored:
            text += f"; {IGNORE_FILE} left out {self.ignored:,} file(s)"
        return text

    def warning(self) -> str | None:
        if self.size <= self.limits.warn_bytes:
            return None
        return (f"trial.code: {self.root} packs {_size(self.size)} of files (more than"
                f" {_size(self.limits.warn_bytes)}); list what trials do not need in"
                f" {self.root / IGNORE_FILE} (gitignore syntax), or move data to trial.inputs")


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < MIB:
        return f"{n / 1024:.1f} KiB"
    return f"{n / MIB:.1f} MiB"


# -- which files ---------------------------------------------------------------------------
def _ignore_spec(root: Path) -> pathspec.PathSpec | None:
    path = root / IGNORE_FILE
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise PackingError(f"trial.code: cannot read {path}: {exc}") from None
    return pathspec.GitIgnoreSpec.from_lines(lines)


def _walk(root: Path, limits: PackLimits | None,
          ignore_file: bool = True) -> tuple[list[Path], int, int]:
    """(files in a fixed order, their total size, files left out by .hpoignore)."""
    ignore = _ignore_spec(root) if ignore_file else None
    found: list[Path] = []
    total = ignored = 0
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        rel = here.relative_to(root).as_posix()
        prefix = "" if rel == "." else rel + "/"
        kept_dirs = []
        for d in sorted(dirs):
            if d in SKIP_DIRS:
                continue
            if ignore is not None and ignore.match_file(f"{prefix}{d}/"):
                ignored += _count_files(here / d)
                continue
            kept_dirs.append(d)
        dirs[:] = kept_dirs
        for name in sorted(files):
            path = here / name
            if name.endswith(SKIP_SUFFIXES) or path.is_symlink() or not path.is_file():
                continue
            if ignore is not None and ignore.match_file(prefix + name):
                ignored += 1
                continue
            found.append(path)
            total += path.stat().st_size
            if limits is not None:
                _check(root, limits, len(found), total)
    return found, total, ignored


def _count_files(folder: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(folder))


def _check(root: Path, limits: PackLimits, files: int, total: int) -> None:
    if files > limits.max_files or total > limits.max_bytes:
        what = (f"more than {limits.max_files:,} files" if files > limits.max_files
                else f"more than {_size(limits.max_bytes)} of files")
        raise PackingError(
            f"trial.code: {root} holds {what} to pack (stopped counting at {files:,} files,"
            f" {_size(total)}); list what trials do not need in {root / IGNORE_FILE}"
            " (gitignore syntax), or move data to trial.inputs")


def code_files(root: Path, limits: PackLimits | None = None) -> list[Path]:
    """The files of `root` that belong in a code package, in a fixed order; with `limits`,
    PackingError as soon as they are passed."""
    return _walk(root, limits)[0]


# -- the archive ---------------------------------------------------------------------------
class _Hashing(io.RawIOBase):
    """A write-only stream that hashes what passes and hands it on (or drops it)."""

    def __init__(self, out: IO[bytes] | None = None) -> None:
        self.sha = hashlib.sha256()
        self.out = out
        self.position = 0

    def writable(self) -> bool:
        return True

    def tell(self) -> int:  # tarfile asks where it starts
        return self.position

    def write(self, data: Any) -> int:
        self.sha.update(data)
        if self.out is not None:
            self.out.write(data)
        self.position += len(data)
        return len(data)


def _write_tar(root: Path, files: list[Path], out: IO[bytes]) -> None:
    """The (uncompressed) tar of `files`: fixed order, times, owners and modes."""
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in files:
            info = tarfile.TarInfo(path.relative_to(root).as_posix())
            info.mtime = 0
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            try:
                with path.open("rb") as fh:
                    info.size = os.fstat(fh.fileno()).st_size
                    tar.addfile(info, fh)
            except OSError as exc:
                raise PackingError(f"trial.code: cannot read {path}: {exc.strerror}") from None


def tar_bytes(root: Path, limits: PackLimits | None = DEFAULT_LIMITS) -> bytes:
    """The (uncompressed) tar of `root`'s files: fixed order, times, owners and modes."""
    raw = io.BytesIO()
    _write_tar(root, code_files(root, limits), raw)
    return raw.getvalue()


def content_digest(path: Path) -> str:
    """sha256 of a file's bytes, or of a folder's deterministic tar (streamed: a data
    folder of any size is hashed without holding it; no limits, data is not code)."""
    sha = hashlib.sha256()
    if path.is_file():
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(MIB), b""):
                sha.update(block)
        return sha.hexdigest()
    hashing = _Hashing()
    _write_tar(path, code_files(path), hashing)  # type: ignore[arg-type]
    return hashing.sha.hexdigest()


def code_digest(root: Path, limits: PackLimits = DEFAULT_LIMITS) -> str:
    """The digest of a code folder a cloud's own SDK uploads (no archive made here, and
    .hpoignore not applied: the SDK has its own ignore files): sha256 of its
    deterministic tar, within `limits`, recorded like a pack."""
    files, total, ignored = _walk(root, limits, ignore_file=False)
    hashing = _Hashing()
    _write_tar(root, files, hashing)  # type: ignore[arg-type]
    _record(Packed(root, len(files), total, ignored, None, limits))
    return hashing.sha.hexdigest()


def gzip_bytes(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


def pack(root: Path, limits: PackLimits = DEFAULT_LIMITS) -> bytes:
    """The gzip'd tar of `root`'s files."""
    return gzip_bytes(tar_bytes(root, limits))


def pack_to_file(root: Path, cache: str = "hpo-bridge-code",
                 limits: PackLimits = DEFAULT_LIMITS) -> tuple[Path, str]:
    """Pack `root` into a content-addressed file in the temp folder; (path, sha256 of the
    uncompressed tar, which does not depend on the zlib version). Raises PackingError
    over `limits`; the pack is recorded (see `recording`)."""
    files, total, ignored = _walk(root, limits)
    folder = Path(tempfile.gettempdir()) / cache
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, suffix=".part")
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as fh:
            with gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0) as gz:
                hashing = _Hashing(gz)  # type: ignore[arg-type]
                _write_tar(root, files, hashing)  # type: ignore[arg-type]
            digest = hashing.sha.hexdigest()
        path = folder / f"{digest}.tar.gz"
        if path.exists():
            tmp.unlink()
        else:
            tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _record(Packed(root, len(files), total, ignored, path.stat().st_size, limits))
    return path, digest


def upload_plan(prefix: str, local: Path) -> list[tuple[str, Path]]:
    """(remote name, file) pairs that put `local` (a file or a folder) under `prefix`."""
    if local.is_file():
        return [(f"{prefix}/{local.name}", local)]
    return [(f"{prefix}/{f.relative_to(local).as_posix()}", f) for f in code_files(local)]


# -- what was packed -------------------------------------------------------------------------
_PACKS: contextvars.ContextVar[list[Packed] | None] = contextvars.ContextVar(
    "hpo_bridge_packs", default=None)


@contextlib.contextmanager
def recording() -> Iterator[list[Packed]]:
    """Collect every pack made inside the block (what `NativeBackend.compile` reports)."""
    packs: list[Packed] = []
    token = _PACKS.set(packs)
    try:
        yield packs
    finally:
        _PACKS.reset(token)


def _record(packed: Packed) -> None:
    packs = _PACKS.get()
    if packs is not None:
        packs.append(packed)
