"""The `ray` executor: hpo-bridge's scheduler here, its trials on a Ray cluster.

The tuner, the searcher, the stopping rules and the store stay where `hpo-bridge run`
runs; each trial runs on a cluster node, in a runner actor (runner.py) that Ray places
with the trial's resources (`backends.ray`: num_cpus, num_gpus, memory, resources) and
starts in the study's runtime environment (the code folder as working_dir, zipped with
the packager's rules; hpo_bridge itself as a py_module; the spec's runtime_env).

This process never imports Ray: a link process (link.py) is the Ray driver, and this
executor talks to it over a Connection (protocol.py). Events:
- TrialStarted when the trial's process runs on its node (`trials/<id>/node.json` says
  which node, its folder there, its pid and CUDA_VISIBLE_DEVICES; `launch.json` what ran);
- MetricReported as the node reads the trial's metric channels (its contract's);
- its stdout and stderr streamed into `trials/<id>/stdout.log` and `stderr.log` here, so
  `hpo-bridge logs` reads them like a local trial's;
- TrialFinished after the last metric and the last log byte: as on this machine
  (exit code, signal, the status a stop asked for), CANCELLED "node lost: ..." when the
  trial's node left the cluster, FAILED "cannot start ..." when it never ran;
- RestoreCorrected (start 0) before the TrialStarted of a trial meant to continue a
  checkpoint (population-based training, a re-run): checkpoints stay on the node that
  wrote them, so it starts from scratch, and the study's results say so.
When the cluster stops answering (the link process ends), `poll` raises
ExecutorUnavailable: the study stops as interrupted and `resume` continues it. A new link
first ends what an earlier, killed orchestrator of the study left on the cluster.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from multiprocessing import Pipe
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hpo_bridge.contracts.base import ContractError, TrialContract, check_script
from hpo_bridge.core.clock import Clock
from hpo_bridge.core.events import (
    ExecutorEvent,
    MetricReported,
    RestoreCorrected,
    TrialFinished,
    TrialStarted,
)
from hpo_bridge.core.executor import Executor, ExecutorUnavailable
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.executors import procgroup
from hpo_bridge.executors.raycluster.codezip import code_zip
from hpo_bridge.executors.raycluster.protocol import (
    Batch,
    Close,
    Closed,
    Failed,
    Finished,
    Ready,
    RunnerJob,
    Setup,
    Start,
    Started,
    Stop,
)
from hpo_bridge.executors.raycluster.settings import RaySettings
from hpo_bridge.executors.trialproc import LAUNCH_FILE
from hpo_bridge.executors.wallclock import MonotonicClock
from hpo_bridge.store.layout import STDERR, STDOUT, fresh_trial_dir

if TYPE_CHECKING:
    from hpo_bridge.backends.base import RunOptions
    from hpo_bridge.spec import TuningSpec

NODE_FILE = "node.json"  # in a trial's folder: where on the cluster it ran
STUDY_FILE = "ray.json"  # in the study's folder: its key (the namespace of its actors)
LINK_LOG = "ray-link.log"  # the link process's output (Ray's own messages)
CONNECT_WAIT = 300.0  # seconds for the link to connect (uploading the code included)
CLOSE_WAIT = 15.0  # seconds beyond the kill grace for the link to end the trials
INSTALL_HINT = "pip install 'hpo-bridge[ray]'"


def ray_settings(spec: TuningSpec) -> RaySettings:
    """The spec's `backends.ray`, or the defaults."""
    found = spec.backends.get("ray")
    if isinstance(found, RaySettings):
        return found
    return RaySettings.model_validate(found or {})


