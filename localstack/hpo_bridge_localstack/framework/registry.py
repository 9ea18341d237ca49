"""Which emulators exist: name -> the front end's factory, imported only when it is used.

Built-in front ends are one line each in `BUILTIN`; another distribution adds its own under
the entry-point group `hpo_bridge_localstack.emulators` (`name = "module:Factory"`), and a
test registers a throw-away one with `register()`. Listing names imports nothing heavy, so
`hpo-bridge emulate` can list what is installed without loading moto or a cloud SDK.

A factory is called with the emulator's options (`Factory(**options)`) and returns a
`FrontEnd` (framework/frontend.py).
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_bridge_localstack.framework.frontend import FrontEnd

ENTRY_POINT_GROUP = "hpo_bridge_localstack.emulators"

Factory = Callable[..., "FrontEnd"]


@dataclass(frozen=True)
class EmulatorEntry:
    name: str
    target: str | Factory  # "module:attribute", or the factory itself
    description: str = ""

    def load(self) -> Factory:
        if not isinstance(self.target, str):
            return self.target
        module, _, attr = self.target.partition(":")
        factory: Factory = getattr(importlib.import_module(module), attr)
        return factory


BUILTIN = (
    EmulatorEntry("azure", "hpo_bridge_localstack.azure.frontend:AzureFrontEnd",
                  "Azure ML sweep jobs over HTTPS (ARM, run history, MLflow), blobs in Azurite"),
    EmulatorEntry("sagemaker", "hpo_bridge_localstack.aws.frontend:SageMakerFrontEnd",
                  "Amazon SageMaker tuning, with moto's S3 and CloudWatch Logs"),
)

_lock = threading.Lock()
_registered: dict[str, EmulatorEntry] = {}


class UnknownEmulator(LookupError):
    """No emulator of that name is installed."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown emulator {name!r} (available: {', '.join(available())})")
        self.name = name


def _installed() -> dict[str, EmulatorEntry]:
    found = {entry.name: entry for entry in BUILTIN}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(ep.name, EmulatorEntry(ep.name, ep.value))
    with _lock:
        found.update(_registered)
    return found


def register(name: str, target: str | Factory, description: str = "") -> None:
    """Make `name` available (replacing an emulator of that name) in this process."""
    with _lock:
        _registered[name] = EmulatorEntry(name, target, description)


def unregister(name: str) -> None:
    with _lock:
        _registered.pop(name, None)


def entries() -> list[EmulatorEntry]:
    """Every installed emulator, by name."""
    return [entry for _, entry in sorted(_installed().items())]


def available() -> list[str]:
    return [entry.name for entry in entries()]


def entry(name: str) -> EmulatorEntry:
    """The emulator called `name`; raises UnknownEmulator."""
    found = _installed().get(name)
    if found is None:
        raise UnknownEmulator(name)
    return found


def create(name: str, **options: Any) -> FrontEnd:
    """A new front end of the emulator `name`, given its options."""
    return entry(name).load()(**options)
