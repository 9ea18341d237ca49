"""One sweep job as the host of an emulated tuning run (framework/tuning_run.py).

The code asset's blobs come from Azurite; each trial is a child run `<sweep>_<n>` that runs
the command under the `azure` contract. Its `mlflow` client is pointed at the emulator's
own MLflow endpoint over HTTPS (MLFLOW_TRACKING_URI, MLFLOW_RUN_ID = the child run,
REQUESTS_CA_BUNDLE = the emulator's CA); that endpoint writes into the contract's file
store, which the core reads the metrics from. The sweep's log
(`azureml-logs/hyperdrive.txt`) says what the sweep did; each child's output goes to its
`user_logs/std_log.txt`.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from hpo_bridge_localstack.azure.mlflow_api import MlflowRuns, RunLink, experiment_id
from hpo_bridge_localstack.azure.sweep import build_spec
from hpo_bridge_localstack.framework.tuning_run import (
    FAILED,
    FINISHED,
    STOPPED,
    RunOutcome,
    RunRejected,
    TuningHost,
)

if TYPE_CHECKING:
    from hpo_bridge.core.events import StudyEvent
    from hpo_bridge.spec import TuningSpec

CHILD_STATUS = {"running": "Running", "completed": "Completed", "stopped": "Canceled",
                "cancelled": "Canceled", "failed": "Failed", "timeout": "Failed"}
SWEEP_STATUS = {FINISHED: "Completed", FAILED: "Failed", STOPPED: "Canceled"}
GENERATED_TAG = "_aml_system_samples_generated_count"


def now_iso(when: float | None = None) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when or time.time())) + ".000Z"


@dataclass
class ChildRun:
    run_id: str
    parent: str
    trial_id: int
    params: dict[str, Any]
    status: str = "Queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    ended: float | None = None
    error: str | None = None
    best: float | None = None
    log: list[str] = field(default_factory=list)


@dataclass
class Sweep:
    """A sweep job's state (the REST resource and its run)."""

    name: str
    workspace: str  # the ARM path of its workspace
    body: dict[str, Any]  # the REST resource as created
    status: str = "Running"
    created: float = field(default_factory=time.time)
    ended: float | None = None
    children: dict[int, ChildRun] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)
    error: str | None = None
    best: tuple[str, float] | None = None

    @property
    def props(self) -> dict[str, Any]:
        props: dict[str, Any] = self.body["properties"]
        return props

    @property
    def experiment(self) -> str:
        return str(self.props.get("experimentName") or "Default")

    def say(self, text: str) -> None:
        self.log.append(f"[{now_iso()}][GENERATOR][INFO] {text}")


class Service(Protocol):
    url: str
    lock: threading.RLock
    mlflow: MlflowRuns
    ca_file: str

    def fetch_code(self, code_id: str, target: Path) -> Path: ...

    def mlflow_uri(self, workspace: str) -> str: ...


class SweepHost(TuningHost):
    def __init__(self, service: Service, sweep: Sweep) -> None:
        self.service = service
        self.sweep = sweep
        self.goal = str(sweep.props["objective"]["goal"]).lower()
        self.metric = sweep.props["objective"]["primaryMetric"]

    def prepare(self, work_dir: Path) -> TuningSpec:
        trial = self.sweep.props["trial"]
        code_id = trial.get("codeId")
        code_dir = None
        if code_id:
            try:
                code_dir = self.service.fetch_code(code_id, work_dir / "code")
            except LookupError as exc:
                raise RunRejected(str(exc)) from None
        self.sweep.say(f"Sweep {self.sweep.name} started: code {code_id}")
        return build_spec(self.sweep.name, self.sweep.props, code_dir)

    def trial_environment(self, trial_id: int, env: dict[str, str]) -> dict[str, str]:
        child = self.sweep.children.get(trial_id)
        if child is None:
            return env
        store = env.get("MLFLOW_TRACKING_URI", "")
        root = store[len("file://"):] if store.startswith("file://") else store
        self.service.mlflow.link(RunLink(child.run_id, self.sweep.experiment, root,
                                         env["MLFLOW_RUN_ID"], parent=self.sweep.name))
        env.pop("MLFLOW_ALLOW_FILE_STORE", None)
        env.update({
            "MLFLOW_TRACKING_URI": self.service.mlflow_uri(self.sweep.workspace),
            "MLFLOW_RUN_ID": child.run_id,
            "MLFLOW_EXPERIMENT_ID": experiment_id(self.sweep.experiment),
            "MLFLOW_EXPERIMENT_NAME": self.sweep.experiment,
            "REQUESTS_CA_BUNDLE": self.service.ca_file,
            "AZUREML_RUN_ID": child.run_id,
            "AZUREML_ROOT_RUN_ID": self.sweep.name,
        })
        return env

    def on_event(self, event: StudyEvent) -> None:
        from hpo_bridge.core.events import (
            MetricReported,
            StoppingDecision,
            TrialCreated,
            TrialStatusChanged,
        )

        sweep = self.sweep
        with self.service.lock:
            if isinstance(event, TrialCreated):
                run_id = f"{sweep.name}_{event.trial_id - 1}"
                sweep.children[event.trial_id] = ChildRun(run_id, sweep.name, event.trial_id,
                                                          dict(event.params))
                sweep.say(f"Trial {run_id} generated: {json.dumps(event.params)}")
                return
            child = sweep.children.get(getattr(event, "trial_id", -1))
            if child is None:
                return
            if isinstance(event, MetricReported) and event.name == self.metric:
                value = float(event.value)
                if child.best is None or self._better(value, child.best):
                    child.best = value
                if sweep.best is None or self._better(value, sweep.best[1]):
                    sweep.best = (child.run_id, value)
            elif isinstance(event, StoppingDecision):
                sweep.say(f"Trial {child.run_id} is cancelled by the early termination"
                          f" policy: {event.reason}")
            elif isinstance(event, TrialStatusChanged):
                status = CHILD_STATUS.get(event.status.value)
                if status is None:
                    return
                if status == "Running":
                    child.started = time.time()
                else:
                    child.ended = time.time()
                    if status == "Failed":
                        child.error = event.reason or "the trial failed"
                    sweep.say(f"Trial {child.run_id} ended: {status}"
                              + (f" ({event.reason})" if event.reason else ""))
                child.status = status

    def _better(self, a: float, b: float) -> bool:
        return a > b if self.goal == "maximize" else a < b

    def on_output(self, trial_id: int, lines: list[str]) -> None:
        child = self.sweep.children.get(trial_id)
        if child is not None:
            with self.service.lock:
                child.log.extend(lines)

    def job_ended(self, outcome: RunOutcome) -> None:
        sweep = self.sweep
        with self.service.lock:
            for child in sweep.children.values():
                if child.status in ("Queued", "Running"):
                    child.status, child.ended = "Canceled", time.time()
            sweep.status = SWEEP_STATUS[outcome.status]
            sweep.ended = time.time()
            if outcome.status == FAILED:
                sweep.error = outcome.reason or "the sweep failed"
            best = f"; best {sweep.best[0]} ({sweep.best[1]:g})" if sweep.best else ""
            sweep.say(f"Sweep {sweep.name} ended: {sweep.status}{best}"
                      + (f": {sweep.error}" if sweep.error else ""))

    def tags(self) -> dict[str, str]:
        return {GENERATED_TAG: str(len(self.sweep.children))}
