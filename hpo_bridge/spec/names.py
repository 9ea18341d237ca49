"""Patterns for names in a spec, with the words an error message uses for each."""

from __future__ import annotations

import re

# A study name: what any of the clouds accepts in a name - SageMaker's hyphens, Azure's and
# AI Platform's underscores, the dots of Vertex and Azure display names - and nothing a
# folder name (the default study directory) or a shell would trip on. Each backend maps
# the name to its own rules (SageMaker: hyphens only, at most 32 characters).
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
NAME_WORDS = "letters, digits, '-', '_' and '.', starting with a letter or digit"

# Parameter names: SageMaker's `batch-size`, Vertex's `training/hptuning/metric`
# and Azure's `a:b`/`a.b` style names all occur in the wild.
PARAM_NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_\-.:/]*$"
PARAM_NAME_RE = re.compile(PARAM_NAME_PATTERN)
PARAM_NAME_WORDS = (
    "letters, digits and - _ . : / (starting with a letter, digit or underscore)"
)

# The words shown instead of a raw regex when a value does not match it.
PATTERN_WORDS = {NAME_PATTERN: NAME_WORDS, PARAM_NAME_PATTERN: PARAM_NAME_WORDS}

# A file or folder name in a trial's folder: at most NAME_MAX bytes on Linux filesystems.
FILE_NAME_BYTES = 255


def file_name_problem(name: str, suffix: str = "") -> str | None:
    """Why `name` (followed by `suffix`, e.g. ".json") cannot be one file or folder name
    inside a trial's folder, or None when it can: a name with a `/` (or that is `.` or
    `..`) would reach outside the folder, and the system refuses names longer than
    FILE_NAME_BYTES bytes."""
    if "/" in name or "\0" in name:
        return "has a '/' (or NUL): it must be one file or folder name"
    if name in (".", ".."):
        return "is not a file or folder name"
    size = len((name + suffix).encode("utf-8", "surrogatepass"))
    if size > FILE_NAME_BYTES:
        extra = f" with {suffix}" if suffix else ""
        return f"is {size:,} bytes long{extra}; a file name has at most {FILE_NAME_BYTES}"
    return None


# `trial.command: [python, train.py]`: these words mean "the Python that runs the study" (or
# trial.python) locally, and the image's Python on a cloud.
PYTHON_WORDS = ("python", "python3")
