"""What SageMaker uploads when a training job ends: the model folder and the output data.

`/opt/ml/model` becomes `<S3OutputPath>/<job>/output/model.tar.gz` (the job's
ModelArtifacts) and `/opt/ml/output/data` `<...>/output/output.tar.gz`, each a gzipped tar
of the folder's contents, for jobs that completed or were stopped (SIGTERM gives the
script its chance to save).
"""

from __future__ import annotations

import io
import tarfile
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.aws.sagemaker.storage import split_s3_uri


def pack(folder: Path) -> bytes:
    """A tar.gz of everything under `folder`, paths relative to it (sorted, so the
    archive of the same files is the same)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    tar.add(path, arcname=path.relative_to(folder).as_posix())
    return buffer.getvalue()


def upload(s3: Any, folder: Path, uri: str) -> None:
    bucket, key = split_s3_uri(uri)
    s3.put_object(Bucket=bucket, Key=key, Body=pack(folder))


def upload_outputs(s3: Any, model_dir: Path, output_data_dir: Path, model_uri: str) -> None:
    """model.tar.gz at `model_uri`, output.tar.gz beside it."""
    upload(s3, model_dir, model_uri)
    upload(s3, output_data_dir, model_uri.rsplit("/", 1)[0] + "/output.tar.gz")
