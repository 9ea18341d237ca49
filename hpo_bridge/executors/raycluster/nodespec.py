"""The spec as a cluster node sees it: the code folder is where Ray unpacked it.

The orchestrator ships `trial.code` as the trial actors' `runtime_env` working_dir, so
on a node the code lives in Ray's copy of it, not in the folder the spec names. The
node runs the contract on a copy of the spec whose code folder is that copy; paths the
spec gives relative to its own folder (`trial.inputs`, `trial.python`) follow the code
when they are inside it, and stay absolute otherwise (a file system every node mounts).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec


def rebase(path: str, base_dir: Path, code_dir: Path, node_code: Path) -> str:
    """`path` (relative to the spec's folder, or absolute) as seen on the node."""
    local = (base_dir / path).resolve()
    try:
        return str(node_code / local.relative_to(code_dir))
    except ValueError:
        return str(local)  # outside the shipped code: the same path on every node


def node_spec(spec: TuningSpec, node_code: Path) -> TuningSpec:
    """`spec` with its code folder at `node_code` (the unpacked working_dir)."""
    base, code = spec.base_dir, spec.code_dir
    trial = spec.trial
    python = trial.python
    if python is not None and "/" in python and not Path(python).is_absolute():
        python = rebase(python, base, code, node_code)
    inputs = {name: rebase(path, base, code, node_code) for name, path in trial.inputs.items()}
    moved = trial.model_copy(update={"code": str(node_code), "inputs": inputs, "python": python})
    copied = spec.model_copy(update={"trial": moved})
    copied._base_dir = node_code
    return copied
