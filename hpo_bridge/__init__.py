"""hpo-bridge: one hyperparameter-tuning spec for SageMaker, Vertex AI, Azure ML and locally.

`hpo_bridge.report` is importable from a training script at no cost: the
spec model and everything heavy load only when first used.
"""

from __future__ import annotations

from typing import Any

from hpo_bridge._report import report
from hpo_bridge._version import __version__

_LAZY = {
    "TuningSpec": "hpo_bridge.spec",
    "SpecError": "hpo_bridge.spec",
    "load_spec": "hpo_bridge.loading",
    "validate_spec": "hpo_bridge.loading",
    "dump_spec": "hpo_bridge.spec",
    "hookimpl": "hpo_bridge.hookspecs",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hpo_bridge' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = ["__version__", "report", *_LAZY]
