"""The generic emulated tuning run, driven by a throw-away host (no cloud, no server)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_localstack.framework.tuning_run import (
    CLIENT,
    FAILED,
    FINISHED,
    INTERNAL,
    STOPPED,
    EmulatedTuningRun,
    RunOutcome,
    RunRejected,
    TuningHost,
)

from hpo_bridge.core.events import StudyEvent, TrialCreated, TrialStatusChanged
from hpo_bridge.spec import TuningSpec, validate_spec

TRAIN = """
import os, sys, time
x = float(sys.argv[1].split("=")[1])
print("trial", os.environ["TOY_TRIAL"], flush=True)
time.sleep(float(os.environ.get("TOY_SLEEP", "0")))
print(f"loss={x:.4f}", flush=True)
"""
LIMIT = 60  # seconds: only a guard against a hang


class ToyHost(TuningHost):
    def __init__(self, trials: int = 2, sleep: float = 0.0, fail: Exception | None = None):
        self.trials = trials
        self.sleep = sleep
        self.fail = fail
        self.log: list[tuple[str, Any]] = []
        self.outcome: RunOutcome | None = None
        self.ended = threading.Event()
        self.running = threading.Event()
        self.trial_ended = threading.Event()
        self.steps = 0

    def prepare(self, work_dir: Path) -> TuningSpec:
        if self.fail is not None:
            raise self.fail
        code = work_dir / "code"
        code.mkdir(parents=True)
        (code / "train.py").write_text(TRAIN)
        return validate_spec({
            "name": "toy-run",
            "objective": {"metric": "loss", "goal": "minimize"},
            "metrics": [{"name": "loss", "regex": "loss=([0-9.]+)"}],
            "search_space": {"x": {"type": "float", "low": 0, "high": 1}},
            "strategy": {"algorithm": "random", "seed": 3},
            "limits": {"max_trials": self.trials, "max_parallel": 2},
            "trial": {"command": ["python", "train.py"], "code": str(code),
                      "env": {"TOY_SLEEP": str(self.sleep)}},
        }, base_dir=code)

    def trial_environment(self, trial_id: int, env: dict[str, str]) -> dict[str, str]:
        return {**env, "TOY_TRIAL": f"toy-{trial_id}"}

    def on_event(self, event: StudyEvent) -> None:
        self.log.append(("event", event))
        if isinstance(event, TrialStatusChanged) and event.status == "running":
            self.running.set()
        if isinstance(event, TrialStatusChanged) and event.status.terminal:
            self.trial_ended.set()

    def on_output(self, trial_id: int, lines: list[str]) -> None:
        self.log.append(("output", (trial_id, lines)))

    def on_step(self) -> None:
        self.steps += 1

    def job_ended(self, outcome: RunOutcome) -> None:
        assert self.outcome is None, "job_ended twice"
        self.outcome = outcome
        self.ended.set()

    def lines(self, trial_id: int) -> list[str]:
        return [line for kind, item in self.log if kind == "output" and item[0] == trial_id
                for line in item[1]]

    def final_status(self, trial_id: int) -> TrialStatusChanged:
        return [e for kind, e in self.log if kind == "event"
                and isinstance(e, TrialStatusChanged) and e.trial_id == trial_id][-1]


def run(host: ToyHost, tmp_path: Path) -> EmulatedTuningRun:
    return EmulatedTuningRun(host, tmp_path / "job", name="toy", poll_interval=0.05).start()


def test_a_run_drives_the_core_and_reports_to_its_host(tmp_path):
    host = ToyHost(trials=2)
    job = run(host, tmp_path)
    job.join(LIMIT)
    assert host.outcome is not None and host.outcome.status == FINISHED
    created = [e for kind, e in host.log if isinstance(e, TrialCreated)]
    assert [e.trial_id for e in created] == [1, 2]
    for event in created:
        x = event.params["x"]
        assert host.lines(event.trial_id) == [f"trial toy-{event.trial_id}", f"loss={x:.4f}"]
        assert host.final_status(event.trial_id).status == "completed"
        # Every line reaches the host before the trial's final status.
        positions = [i for i, (kind, item) in enumerate(host.log)
                     if kind == "output" and item[0] == event.trial_id]
        final = host.log.index(("event", host.final_status(event.trial_id)))
        assert max(positions) < final
    assert host.steps >= 1
    assert (tmp_path / "job" / "study" / "trials" / "1").is_dir()


def test_stop_requests_end_a_trial_then_the_job(tmp_path):
    host = ToyHost(trials=4, sleep=60)
    job = run(host, tmp_path)
    assert host.running.wait(LIMIT)
    job.request_trial_stop(1, "stopped by the user")
    assert host.trial_ended.wait(LIMIT)
    stopped = host.final_status(1)
    assert (stopped.status, stopped.reason) == ("cancelled", "stopped by the user")
    assert job.alive  # the job goes on with its other trials
    job.request_stop("the job was stopped")
    job.join(LIMIT)
    assert not job.alive
    assert host.outcome == RunOutcome(STOPPED, since_improvement=0)
    assert host.final_status(2).status == "cancelled"


@pytest.mark.parametrize(("error", "cause", "reason"), [
    (RunRejected("the code is not there"), CLIENT, "the code is not there"),
    (KeyError("oops"), INTERNAL, "KeyError: 'oops'"),
])
def test_failures_before_the_first_trial(tmp_path, error, cause, reason):
    host = ToyHost(fail=error)
    run(host, tmp_path).join(LIMIT)
    assert host.outcome == RunOutcome(FAILED, reason, cause)
    assert host.log == []
