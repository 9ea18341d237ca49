"""What a trial runs: a Python package from Cloud Storage, run as `python -m <module>`.

Two forms arrive (Vertex worker pools and AI Platform's trainingInput alike):
- a Python package spec: `packageUris` (sdists in gs://) and `pythonModule`, `args`, `env`;
- the container command `CustomJob.from_local_script` writes for a non-Vertex image:
  `sh -c "pip install --upgrade pip && pip3 install -q --user /gcs/<bucket>/<sdist> &&
  python3 -m <module> [args]"`. It needs the Cloud Storage FUSE mount and the network;
  the emulator reads what it means instead: the same package and module.

The emulator installs nothing: each sdist is unpacked into the job's folder and its root
put on PYTHONPATH, and the module runs with the interpreter hpo-bridge runs on. Any other
container command cannot run here (there is no image to run it in): the job is refused.
"""

from __future__ import annotations

import re
import shlex
import tarfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.gcp.storage import Storage, StorageError

_PIP_PACKAGE = re.compile(r"pip3?\s+install\b[^&;|]*?\s(/gcs/\S+)")
_MODULE = re.compile(r"python3?\s+-m\s+([\w.]+)(.*)$")


class PackageError(Exception):
    """The trial program cannot be run by the emulator (str(): why)."""


@dataclass
class Program:
    """`python -m module args...` over packages, with the job's environment."""

    module: str
    packages: list[str]  # gs:// URIs
    args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)


def _env(entries: list[dict[str, Any]] | None) -> dict[str, str]:
    return {e["name"]: str(e.get("value", "")) for e in entries or [] if e.get("name")}


def from_package_spec(spec: dict[str, Any]) -> Program:
    module = spec.get("pythonModule") or ""
    uris = list(spec.get("packageUris") or [])
    if not module or not uris:
        raise PackageError("a Python package needs packageUris and pythonModule")
    return Program(module, uris, list(spec.get("args") or []), _env(spec.get("env")))


def from_container_spec(spec: dict[str, Any]) -> Program:
    command = list(spec.get("command") or [])
    script = command[2] if len(command) == 3 and command[:2] == ["sh", "-c"] else ""
    packages = _PIP_PACKAGE.findall(script)
    module = _MODULE.search(script)
    if not packages or module is None:
        shown = " ".join(command) or "(the image's entrypoint)"
        raise PackageError(
            f"the emulator runs Python packages only (pythonPackageSpec, or the container"
            f" command of CustomJob.from_local_script); it cannot run {shown!r} in"
            f" {spec.get('imageUri', 'an image')}")
    args = shlex.split(module.group(2)) + list(spec.get("args") or [])
    uris = ["gs://" + p[len("/gcs/"):] for p in packages]
    return Program(module.group(1), uris, args, _env(spec.get("env")))


def from_worker_pool(pool: dict[str, Any]) -> Program:
    if pool.get("pythonPackageSpec"):
        return from_package_spec(pool["pythonPackageSpec"])
    if pool.get("containerSpec"):
        return from_container_spec(pool["containerSpec"])
    raise PackageError("the worker pool has neither pythonPackageSpec nor containerSpec")


def _unpack(archive: Path, dest: Path) -> Path:
    """Extract an sdist (tar.gz) or wheel/zip; the folder that holds its code."""
    dest.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(dest)
    else:
        try:
            with tarfile.open(archive) as tar:
                tar.extractall(dest, filter="data")
        except (tarfile.TarError, OSError) as exc:
            raise PackageError(f"{archive.name} is not a package archive: {exc}") from None
    entries = [p for p in dest.iterdir() if not p.name.endswith(".egg-info")]
    # An sdist holds one folder <name>-<version>/ with the code (and setup.py) inside.
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return dest


def fetch(program: Program, storage: Storage, folder: Path) -> list[Path]:
    """Download and unpack the program's packages; the folders for PYTHONPATH."""
    roots = []
    for i, uri in enumerate(program.packages):
        name = uri.rstrip("/").rsplit("/", 1)[-1] or f"package-{i}"
        try:
            archive = storage.download(uri, folder / "packages" / name)
        except StorageError as exc:
            raise PackageError(f"package {exc}") from None
        roots.append(_unpack(archive, folder / "code" / str(i)))
    module_path = program.module.replace(".", "/")
    if not any((r / f"{module_path}.py").is_file() or (r / module_path / "__main__.py").is_file()
               for r in roots):
        raise PackageError(f"module {program.module} is not in {', '.join(program.packages)}")
    return roots
