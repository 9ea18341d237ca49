"""The node side: a Ray actor runs trials, one at a time, as their contracts say.

`TrialRunner` is an async actor (its calls interleave: `stop` runs while `next` waits).
Ray places it with a trial's resources; it may then run the study's next trials too
(the link reuses an idle runner, as Ray Tune reuses actors). `start(job)` lays the
trial's folder out on the node (`<node_dir>/<study_key>/trials/<id>/`), sets the
contract up there on a copy of the spec whose code folder is the shipped working_dir
(nodespec.py), and starts the launch with the very code of the process executor
(executors/trialproc.py) under a shepherd (executors/shepherd.py), so the trial, in its
own process group, dies with its runner. `next(have, wait)` long-polls: it returns as
soon as there are metric readings, log bytes or the trial's end, or after `wait`
seconds; a batch stays pending until the caller says it has it (`have`), so a call lost
on the way is answered again, not lost. The GPUs are Ray's: CUDA_VISIBLE_DEVICES as Ray
set it for this actor (hidden when the trial asked for none).

A runner nobody has called for `lease` seconds (its orchestrator was killed or lost the
cluster) ends its trial and exits; `end()` ends the trial at once (resume, close).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import socket
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hpo_bridge.contracts.base import TrialContext
from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.executors import procgroup, shepherd
from hpo_bridge.executors.raycluster.nodespec import node_spec
from hpo_bridge.executors.raycluster.protocol import RunnerJob
from hpo_bridge.executors.trialproc import LAUNCH_FILE, TrialProcess
from hpo_bridge.metrics.base import Reading
from hpo_bridge.metrics.thinning import ReportFilter
from hpo_bridge.store.layout import STDERR, STDOUT, TRIALS_DIR, fresh_trial_dir

POLL = 0.05  # seconds between scans of the trial's channels while nothing happens
LOG_CHUNK = 1 << 20  # bytes of each log per batch: a chatty trial streams, never floods
NODE_DIR = "hpo-bridge-trials"  # under the node's temp folder unless backends.ray.node_dir


class LogTail:
    """The bytes appended to a log since the last read, at most `limit` at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read(self, limit: int = LOG_CHUNK) -> bytes:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                data = fh.read(limit)
        except FileNotFoundError:
            return b""
        self.offset += len(data)
        return data


