"""The code folder as Ray's working_dir: the packager's files, in a deterministic zip.

Ray takes a local zip as a working_dir and unpacks it as it is on every node (the files
at the archive's root). Building that zip from `hpo_bridge.backends.packaging.code_files`
ships exactly what a cloud backend's package holds (the packager's ignore rules: VCS
folders, caches, virtual environments, compiled Python, symlinks), and fixed names,
order, times and modes make the same code give the same bytes, so Ray's content-hashed
package is uploaded once and reused by a resumed study.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

from hpo_bridge.backends.packaging import code_files

CACHE = "hpo-bridge-code"  # under the temp folder, beside the packager's tarballs
EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


def zip_bytes(root: Path) -> bytes:
    """The zip of `root`'s code files: fixed order, times and modes."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in code_files(root):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=EPOCH)
            mode = 0o755 if os.access(path, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16  # a regular file and its mode
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return raw.getvalue()


def code_zip(root: Path, folder: Path | None = None) -> Path:
    """`root` packed into a content-addressed zip file (in the temp folder by default)."""
    data = zip_bytes(root)
    digest = hashlib.sha256(data).hexdigest()[:24]
    folder = folder or Path(tempfile.gettempdir()) / CACHE
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.zip"
    if not path.exists():
        part = folder / f"{digest}.{os.getpid()}.part"
        part.write_bytes(data)
        part.replace(path)
    return path
