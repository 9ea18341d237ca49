"""Patterns for names in a spec, with the words an error message uses for each."""

from __future__ import annotations

import re

# A study name: letters, digits and hyphens; backends shorten or map it where
# their own limits are tighter.
NAME_PATTERN = r"^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$"
NAME_WORDS = "letters, digits and hyphens, starting and ending with a letter or digit"

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
