"""The emulator framework: what every cloud's front end stands on.

- `Emulator` (server.py): the server thread (werkzeug; port 0 picks a free port; https when
  the front end gives an ssl context), the front end's life cycle and child programs;
- `FrontEnd`, `Site` (frontend.py): the hooks a cloud implements, and what it gets at mount;
- `Router`, `Call` (routing.py): routes by method and path, or mounted WSGI applications;
- faults.py: `OP:KIND:COUNT` fault plans and call statistics; control.py: `/_emulator/*`;
- `ChildProcess`, `free_port` (children.py): helper programs started and stopped with it;
- `local_tls` (tls.py): a certificate for 127.0.0.1 made at start (trustme);
- `EmulatedTuningRun`, `TuningHost`, `RunOutcome`, `RunRejected` (tuning_run.py): a cloud
  tuning job run by hpo-bridge's core behind a narrow host protocol;
- registry.py: emulator name -> front end factory.

Names are imported lazily: the registry is read by every `hpo-bridge` command's plugin
loading, the server pulls in werkzeug and the tuning run hpo-bridge's core.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Emulator": "server",
    "FrontEnd": "frontend",
    "Site": "frontend",
    "Router": "routing",
    "Call": "routing",
    "ChildProcess": "children",
    "free_port": "children",
    "local_tls": "tls",
    "LocalTls": "tls",
    "EmulatedTuningRun": "tuning_run",
    "TuningHost": "tuning_run",
    "RunOutcome": "tuning_run",
    "RunRejected": "tuning_run",
    "OutputTail": "output",
    "Fault": "faults",
    "FaultPlan": "faults",
    "FaultSpecError": "faults",
    "CallStats": "faults",
    "FAULT_KINDS": "faults",
    "json_response": "http",
    "read_json": "http",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