class TrialRunner:
    """Runs trials on one node, one at a time (a detached, named Ray actor)."""

    def __init__(self, lease: float) -> None:
        self.lease = lease
        self.contact = time.monotonic()
        self._reset()
        self._watchdog: asyncio.Task[None] | None = None

    def _reset(self) -> None:
        self.process: TrialProcess | None = None
        self.trial_dir: Path | None = None
        self.tails: list[LogTail] = []
        self.seq = 0
        self.pending: dict[str, Any] | None = None
        self.finished: dict[str, Any] | None = None
        self.code: int | None = None  # once reaped: its output is being read to the end
        self.reports: ReportFilter | None = None
        self.grace = 0.0  # the spec's trial.kill_grace, once started
        self.cleaned = False  # its processes are all gone

    # -- calls ---------------------------------------------------------------------------
    async def start(self, job: RunnerJob) -> dict[str, Any]:
        """Start the trial `job`; what and where it runs ({"error": ...} if it could not
        start)."""
        import ray

        self.contact = time.monotonic()
        if self._watchdog is None:
            self._watchdog = asyncio.get_running_loop().create_task(self._lease())
        self._end()  # a trial of this runner that was left running (it should not be)
        self._reset()
        context = ray.get_runtime_context()
        gpus = os.environ.get("CUDA_VISIBLE_DEVICES") if job.gpus > 0 else None
        node: dict[str, Any] = {
            "node_id": context.get_node_id(),
            "ip": ray.util.get_node_ip_address(),
            "hostname": socket.gethostname(),
            "runner_pid": os.getpid(),
            "cuda_visible_devices": gpus,
        }
        try:
            study = self._study_dir(job)
            self.trial_dir = fresh_trial_dir(study, job.trial_id)
            node["trial_dir"] = str(self.trial_dir)
            spec = node_spec(job.spec, Path.cwd())  # Ray starts the actor in its working_dir
            contract = job.contract()
            with _locked(study / ".setup.lock"):  # trials of one node share the study's setup
                contract.setup(spec, study)
            ctx = TrialContext(spec, job.trial_id, dict(job.params), self.trial_dir, study,
                               job.resource, gpus, job.stage)
            base = dict(os.environ)
            if gpus is None:
                base["CUDA_VISIBLE_DEVICES"] = ""  # no GPU of this node is the trial's
            self.process = TrialProcess.start(contract, ctx, base_env=base,
                                              wrapper=shepherd.command(os.getpid(), []))
            self.reports = ReportFilter([o.metric for o in spec.all_objectives],
                                        spec.primary.metric)
            self.grace = spec.trial.kill_grace
        except Exception as exc:  # the trial fails alone; the runner reports why
            node["error"] = f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc)
            return node
        node["pid"] = self.process.pid
        self.tails = [LogTail(self.trial_dir / STDOUT), LogTail(self.trial_dir / STDERR)]
        with contextlib.suppress(OSError):  # what ran, for the orchestrator's copy
            node["launch"] = (self.trial_dir / LAUNCH_FILE).read_text(encoding="utf-8")
        return node

    async def next(self, have: int, wait: float) -> dict[str, Any]:
        """The next batch after `have`: {"seq", "readings", "stdout", "stderr", "finished"}."""
        self.contact = time.monotonic()
        if self.pending is not None and self.pending["seq"] > have:
            return self.pending  # the caller lost it on the way: the same batch again
        deadline = time.monotonic() + wait
        while True:
            batch = self._collect()
            if batch["readings"] or batch["stdout"] or batch["stderr"] or batch["finished"] \
                    or time.monotonic() >= deadline:
                self.seq += 1
                batch["seq"] = self.seq
                self.pending = batch
                return batch
            await asyncio.sleep(POLL)

    async def stop(self, status: str, reason: str, grace: float) -> None:
        """SIGTERM the trial's process group; SIGKILL after `grace` seconds."""
        self.contact = time.monotonic()
        if self.process is not None:
            self.process.request_stop(TrialStatus(status), reason, grace, time.monotonic())

    async def end(self, grace: float = 0.0) -> int:
        """End the trial: SIGTERM and up to `grace` seconds to exit, then SIGKILL its group
        and every process that carries its folder; how many of those strays there were.
        Its caller then kills the actor."""
        self.contact = time.monotonic()
        process = self.process
        if grace > 0 and process is not None and not process.exited():
            process.request_stop(TrialStatus.CANCELLED, "the study ended", grace,
                                 time.monotonic())
            deadline = time.monotonic() + grace
            while not process.exited() and time.monotonic() < deadline:
                await asyncio.sleep(POLL)
        return self._end()

    # -- internals -----------------------------------------------------------------------
    @staticmethod
    def _study_dir(job: RunnerJob) -> Path:
        root = Path(job.node_dir) if job.node_dir else Path(tempfile.gettempdir()) / NODE_DIR
        study = root / job.study_key
        (study / TRIALS_DIR).mkdir(parents=True, exist_ok=True)
        return study

    def _collect(self) -> dict[str, Any]:
        batch: dict[str, Any] = {"readings": [], "stdout": b"", "stderr": b"", "finished": None}
        process = self.process
        if process is None:  # it could not start: nothing to read
            batch["finished"] = self.finished or {"status": TrialStatus.FAILED.value,
                                                  "exit_code": None, "reason": "not started"}
            return batch
        if self.finished is None:
            batch["readings"] = [(r.name, r.value, r.raw) for r in self._readings(process)]
        batch["stdout"] = self.tails[0].read()
        batch["stderr"] = self.tails[1].read()
        drained = not batch["stdout"] and not batch["stderr"]
        if self.finished is not None and drained:
            batch["finished"] = self.finished  # the logs are complete once it ends
        return batch

    def _readings(self, process: TrialProcess) -> list[Reading]:
        """One bounded read of the trial's channels, through its report filter (as the
        process executor does: a flooding trial never grows the node or the batches); once
        it exited and all it wrote is read, how it ended."""
        assert self.reports is not None
        now = time.monotonic()
        if self.code is None:
            process.tick(now)
            exited = process.exited()  # before reading: what it wrote before exiting counts
            readings = process.read()
            if exited:
                self.code = process.reap()
                self._end()  # what left the trial's group
                readings += process.read(final=True)
        else:
            readings = process.read(final=True)
        readings = self.reports.feed(readings)
        if self.reports.ended is not None and self.code is None:
            process.request_stop(TrialStatus.COMPLETED, self.reports.ended, self.grace, now)
        if self.code is not None and not process.has_more():
            readings += self.reports.flush()
            status, reason = process.conclude(self.code, self.reports.ended)
            self.finished = {"status": status.value, "exit_code": self.code, "reason": reason}
        return readings

    def _end(self) -> int:
        """Kill the trial's group and every process that carries its folder; how many
        strays there were."""
        if self.process is None or self.cleaned:
            return 0
        if not self.process.ended:
            self.process.kill()
        self.cleaned = True
        return len(procgroup.kill_trial_strays(self.process.trial_dir))

    async def _lease(self) -> None:
        timeout = self.lease
        while True:
            await asyncio.sleep(min(1.0, timeout / 4))
            if time.monotonic() - self.contact > timeout:
                self._end()
                sys.stdout.flush()
                os._exit(0)  # no orchestrator will ask for this trial again


@contextlib.contextmanager
def _locked(path: Path):  # type: ignore[no-untyped-def]
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
