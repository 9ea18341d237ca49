"""The code packager of the backend kit (backends/packaging.py): what is packed, limits,
.hpoignore, and what a compile records."""

from __future__ import annotations

import gzip
import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from hpo_bridge.backends import packaging
from hpo_bridge.backends.packaging import PackingError, PackLimits


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _names(archive: Path) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(archive.read_bytes()))) as tar:
        return tar.getnames()


def test_hpoignore_prunes_folders_keeps_negations_and_counts_what_it_left_out(tmp_path):
    root = _tree(tmp_path / "code", {
        "train.py": "x", "data/a.bin": "1", "data/b.bin": "2", "data/keep.txt": "k",
        "out/run1/log.txt": "l", "out/run2/log.txt": "l", "notes.md": "n",
        ".hpoignore": "data/*\n!data/keep.txt\nout/\n*.md\n",
    })
    with packaging.recording() as packs:
        path, digest = packaging.pack_to_file(root, cache="hpo-bridge-test-pack")
    assert _names(path) == [".hpoignore", "train.py", "data/keep.txt"]  # walk order
    assert digest == hashlib.sha256(gzip.decompress(path.read_bytes())).hexdigest()
    (packed,) = packs
    assert (packed.files, packed.ignored) == (3, 5)
    assert packed.note().startswith(f"packed 3 file(s), {packed.size} B, from {root} (")
    assert packed.note().endswith("; .hpoignore left out 5 file(s)")
    assert packed.warning() is None


def test_limits_refuse_before_reading_and_name_the_folder(tmp_path):
    root = _tree(tmp_path / "code", {f"f{i}.txt": "x" * 10 for i in range(5)})
    with pytest.raises(PackingError) as exc:
        packaging.code_files(root, PackLimits(max_files=3))
    assert str(exc.value).startswith(f"trial.code: {root} holds more than 3 files to pack"
                                     " (stopped counting at 4 files, 40 B)")
    with pytest.raises(PackingError, match="more than 25 B of files"):
        packaging.code_files(root, PackLimits(max_bytes=25))
    assert len(packaging.code_files(root)) == 5  # no limits: data folders


def test_code_digest_is_the_folders_tar_digest_without_hpoignore(tmp_path):
    root = _tree(tmp_path / "code", {"train.py": "x", "big.bin": "y" * 100})
    assert packaging.code_digest(root) == packaging.content_digest(root)
    # The cloud's SDK uploads the folder by its own ignore rules: .hpoignore is not one.
    (root / ".hpoignore").write_text("*.bin\n")
    with packaging.recording() as packs:
        digest = packaging.code_digest(root)
    assert [p.note() for p in packs] == [f"code 3 file(s), 107 B, from {root}"]
    assert digest != packaging.content_digest(root)  # which leaves big.bin out
