"""Helpers for executor tests: specs around small scripts, and a loop that drives trials."""

from __future__ import annotations

import textwrap
from pathlib import Path

from hpo_bridge.core.events import MetricReported, TrialFinished
from hpo_bridge.executors.process import ProcessExecutor
from hpo_bridge.plugins import registry
from hpo_bridge.spec import validate_spec


def write_spec(folder: Path, script: str, **trial):
    """A spec whose trial runs `script` (Python source) with the given trial settings."""
    (folder / "train.py").write_text(textwrap.dedent(script))
    top = trial.pop("top", {})
    data = {
        "name": "t",
        "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1}},
        "trial": {"command": ["python", "train.py"], **trial},
    }
    data.update(top)
    return validate_spec(data, base_dir=folder)


def process_executor(spec, study_dir: Path, **options) -> ProcessExecutor:
    """A process executor running `spec`'s trials under the contract it names."""
    contract = registry().require("contracts", spec.trial.contract).create()
    return ProcessExecutor(spec, study_dir, contract=contract, **options)


def drive(executor, limit: float = 30.0, on_event=None) -> list:
    """Poll until no trial runs; every event, in order. Fails the test after `limit` seconds."""
    events: list = []
    deadline = executor.clock.now() + limit
    while executor.running() or not events:
        assert executor.clock.now() < deadline, f"trials still running: {events}"
        got = executor.poll(0.5)
        for event in got:
            events.append(event)
            if on_event is not None:
                on_event(event)
        if not executor.running() and not got:
            break
    return events


def finished(events, trial_id: int = 1) -> TrialFinished:
    (end,) = [e for e in events if isinstance(e, TrialFinished) and e.trial_id == trial_id]
    return end


def metrics(events, trial_id: int = 1) -> list[tuple[str, float]]:
    return [(e.name, e.value) for e in events
            if isinstance(e, MetricReported) and e.trial_id == trial_id]


def gone(pid: int) -> bool:
    """Dead: no such process, or a zombie waiting for a parent that is not us."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def wait_gone(pid: int, seconds: float = 5.0) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if gone(pid):
            return True
        time.sleep(0.02)
    return gone(pid)
