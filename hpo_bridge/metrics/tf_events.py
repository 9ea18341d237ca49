"""TensorFlow summary event files (`tf.summary.scalar`), read incrementally without TensorFlow.

AI Platform Training reads a TensorFlow trainer's metric from the summaries it writes
(SEEDS.md, 002): `tf.summary.scalar('metric1', value, step)` (TF2, a tensor with the
"scalars" plugin) or `FileWriter.add_summary` with a `simple_value` (TF1), in event files
`events.out.tfevents.*` anywhere under the trial's log folder (Keras writes `train/` and
`validation/` sub-folders). Every scalar is one reading named by its tag.

The `tensorboard` package's `EventFileLoader` does the reading: it keeps each file open at
its offset, so a poll costs only the new records, and a record caught half-written is read
whole on the next poll. Events of several files come back ordered by (wall time, step).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hpo_bridge.metrics.base import Reading, parse_number

EVENT_FILE_MARK = "tfevents"  # events.out.tfevents.<time>.<host>[.<suffix>]
SCALARS_PLUGIN = "scalars"
INSTALL_HINT = "reading TensorFlow summaries needs the tensorboard package" \
               " (pip install 'hpo-bridge[vertex]')"


def require_reader() -> None:
    """Raise ImportError naming the package when the event reader is not installed."""
    try:
        import tensorboard.backend.event_processing.event_file_loader  # noqa: F401
    except ImportError as exc:
        raise ImportError(INSTALL_HINT) from exc


def _loader(path: Path) -> Any:
    from tensorboard.backend.event_processing.event_file_loader import EventFileLoader

    return EventFileLoader(str(path))


def scalar_value(value: Any) -> Any:
    """The number a summary value holds when it is a scalar, else None. A float32 comes
    back as the shortest decimal that is that float32 (0.8, not 0.800000011920929), as
    TensorBoard shows it."""
    import numpy as np

    kind = value.WhichOneof("value")
    if kind == "simple_value":  # a float32 field
        return float(str(np.float32(value.simple_value)))
    if kind == "tensor" and value.metadata.plugin_data.plugin_name == SCALARS_PLUGIN:
        from tensorboard.util import tensor_util

        array = tensor_util.make_ndarray(value.tensor)
        if array.size != 1:
            return None
        number = array.reshape(()).item()
        return float(str(np.float32(number))) if array.dtype == np.float32 else number
    return None


class SummarySource:
    """Scalar summaries of every event file under `folder` (found as they appear)."""

    def __init__(self, folder: Path) -> None:
        require_reader()
        self.folder = Path(folder)
        self._loaders: dict[Path, Any] = {}

    def read(self, final: bool = False) -> list[Reading]:
        self._discover()
        entries: list[tuple[float, int, int, Reading]] = []
        order = 0
        for loader in self._loaders.values():
            for event in loader.Load():
                if not event.HasField("summary"):
                    continue
                for value in event.summary.value:
                    number = scalar_value(value)
                    if number is None:
                        continue
                    entries.append((event.wall_time, event.step, order,
                                    parse_number(value.tag, float(number))))
                    order += 1
        entries.sort(key=lambda e: (e[0], e[1], e[2]))
        return [e[3] for e in entries]

    def _discover(self) -> None:
        if not self.folder.is_dir():
            return
        for root, dirs, files in os.walk(self.folder):
            dirs.sort()
            for name in sorted(files):
                path = Path(root) / name
                if EVENT_FILE_MARK in name and path not in self._loaders:
                    self._loaders[path] = _loader(path)
