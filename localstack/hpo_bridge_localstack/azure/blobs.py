"""Code assets' blobs in Azurite, the Azure Storage emulator (npm package `azurite`).

The emulator starts `azurite-blob` as a child process (from the project's own
`localstack/node/node_modules`, installed by `npm ci`, or AZURITE_BIN / the PATH), with
`--skipApiVersionCheck` (azure-storage-blob sends a newer x-ms-version than Azurite knows)
and `--disableTelemetry` (Azurite 3.37 reports to Application Insights by default). It hands
the SDK a container SAS signed with Azurite's well-known account key, and reads the code
back with azure-storage-blob to run the trials.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.framework.children import ChildProcess, free_port

ACCOUNT = "devstoreaccount1"
# Azurite's documented development account key (public, the same for every Azurite).
ACCOUNT_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
               "KBHBeksoGMGw==")
NODE_DIR = Path(__file__).resolve().parents[2] / "node"  # localstack/node


class AzuriteMissing(RuntimeError):
    pass


def azurite_binary() -> str:
    """azurite-blob: AZURITE_BIN, the project's npm install, or the PATH."""
    given = os.environ.get("AZURITE_BIN")
    if given:
        return given
    local = NODE_DIR / "node_modules" / ".bin" / "azurite-blob"
    if local.exists():
        return str(local)
    found = shutil.which("azurite-blob")
    if found:
        return found
    raise AzuriteMissing("azurite-blob not found: run `make install` (npm ci in"
                         " localstack/node) or set AZURITE_BIN")


class Azurite:
    """One Azurite blob service: the child process and the emulator's clients of it."""

    def __init__(self, work_dir: Path, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = free_port(host)
        self.location = work_dir / "azurite"
        self.location.mkdir(parents=True, exist_ok=True)
        self.child = ChildProcess(
            "azurite",
            [azurite_binary(), "--blobHost", host, "--blobPort", str(self.port),
             "--location", str(self.location), "--skipApiVersionCheck", "--disableTelemetry",
             "--loose", "--silent"],
            port=self.port, host=host, ready_timeout=60)

    @property
    def account_url(self) -> str:
        return f"http://{self.host}:{self.port}/{ACCOUNT}"

    def service(self) -> Any:
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(self.account_url, credential={"account_name": ACCOUNT,
                                                               "account_key": ACCOUNT_KEY})

    def container_sas_url(self, container: str, hours: int = 24) -> str:
        """Create `container` (if needed) and a read/write SAS URL of it, as
        startPendingUpload hands out."""
        from azure.core.exceptions import ResourceExistsError
        from azure.storage.blob import ContainerSasPermissions, generate_container_sas

        client = self.service().get_container_client(container)
        with contextlib.suppress(ResourceExistsError):
            client.create_container()
        sas = generate_container_sas(
            ACCOUNT, container, account_key=ACCOUNT_KEY,
            permission=ContainerSasPermissions(read=True, write=True, create=True, list=True,
                                               add=True),
            expiry=datetime.now(UTC) + timedelta(hours=hours))
        return f"{self.account_url}/{container}?{sas}"

    def download(self, container: str, prefix: str, target: Path) -> int:
        """Every blob under `prefix` of `container` into `target` (relative paths kept);
        how many files."""
        client = self.service().get_container_client(container)
        prefix = prefix.strip("/")
        count = 0
        for blob in client.list_blobs(name_starts_with=f"{prefix}/" if prefix else None):
            relative = blob.name[len(prefix):].lstrip("/") if prefix else blob.name
            if not relative or relative.endswith("/"):
                continue
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(client.download_blob(blob.name).readall())
            count += 1
        return count
