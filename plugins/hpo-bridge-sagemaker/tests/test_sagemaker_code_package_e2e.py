"""The code package through `hpo-bridge compile --backend sagemaker` (issue 10, item 14):
a code folder over the limits is refused in one line before anything is read, `.hpoignore`
(gitignore syntax) leaves files out, and a note says what was packed.

Large files are sparse (a size without the disk space), so the limits are met honestly
by what `stat` says without writing hundreds of MB. The `timeout` is a hang guard: packing
/usr/share took 83 s.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import yaml
from sagemaker_helpers import base_spec

CLI = Path(sys.executable).with_name("hpo-bridge")
GUARD = 60
MIB = 1 << 20


def _compile(code: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    spec = base_spec(trial={"command": ["python", "train.py"], "code": str(code)})
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec))
    # Its own temp folder: compile caches the package there, where the test reads it.
    tmp = tmp_path / "tmp"
    tmp.mkdir(exist_ok=True)
    return subprocess.run([str(CLI), "compile", str(path), "--backend", "sagemaker"],
                          capture_output=True, text=True, timeout=GUARD,
                          env={**os.environ, "TMPDIR": str(tmp)})


def _code(tmp_path: Path, **files: int) -> Path:
    """A code folder with train.py and sparse files of the given sizes."""
    code = tmp_path / "code"
    code.mkdir()
    (code / "train.py").write_text("print('loss=0.5')\n")
    for name, size in files.items():
        path = code / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            fh.truncate(size)
    return code


def _packed_names(tmp_path: Path, out: subprocess.CompletedProcess[str]) -> list[str]:
    """The files of the code package the request points to (compile caches it locally)."""
    request = json.loads(out.stdout)
    hp = request["TrainingJobDefinition"]["StaticHyperParameters"]
    assert json.loads(hp["sagemaker_submit_directory"]).endswith("/sourcedir.tar.gz")
    (package,) = (tmp_path / "tmp" / "hpo-bridge-sagemaker").glob("*.tar.gz")
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(package.read_bytes()))) as tar:
        return sorted(tar.getnames())


def test_a_folder_over_100_mib_is_refused_in_one_line(tmp_path):
    code = _code(tmp_path, **{"data__weights.bin": 300 * MIB})
    out = _compile(code, tmp_path)
    assert out.returncode == 2, out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.splitlines() == [
        f"sagemaker: trial.code: {code} holds more than 100.0 MiB of files to pack (stopped"
        f" counting at 2 files, 300.0 MiB); list what trials do not need in"
        f" {code / '.hpoignore'} (gitignore syntax), or move data to trial.inputs"]


def test_a_folder_of_more_than_10000_files_is_refused(tmp_path):
    code = _code(tmp_path)
    many = code / "many"
    many.mkdir()
    for i in range(10_001):
        (many / f"f{i:05d}.txt").touch()
    out = _compile(code, tmp_path)
    assert out.returncode == 2, out.stderr
    (line,) = out.stderr.splitlines()
    assert line.startswith(f"sagemaker: trial.code: {code} holds more than 10,000 files to"
                           " pack (stopped counting at 10,001 files, 18 B)")


def test_hpoignore_leaves_files_out_and_the_note_says_what_was_packed(tmp_path):
    code = _code(tmp_path, **{"data__weights.bin": 300 * MIB, "data__keep.bin": 10,
                              "logs__a.log": 5, "notes.md": 7})
    (code / ".hpoignore").write_text("# gitignore syntax\ndata/*\n!data/keep.bin\n*.log\n")
    out = _compile(code, tmp_path)
    assert out.returncode == 0, out.stderr
    compressed = re.search(r"[(]([0-9.]+ (B|KiB)) compressed", out.stderr)
    assert compressed is not None, out.stderr
    assert out.stderr.splitlines() == [
        f"note: packed 4 file(s), {18 + 10 + 7 + len((code / '.hpoignore').read_text())} B,"
        f" from {code} ({compressed.group(1)} compressed); .hpoignore left out 2 file(s)"]
    assert _packed_names(tmp_path, out) == [".hpoignore", "data/keep.bin", "notes.md",
                                            "train.py"]


def test_a_package_over_10_mib_warns(tmp_path):
    code = _code(tmp_path, **{"table.csv": 12 * MIB})
    out = _compile(code, tmp_path)
    assert out.returncode == 0, out.stderr
    warning, note = out.stderr.splitlines()
    assert warning == (
        f"warning: trial.code: {code} packs 12.0 MiB of files (more than 10.0 MiB); list what"
        f" trials do not need in {code / '.hpoignore'} (gitignore syntax), or move data to"
        " trial.inputs")
    assert note.startswith(f"note: packed 2 file(s), 12.0 MiB, from {code} (")
