"""Cloud Storage: gcp-storage-emulator (pip) as the emulator's child process, and the
emulator's own access to it (packages in, trial outputs out).

Users' clients reach it through `STORAGE_EMULATOR_HOST=http://127.0.0.1:<port>` (the
variable google-cloud-storage honours; it then uses anonymous credentials). The emulator's
own calls go straight to the child, so they are neither counted nor faulted.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.framework.children import ChildProcess, free_port

DEFAULT_BUCKET = "hpo-bridge-examples"
GS = "gs://"
FUSE_ROOT = "/gcs/"  # Vertex mounts buckets there (Cloud Storage FUSE)


class StorageError(Exception):
    """A package or output location that cannot be read or written."""


def gcs_child(bucket: str = DEFAULT_BUCKET) -> ChildProcess:
    """`gcp-storage-emulator start` on a free port, in memory, with one bucket made."""
    port = free_port()
    program = Path(sys.executable).with_name("gcp-storage-emulator")
    argv = [str(program) if program.exists() else shutil.which("gcp-storage-emulator")
            or "gcp-storage-emulator",
            "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory", "--quiet",
            "--default-bucket", bucket]
    return ChildProcess("gcs", argv, port=port)


def split_uri(uri: str) -> tuple[str, str]:
    """(bucket, object name) of gs://bucket/name or /gcs/bucket/name."""
    for prefix in (GS, FUSE_ROOT):
        if uri.startswith(prefix):
            bucket, _, name = uri[len(prefix):].partition("/")
            if bucket:
                return bucket, name
    raise StorageError(f"{uri} is not a gs:// URI")


class Storage:
    """The emulator's client of the GCS child (google-cloud-storage, anonymous)."""

    def __init__(self, url: str, project: str) -> None:
        self.url = url
        self.project = project
        self._client: Any = None

    def client(self) -> Any:
        if self._client is None:
            from google.auth.credentials import AnonymousCredentials
            from google.cloud import storage

            self._client = storage.Client(project=self.project,
                                          credentials=AnonymousCredentials(),
                                          client_options={"api_endpoint": self.url})
        return self._client

    def download(self, uri: str, dest: Path) -> Path:
        from google.api_core import exceptions

        bucket, name = split_uri(uri)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            self.client().bucket(bucket).blob(name).download_to_filename(str(dest))
        except exceptions.NotFound:
            dest.unlink(missing_ok=True)
            raise StorageError(f"{uri} does not exist") from None
        return dest

    def upload_tree(self, folder: Path, uri: str) -> int:
        """Every file under `folder` to the prefix `uri`; how many were uploaded."""
        bucket_name, prefix = split_uri(uri.rstrip("/") + "/")
        bucket = self.client().bucket(bucket_name)
        count = 0
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            name = prefix + path.relative_to(folder).as_posix()
            bucket.blob(name).upload_from_filename(str(path))
            count += 1
        return count