class RayExecutor(Executor):
    """Runs each trial on a Ray cluster, one runner actor per trial."""

    idle_poll = 1.0
    #: The `run` options this executor takes (RunOptions fields) and the flags they are.
    run_options = frozenset({"ray_address"})

    @classmethod
    def options_from(cls, spec: TuningSpec, options: RunOptions) -> dict[str, Any]:
        """This executor's options from `run`'s (recorded in the store for `resume`)."""
        return {"address": options.ray_address} if options.ray_address else {}

    def __init__(
        self,
        spec: TuningSpec,
        study_dir: Path,
        *,
        contract: TrialContract | None = None,
        address: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        """Connect to the cluster. Raises ContractError (one line per problem) for a spec
        the cluster cannot run, ExecutorUnavailable when the cluster cannot be reached."""
        self.spec = spec
        self.study_dir = Path(study_dir).resolve()
        self.study_dir.mkdir(parents=True, exist_ok=True)
        self.clock: Clock = clock or MonotonicClock()
        self.settings = ray_settings(spec)
        contract = contract or _contract(spec.trial.contract)
        self._check(spec, contract)
        self.contract_class = type(contract)
        self.address, self.address_source = _address(address, self.settings)
        self.study_key = _study_key(self.study_dir, spec.name)
        self._active: dict[int, Path] = {}  # trial id -> its folder here
        self._requested: set[int] = set()
        self._from_scratch: dict[int, str] = {}  # restored trials: why they start afresh
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._closed = False
        self._connect()
        procgroup.guard(self)

    # -- setting up ------------------------------------------------------------------------
    @staticmethod
    def _check(spec: TuningSpec, contract: TrialContract) -> None:
        problems = []
        if spec.trial.devices:
            problems.append("trial.devices: not used on a Ray cluster, where Ray's scheduler"
                            " assigns GPUs: ask for them with backends.ray.num_gpus")
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            problems.append(f"--executor ray: Ray is not installed here: {INSTALL_HINT}")
        if problems:
            raise ContractError("\n".join(problems))
        check_script(spec)
        with tempfile.TemporaryDirectory(prefix="hpo-bridge-check-") as scratch:
            # The contract checks the spec here, before anything reaches the cluster; each
            # node sets the study up again in its own folder.
            contract.setup(spec, Path(scratch))

    def _runtime_env(self) -> dict[str, Any]:
        env = dict(self.settings.runtime_env)
        env["working_dir"] = str(code_zip(self.spec.code_dir))
        # A dying Ray worker SIGKILLs its direct children: that would be the trial's
        # shepherd, before it could end the trial's group. The runner's trials are the
        # shepherd's to end (executors/shepherd.py).
        env["env_vars"] = {**env.get("env_vars", {}),
                           "RAY_kill_child_processes_on_worker_exit": "false"}
        if self.settings.ship_hpo_bridge:
            import hpo_bridge

            env["py_modules"] = [str(Path(hpo_bridge.__file__).parent),
                                 *env.get("py_modules", [])]
        return env

    def _connect(self) -> None:
        settings = self.settings
        ours, theirs = Pipe(duplex=True)
        with open(self.study_dir / LINK_LOG, "ab") as log:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "hpo_bridge.executors.raycluster.link",
                 str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,  # Ctrl-C is ours to handle
            )
        theirs.close()
        self._conn = ours
        ours.send(Setup(
            address=self.address, namespace=f"hpo-bridge-{self.study_key}",
            runtime_env=self._runtime_env(), actor_options=settings.actor_options(),
            spread=settings.scheduling == "spread", reuse=settings.scheduling != "spread",
            lease=settings.orphan_timeout, unreachable_after=settings.unreachable_after,
        ))
        answer = self._receive(CONNECT_WAIT)
        if isinstance(answer, Ready):
            self._check_feasible(answer)
            return
        self._stop_link()
        if isinstance(answer, Failed):
            raise ExecutorUnavailable(f"{self.address_source}: {answer.message}")
        raise ExecutorUnavailable(f"{self.address_source}: the Ray link did not connect"
                                  f" (see {self.study_dir / LINK_LOG})")

    def _check_feasible(self, ready: Ready) -> None:
        request = self.settings.request()
        if self.settings.autoscaling or any(
                all(n["resources"].get(k, 0.0) >= v for k, v in request.items())
                for n in ready.nodes):
            return
        self._stop_link()
        wanted = ", ".join(f"{k} {v:g}" for k, v in sorted(request.items()))
        raise ContractError(
            f"backends.ray: no node of the cluster can run a trial that asks for {wanted}"
            f" ({len(ready.nodes)} node(s); set backends.ray.autoscaling if nodes are added"
            " on demand)")

    # -- Executor ------------------------------------------------------------------------
    def start(self, trial: Trial) -> None:
        if trial.id in self._active:
            raise ValueError(f"trial {trial.id} is already running")
        folder = fresh_trial_dir(self.study_dir, trial.id)
        if trial.start > 0:  # told with its TrialStarted: the tuner then counts from epoch 1
            self._from_scratch[trial.id] = (
                "the ray executor moves no checkpoint between the cluster's nodes: started"
                " from scratch")
        for name in (STDOUT, STDERR):  # the node's output is appended here as it comes
            (folder / name).touch()
        self._active[trial.id] = folder
        settings = self.settings
        self._send(Start(RunnerJob(
            spec=self.spec, contract=self.contract_class, trial_id=trial.id,
            params=dict(trial.params), resource=trial.resource, stage=trial.stage,
            study_key=self.study_key, node_dir=settings.node_dir, gpus=settings.num_gpus,
            kill_grace=self.spec.trial.kill_grace,
        )))

    def stop(self, trial_id: int, reason: str, status: TrialStatus = TrialStatus.STOPPED) -> None:
        """SIGTERM the trial's process group on its node, SIGKILL after trial.kill_grace.
        A trial that already exited by itself keeps its own outcome."""
        if trial_id not in self._active or trial_id in self._requested:
            return
        self._requested.add(trial_id)
        self._send(Stop(trial_id, status.value, reason, self.spec.trial.kill_grace))

    def poll(self, timeout: float) -> list[ExecutorEvent]:
        deadline = self.clock.now() + max(timeout, 0.0)
        while True:
            events = self._drain()
            if events or not self._active:
                return events
            remaining = deadline - self.clock.now()
            if remaining <= 0:
                return []
            assert self._conn is not None
            self._conn.poll(remaining)

    def running(self) -> int:
        return len(self._active)

    def close(self, grace: float | None = None) -> None:
        """End every trial (SIGTERM, SIGKILL after the grace period) and the link."""
        if self._closed:
            return
        self._closed = True
        if grace is None:
            grace = self.spec.trial.kill_grace
        with contextlib.suppress(OSError, EOFError, ExecutorUnavailable):
            self._send(Close(grace))
            end = time.monotonic() + grace + CLOSE_WAIT
            while time.monotonic() < end:
                message = self._receive(end - time.monotonic())
                if message is None or isinstance(message, Closed):
                    break
        self._stop_link()
        procgroup.release(self)

    def kill_all(self) -> None:
        """End every trial at once (the orchestrator is exiting)."""
        self.close(grace=0.0)

    # -- messages --------------------------------------------------------------------------
    def _send(self, message: object) -> None:
        if self._conn is None:
            raise ExecutorUnavailable(self._gone())
        try:
            self._conn.send(message)
        except OSError:
            raise ExecutorUnavailable(self._gone()) from None

    def _receive(self, timeout: float) -> object | None:
        """The link's next message, None after `timeout` seconds; raises
        ExecutorUnavailable when the link has ended."""
        assert self._conn is not None
        try:
            if not self._conn.poll(max(timeout, 0.0)):
                return None
            return self._conn.recv()
        except (EOFError, OSError):
            raise ExecutorUnavailable(self._gone()) from None

    def _drain(self) -> list[ExecutorEvent]:
        events: list[ExecutorEvent] = []
        while True:
            message = self._receive(0.0)
            if message is None:
                return events
            now = self.clock.now()
            if isinstance(message, Started):
                self._on_started(message)
                scratch = self._from_scratch.pop(message.trial_id, None)
                if scratch is not None:
                    events.append(RestoreCorrected(message.trial_id, now, 0, scratch))
                events.append(TrialStarted(message.trial_id, now))
            elif isinstance(message, Batch):
                events += self._on_batch(message, now)
            elif isinstance(message, Finished):
                self._active.pop(message.trial_id, None)
                self._requested.discard(message.trial_id)
                events.append(TrialFinished(message.trial_id, now, TrialStatus(message.status),
                                            message.exit_code, message.reason))
            elif isinstance(message, Failed):
                raise ExecutorUnavailable(message.message)

    def _on_started(self, message: Started) -> None:
        folder = self._active.get(message.trial_id)
        if folder is None:
            return
        (folder / NODE_FILE).write_text(json.dumps(message.node, indent=1) + "\n",
                                        encoding="utf-8")
        if message.launch is not None:
            (folder / LAUNCH_FILE).write_text(message.launch, encoding="utf-8")

    def _on_batch(self, message: Batch, now: float) -> list[ExecutorEvent]:
        folder = self._active.get(message.trial_id)
        if folder is not None:
            for name, data in ((STDOUT, message.stdout), (STDERR, message.stderr)):
                if data:
                    with open(folder / name, "ab") as fh:
                        fh.write(data)
        return [MetricReported(message.trial_id, now, name, value, raw)
                for name, value, raw in message.readings]

    def _gone(self) -> str:
        where = self.address or "(RAY_ADDRESS or the local Ray)"
        return (f"the Ray cluster at {where} stopped answering (its head node is down or"
                f" out of reach; details in {self.study_dir / LINK_LOG})")

    def _stop_link(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        proc = self._proc
        if proc is None:
            return
        try:
            proc.wait(timeout=5.0)  # it exits when its Connection closes
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        self._proc = None


def _contract(name: str) -> TrialContract:
    from hpo_bridge.plugins import registry

    contract: TrialContract = registry().require("contracts", name).create()
    return contract


def _address(given: str | None, settings: RaySettings) -> tuple[str | None, str]:
    """The cluster's address and where it came from (named in errors)."""
    if given:
        return given, "--ray-address"
    if settings.address:
        return settings.address, "backends.ray.address"
    if os.environ.get("RAY_ADDRESS"):
        return os.environ["RAY_ADDRESS"], "RAY_ADDRESS"
    return None, "--executor ray"


def _study_key(study_dir: Path, name: str) -> str:
    """The study's key on the cluster (its actors' namespace, its folder on the nodes),
    made once and kept in the study's folder, so `resume` finds what the study left."""
    path = study_dir / STUDY_FILE
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
        return str(json.loads(path.read_text(encoding="utf-8"))["study_key"])
    key = f"{name}-{uuid.uuid4().hex[:12]}"
    path.write_text(json.dumps({"study_key": key}) + "\n", encoding="utf-8")
    return key
