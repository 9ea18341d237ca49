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

# `trial.command: [python, train.py]`: these words mean "the Python that runs the study" (or
# trial.python) locally, and the image's Python on a cloud.
PYTHON_WORDS = ("python", "python3")
