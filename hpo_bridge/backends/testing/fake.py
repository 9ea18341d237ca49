"""An in-memory cloud and its backend: the kit's machinery tested without any emulator.

`FakeCloud` keeps jobs whose trials advance one step per status call (a trial reports one
value per step and ends after `steps`); `slow` jobs' trials run until the job is stopped.
Faults (throttle, error, deny, drop) apply to the next calls of an operation, as an
emulator's do. `FakeBackend` is a complete `NativeBackend` on it, written the way a cloud
plugin is: translation, SDK calls, `classify`.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge.backends.capabilities import Gap, Issues
from hpo_bridge.backends.jobs import Compiled, JobState, JobStatus
from hpo_bridge.backends.naming import derive_name, fill_name, request_digest
from hpo_bridge.backends.native import CloudError, ErrorKind, NativeBackend
from hpo_bridge.backends.retry import RetryPolicy
from hpo_bridge.core.trial import Trial, TrialStatus

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

NAME_PLACEHOLDER = "{fake-job}"


class FakeCloudError(Exception):
    """What the fake cloud's "SDK" raises: an HTTP-like status and a code."""

    def __init__(self, status: int, code: str, message: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.status = status
        self.code = code


FAULTS = {
    "throttle": (429, "TooManyRequests", "slow down"),
    "error": (500, "InternalError", "try again"),
    "deny": (403, "AccessDenied", "the caller may not do this"),
    "drop": (0, "ConnectionDropped", "the connection was closed"),
}


@dataclass
class FakeJob:
    name: str
    request: dict[str, Any]
    state: JobState = JobState.RUNNING
    step: int = 0
    stop_requested: bool = False


@dataclass
class FakeCloud:
    """Jobs by name; every call counted per operation; faults consumed call by call."""

    steps: int = 3  # objective reports per trial
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    faults: list[list[Any]] = field(default_factory=list)  # [operation, kind, remaining]

    def __post_init__(self) -> None:
        self._lock = threading.Lock()

    def inject(self, operation: str, kind: str, count: int = 1) -> None:
        with self._lock:
            self.faults.append([operation, kind, count])

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.faults.clear()

    def _enter(self, operation: str) -> None:
        with self._lock:
            self.calls[operation] += 1
            for fault in self.faults:
                if fault[0] == operation and fault[2] > 0:
                    fault[2] -= 1
                    raise FakeCloudError(*FAULTS[fault[1]])

    # -- the "SDK" -------------------------------------------------------------------------
    def upload(self, key: str, data: bytes) -> None:
        self._enter("upload")
        self.uploads[key] = data

    def create(self, name: str, request: dict[str, Any]) -> None:
        self._enter("create")
        with self._lock:
            if name in self.jobs:
                raise FakeCloudError(409, "AlreadyExists", f"job {name} exists")
            self.jobs[name] = FakeJob(name, json.loads(json.dumps(request)))

    def describe(self, name: str) -> dict[str, Any]:
        self._enter("status")
        with self._lock:
            job = self._job(name)
            self._advance(job)
            return {"name": job.name, "state": job.state.value, "step": job.step,
                    "request": job.request, "trials": self._trials(job)}

    def list_trials(self, name: str) -> list[dict[str, Any]]:
        self._enter("list")
        with self._lock:
            return self._trials(self._job(name))

    def stop(self, name: str) -> None:
        self._enter("stop")
        with self._lock:
            job = self._job(name)
            if job.state.done:
                raise FakeCloudError(400, "FailedPrecondition", f"job {name} has ended")
            job.stop_requested = True
            job.state = JobState.STOPPING

    # -- the job's progress ------------------------------------------------------------------
    def _job(self, name: str) -> FakeJob:
        if name not in self.jobs:
            raise FakeCloudError(404, "NotFound", f"no job {name}")
        return self.jobs[name]

    def _advance(self, job: FakeJob) -> None:
        if job.state is JobState.STOPPING:
            job.state = JobState.STOPPED
        elif job.state is JobState.RUNNING:
            job.step += 1
            if not job.request["slow"] and job.step > self.steps:
                job.state = JobState.COMPLETED

    def _trials(self, job: FakeJob) -> list[dict[str, Any]]:
        reported = min(job.step, self.steps)
        out = []
        for i in range(1, job.request["trials"] + 1):
            if job.state is JobState.COMPLETED:
                state = "completed"
            elif job.state.done:
                state = "stopped"
            else:
                state = "running"
            values = [round(0.1 * i + 0.01 * k, 6) for k in range(1, reported + 1)]
            out.append({"id": i, "params": job.request["params"], "state": state,
                        "metric": job.request["metric"], "values": values})
        return out


class FakeBackend(NativeBackend):
    """A native backend on a FakeCloud (a plugin's structure, in ~100 lines)."""

    name = "fake"
    job_noun = "fake job"
    rename_hint = "set backends.fake.job_name"
    capabilities = {
        "strategy.algorithm=sobol": Gap("algorithm sobol", "algorithm random",
                                        "algorithm random"),
        "objectives.multi": Gap("multi-objective optimisation", "a single objective"),
        # A cloud without any warm start: how such a cloud reports it.
        "warm_start": Gap("warm start from {value}",
                          "a new job without earlier trials (or run it on the local backend)",
                          "the earlier trials are not used"),
    }

    def __init__(self, cloud: FakeCloud | None = None, retry: RetryPolicy | None = None,
                 **kwargs: Any) -> None:
        super().__init__(retry=retry or RetryPolicy(sleep=lambda _: None), **kwargs)
        self.cloud = cloud or FakeCloud()

    # -- translation ---------------------------------------------------------------------
    def translate(self, spec: TuningSpec, issues: Issues) -> Compiled:
        algorithm = "random" if issues.applies("strategy.algorithm=sobol") \
            else spec.strategy.algorithm
        issues.raise_if_any()
        request = {
            "name": NAME_PLACEHOLDER,
            "algorithm": algorithm,
            "metric": spec.primary.metric,
            "goal": spec.primary.goal,
            "trials": spec.max_trials,
            "params": {name: domain.grid_values()[0] if domain.finite else
                       getattr(domain, "low", None) for name, domain in spec.search_space.items()},
            "slow": bool(spec.trial.env.get("FAKE_SLOW")),
        }
        name = derive_name(spec.name, request_digest(request), max_length=40)
        return Compiled(request=fill_name(request, name, NAME_PLACEHOLDER),
                        artifacts={f"fake://{name}/code": spec.code_dir})

    def import_native(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"name": data["name"], "objective": {"metric": data["metric"],
                                                     "goal": data["goal"]},
                "search_space": {k: {"type": "categorical", "values": [v]}
                                 for k, v in data["params"].items()},
                "limits": {"max_trials": data["trials"]}}

    # -- the "SDK" calls -------------------------------------------------------------------
    def classify(self, exc: BaseException) -> CloudError | None:
        if not isinstance(exc, FakeCloudError):
            return None
        kind = {429: ErrorKind.RETRYABLE, 500: ErrorKind.RETRYABLE, 0: ErrorKind.RETRYABLE,
                403: ErrorKind.ACCESS, 404: ErrorKind.NOT_FOUND,
                409: ErrorKind.CONFLICT}.get(exc.status, ErrorKind.OTHER)
        return CloudError(kind, exc.code, str(exc))

    def upload(self, spec: TuningSpec, compiled: Compiled) -> None:
        from hpo_bridge.backends.packaging import pack

        for key, local in compiled.artifacts.items():
            data = pack(local) if Path(local).is_dir() else Path(local).read_bytes()
            self.call("upload", self.cloud.upload, key, data)

    def job_handle(self, spec: TuningSpec, compiled: Compiled) -> str:
        return str(compiled.request["name"])

    def create_job(self, spec: TuningSpec, compiled: Compiled) -> str:
        self.call("create", self.cloud.create, compiled.request["name"], compiled.request)
        return self.job_handle(spec, compiled)

    def existing_request(self, handle: str) -> dict[str, Any]:
        return dict(self.call("describe", self.cloud.describe, handle)["request"])

    def job_status(self, handle: str) -> JobStatus:
        job = self.call("describe", self.cloud.describe, handle)
        trials = job["trials"]
        state = JobState(job["state"])
        running = sum(1 for t in trials if t["state"] == "running")
        return JobStatus(state=state, native_state=state.value.upper(),
                         trials_total=len(trials), trials_running=running,
                         trials_completed=sum(1 for t in trials if t["state"] == "completed"),
                         trials_stopped=sum(1 for t in trials if t["state"] == "stopped"))

    def list_trials(self, handle: str) -> list[Trial]:
        states = {"running": TrialStatus.RUNNING, "completed": TrialStatus.COMPLETED,
                  "stopped": TrialStatus.CANCELLED}
        return [Trial(id=t["id"], params=dict(t["params"]), status=states[t["state"]],
                      values=list(t["values"]), metrics={t["metric"]: list(t["values"])})
                for t in self.call("list", self.cloud.list_trials, handle)]

    def stop_job(self, handle: str) -> None:
        self.call("stop", self.cloud.stop, handle)

    def trial_logs(self, handle: str, trial: str) -> Iterator[str]:
        yield f"trial {trial} of {handle}: the fake cloud keeps no logs"


class FakeHarness:
    """The conformance harness of `FakeBackend` (see conformance.Harness)."""

    def __init__(self, folder: Path, backend: FakeBackend | None = None,
                 golden: Path | None = None) -> None:
        self.folder = folder
        self.backend = backend or FakeBackend()
        self.cloud = self.backend.cloud
        self.golden = golden or folder / "fake-golden.json"
        (folder / "code").mkdir(exist_ok=True)
        (folder / "code" / "train.py").write_text("print('hello')\n")

    def spec(self, *, trials: int = 3, slow: bool = False) -> TuningSpec:
        from hpo_bridge.spec import validate_spec

        return validate_spec({
            "name": "fake-conformance",
            "objective": {"metric": "acc", "goal": "maximize"},
            "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1},
                             "opt": {"type": "categorical", "values": ["sgd", "adam"]}},
            "limits": {"max_trials": trials, "max_parallel": trials},
            "trial": {"command": ["python", "train.py"], "code": "code",
                      "env": {"FAKE_SLOW": "1"} if slow else {}},
        }, base_dir=self.folder)

    def inject(self, operation: str, kind: str, count: int = 1) -> None:
        self.cloud.inject(operation, kind, count)

    def calls(self, operation: str) -> int:
        return self.cloud.calls[operation]

    def jobs(self) -> int:
        return len(self.cloud.jobs)

    def reset(self) -> None:
        self.cloud.reset()
