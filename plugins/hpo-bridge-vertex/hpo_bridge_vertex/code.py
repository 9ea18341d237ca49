"""The trial's code as a Python source distribution, as Vertex AI and AI Platform run it
(`pip install <sdist>; python -m <module>`), built deterministically: the same files give
the same bytes, so the job's name, derived from a hash, is stable.

- `[python, -m, pkg.module, args...]`: the code folder is the sdist's root; its packages
  are found by setuptools (`find_packages()`);
- `[python, script.py, args...]`: the folder becomes the package `hpo_bridge_trainer`
  (as `CustomJob.from_local_script` wraps a script in `aiplatform_custom_trainer_script`),
  and the module is `hpo_bridge_trainer.script`.
Arguments after the script or module are the program's own (`args` before the tuned ones).
"""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from hpo_bridge.backends import packaging
from hpo_bridge.spec import PYTHON_WORDS

WRAPPER = "hpo_bridge_trainer"
DIST = "hpo-bridge-trainer"
VERSION = "0.0.0"
ARCHIVE = f"{DIST}-{VERSION}.tar.gz"
SETUP_PACKAGES = """from setuptools import find_packages, setup

setup(name="{dist}", version="{version}", packages=find_packages(),
      include_package_data=True, package_data={{"": ["**/*"]}})
"""


class CodeError(ValueError):
    """The command cannot run as a Python package (str(): why, naming trial.command)."""


@dataclass
class Program:
    module: str
    args: list[str] = field(default_factory=list)
    wrap: bool = False  # the code folder becomes the package WRAPPER


def program(command: list[str], code_dir: Path) -> Program:
    """The module and arguments a `[python, ...]` command runs."""
    words = list(command)
    if not words or PurePosixPath(words[0]).name not in PYTHON_WORDS:
        raise CodeError("trial.command: Vertex AI runs Python packages: give"
                        " [python, script.py, ...] or [python, -m, package.module, ...]"
                        " (or backends.vertex.container_image for a container)")
    if len(words) >= 3 and words[1] == "-m":
        return Program(words[2], words[3:])
    if len(words) >= 2 and words[1].endswith(".py"):
        script = (code_dir / words[1]).resolve()
        if not script.is_file():
            raise CodeError(f"trial.command: {words[1]} is not a file in {code_dir}")
        if not script.is_relative_to(code_dir.resolve()):
            raise CodeError(f"trial.command: {words[1]} is outside the code folder"
                            " (trial.code)")
        relative = script.relative_to(code_dir.resolve()).with_suffix("")
        return Program(".".join([WRAPPER, *relative.parts]), words[2:], wrap=True)
    raise CodeError("trial.command: after python, give a script.py or -m package.module")


def _add(tar: tarfile.TarFile, name: str, data: bytes, executable: bool = False) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.uid, info.gid = len(data), 0, 0, 0
    info.uname = info.gname = ""
    info.mode = 0o755 if executable else 0o644
    tar.addfile(info, io.BytesIO(data))


def sdist_bytes(code_dir: Path, prog: Program) -> bytes:
    """The sdist (uncompressed tar): <dist>-<version>/setup.py and the code."""
    root = f"{DIST}-{VERSION}"
    prefix = f"{root}/{WRAPPER}" if prog.wrap else root
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, f"{root}/setup.py",
             SETUP_PACKAGES.format(dist=DIST, version=VERSION).encode())
        _add(tar, f"{root}/PKG-INFO",
             f"Metadata-Version: 2.1\nName: {DIST}\nVersion: {VERSION}\n".encode())
        files = packaging.code_files(code_dir)
        names = {f.relative_to(code_dir).as_posix() for f in files}
        if prog.wrap and "__init__.py" not in names:
            _add(tar, f"{prefix}/__init__.py", b"")
        for path in files:
            _add(tar, f"{prefix}/{path.relative_to(code_dir).as_posix()}", path.read_bytes(),
                 os.access(path, os.X_OK))
    return raw.getvalue()


def build(code_dir: Path, prog: Program) -> tuple[Path, str]:
    """The gzip'd sdist in a content-addressed temp file; (path, sha256 of the tar)."""
    raw = sdist_bytes(code_dir, prog)
    digest = hashlib.sha256(raw).hexdigest()
    folder = Path(tempfile.gettempdir()) / "hpo-bridge-vertex" / digest[:16]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ARCHIVE
    if not path.exists():
        part = folder / f"{ARCHIVE}.{os.getpid()}.part"
        part.write_bytes(packaging.gzip_bytes(raw))
        part.replace(path)
    return path, digest
