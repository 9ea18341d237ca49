"""AWS helpers for tests: the SageMaker emulator in this process, and script-mode code in S3.

    with sagemaker_emulator(run_jobs=False) as emu:      # = testing.emulator("sagemaker")
        uri = upload_code(emu.client("s3"), "bucket", "code/sourcedir.tar.gz",
                          {"train.py": SCRIPT})
"""

from __future__ import annotations

import contextlib
import io
import tarfile
from collections.abc import Iterator, Mapping
from typing import Any

from hpo_bridge_localstack.framework.server import Emulator


@contextlib.contextmanager
def sagemaker_emulator(**options: Any) -> Iterator[Emulator]:
    """The SageMaker emulator on a free 127.0.0.1 port, stopped (trials too) on exit."""
    with Emulator("sagemaker", **options) as emulator:
        yield emulator


def code_tarball(files: Mapping[str, str | bytes]) -> bytes:
    """A script-mode `sourcedir.tar.gz` holding `files` (name -> content)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, content in files.items():
            data = content.encode() if isinstance(content, str) else content
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def upload_code(s3: Any, bucket: str, key: str, files: Mapping[str, str | bytes]) -> str:
    """Create `bucket` if needed, upload the tarball of `files`; its s3:// URI."""
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=key, Body=code_tarball(files))
    return f"s3://{bucket}/{key}"
