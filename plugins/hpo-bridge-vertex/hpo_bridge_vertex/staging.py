"""What the Vertex AI and AI Platform translators share: the spec, the gaps found, the
request's problems, and the code package staged for upload (its gs:// URI, with the job's
name still a placeholder, -> the local sdist)."""

from __future__ import annotations

from pathlib import Path
from typing import Generic, TypeVar

from hpo_bridge.backends import Issues
from hpo_bridge.spec import TuningSpec
from hpo_bridge_vertex import code
from hpo_bridge_vertex.settings import AiPlatformSettings, VertexSettings

S = TypeVar("S", VertexSettings, AiPlatformSettings)


class Translation(Generic[S]):
    def __init__(self, spec: TuningSpec, issues: Issues, settings: S) -> None:
        self.spec = spec
        self.issues = issues
        self.settings: S = settings
        self.problems: list[str] = []
        self.artifacts: dict[str, Path] = {}
        self.code_digest = ""

    def stage_code(self, prog: code.Program, backend: str, placeholder: str) -> str:
        """Build the sdist and note where it goes; its URI (`placeholder` for the job)."""
        bucket = self.settings.staging_bucket
        if bucket is None:
            self.problems.append(f"backends.{backend}.staging_bucket: required to upload the"
                                 " code package (gs://bucket[/prefix])")
        path, self.code_digest = code.build(self.spec.code_dir, prog)
        uri = f"{bucket or 'gs://missing'}/{placeholder}/{code.ARCHIVE}"
        self.artifacts[uri] = path
        return uri
