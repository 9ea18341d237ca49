"""What a SageMaker training container receives from S3: the script-mode code and the channels."""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlparse


class StorageError(Exception):
    """Data SageMaker would fail to download (its message becomes the FailureReason)."""


def split_s3_uri(uri: str) -> tuple[str, str]:
    parsed = urlparse(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise StorageError(f"{uri!r} is not an s3:// URI")
    return parsed.netloc, parsed.path.lstrip("/")


def _get(s3: Any, bucket: str, key: str, target: Path) -> None:
    from botocore.exceptions import ClientError

    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        s3.download_file(bucket, key, str(target))
    except ClientError as exc:
        message = exc.response["Error"].get("Message") or exc
        raise StorageError(f"s3://{bucket}/{key}: {message}") from None


def fetch_code(s3: Any, uri: str, target: Path) -> Path:
    """Download the sourcedir tarball and extract it into `target` (script mode)."""
    bucket, key = split_s3_uri(uri)
    archive = target.parent / "sourcedir.tar.gz"
    _get(s3, bucket, key, archive)
    target.mkdir(parents=True, exist_ok=True)
    try:
        with tarfile.open(archive) as tar:
            # The "data" filter refuses absolute paths, links out of the folder and devices.
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError) as exc:
        raise StorageError(f"{uri}: not a readable tar.gz archive ({exc})") from None
    return target


def fetch_channel(s3: Any, uri: str, target: Path) -> Path:
    """Download every object under an S3 prefix (S3Prefix data source) into `target`."""
    bucket, prefix = split_s3_uri(uri)
    target.mkdir(parents=True, exist_ok=True)
    paginator = s3.get_paginator("list_objects_v2")
    found = False
    for response in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in response.get("Contents", []):
            key = obj["Key"]
            if key.endswith("/"):
                continue
            found = True
            relative = PurePosixPath(key[len(prefix):].lstrip("/") or PurePosixPath(key).name)
            if ".." in relative.parts:
                raise StorageError(f"s3://{bucket}/{key}: unsafe key")
            _get(s3, bucket, key, target / relative)
    if not found:
        raise StorageError(f"No S3 objects found under S3 URL \"{uri}\"")
    return target


def channel_uris(definition: dict[str, Any]) -> dict[str, str]:
    """Channel name -> S3 URI, for the channels fed from S3 (others are not emulated)."""
    out = {}
    for channel in definition.get("InputDataConfig") or []:
        source = (channel.get("DataSource") or {}).get("S3DataSource")
        if source and source.get("S3Uri"):
            out[channel["ChannelName"]] = source["S3Uri"]
    return out
