"""Is a study's orchestrator still alive? (The pid it recorded when it started running.)"""

from __future__ import annotations

import os
from typing import Any


def pid_alive(pid: int | None) -> bool:
    """Whether process `pid` exists (and is not this process)."""
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def orchestrator_alive(store: Any) -> bool:
    """True while the orchestrator that runs the stored study lives."""
    status = store.study_status()
    return status.status == "running" and pid_alive(status.pid)
