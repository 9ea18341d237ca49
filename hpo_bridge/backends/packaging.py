"""The code a cloud job runs, packed deterministically: same files -> same bytes -> same hash.

Like SageMaker's `sourcedir.tar.gz` (and what Vertex and Azure upload): the code folder's
files at the archive root, in a fixed order with fixed times, owners and modes, so the digest
identifies the code and a job name built from it is stable.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import tarfile
import tempfile
from pathlib import Path

# Folders that are never training code: VCS data, caches, virtual environments.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", ".venv", "venv", ".mypy_cache",
                       ".pytest_cache", ".ruff_cache", ".hypothesis", "node_modules"})
SKIP_SUFFIXES = (".pyc", ".pyo")


def code_files(root: Path) -> list[Path]:
    """The files of `root` that belong in a code package, in a fixed order."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            path = Path(folder) / name
            if not name.endswith(SKIP_SUFFIXES) and path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def tar_bytes(root: Path) -> bytes:
    """The (uncompressed) tar of `root`'s files: fixed order, times, owners and modes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in code_files(root):
            data = path.read_bytes()
            info = tarfile.TarInfo(path.relative_to(root).as_posix())
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return raw.getvalue()


def content_digest(path: Path) -> str:
    """sha256 of a file's bytes, or of a folder's deterministic tar."""
    data = path.read_bytes() if path.is_file() else tar_bytes(path)
    return hashlib.sha256(data).hexdigest()


def gzip_bytes(data: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0) as gz:
        gz.write(data)
    return out.getvalue()


def pack(root: Path) -> bytes:
    """The gzip'd tar of `root`'s files."""
    return gzip_bytes(tar_bytes(root))


def pack_to_file(root: Path, cache: str = "hpo-bridge-code") -> tuple[Path, str]:
    """Pack `root` into a content-addressed file in the temp folder; (path, sha256 of the
    uncompressed tar, which does not depend on the zlib version)."""
    raw = tar_bytes(root)
    digest = hashlib.sha256(raw).hexdigest()
    folder = Path(tempfile.gettempdir()) / cache
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.tar.gz"
    if not path.exists():
        tmp = folder / f"{digest}.{os.getpid()}.part"
        tmp.write_bytes(gzip_bytes(raw))
        tmp.replace(path)
    return path, digest


def upload_plan(prefix: str, local: Path) -> list[tuple[str, Path]]:
    """(remote name, file) pairs that put `local` (a file or a folder) under `prefix`."""
    if local.is_file():
        return [(f"{prefix}/{local.name}", local)]
    return [(f"{prefix}/{f.relative_to(local).as_posix()}", f) for f in code_files(local)]
