"""The link process: hpo-bridge's Ray driver, between the orchestrator and the cluster.

    python -m hpo_bridge.executors.raycluster.link FD

The orchestrator (RayExecutor) never imports Ray: it talks to this process over the
Connection on FD (protocol.py). Keeping the driver apart keeps Ray's threads, signal
handlers and fatal exits out of the orchestrator: when the cluster's head stops
answering for `unreachable_after` seconds, Ray ends its driver process (this one), and
the orchestrator sees the link go and stops the study with one line, resumable later.

The link connects (`ray.init` with the study's namespace and runtime_env: the code
folder as working_dir, hpo_bridge as a py_module, the user's runtime_env), ends the
runner actors an earlier run of the study left on the cluster (resume after a crash),
answers Ready, then loops: commands from the orchestrator (Start, Stop, Close) become
actor calls, and the runners' answers (start, long-polled batches) become messages back.
A runner whose node died gives its trial CANCELLED "node lost: ..."; one that died
otherwise FAILED with Ray's reason. If the orchestrator goes away (its end of the
Connection closes), the link exits and leaves the runners be: their lease ends them, or
the next `resume` does.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import time
import traceback
import uuid
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.executors.raycluster.protocol import (
    ACTOR_PREFIX,
    Batch,
    Close,
    Closed,
    Failed,
    Finished,
    Ready,
    Setup,
    Start,
    Started,
    Stop,
)

TICK = 0.05  # seconds: how often commands are looked at while runners are busy
WAIT = 1.0  # seconds a runner holds a `next` call with nothing to say
RETRY = 0.5  # seconds before asking a runner that was unavailable again
IDLE_KEEP = 2.0  # seconds an idle runner waits for the study's next trial before it goes
LEFTOVER_GRACE = 10.0  # seconds given to the runners of an earlier run to end their trials
CONNECT_TIMEOUT = 10.0  # seconds for the head's port to accept a connection


@dataclass
class _Runner:
    name: str
    actor: Any
    placed: bool = False  # it has answered once: created, on its node
    idle_since: float | None = None


@dataclass
class _Trial:
    trial_id: int
    runner: _Runner
    ref: Any = None  # the outstanding call (start or next)
    started: bool = False
    have: int = 0
    node: dict[str, Any] | None = None
    retry_at: float | None = None


class Link:
    def __init__(self, conn: Connection, setup: Setup) -> None:
        self.conn = conn
        self.setup = setup
        self.trials: dict[int, _Trial] = {}
        self.idle: list[_Runner] = []
        self.session = uuid.uuid4().hex[:8]
        self.count = 0
        self.runner_class: Any = None

    # -- connecting ------------------------------------------------------------------------
    def connect(self) -> Ready:
        setup = self.setup
        _check_reachable(setup.address)
        # Ray ends a driver whose head stopped answering after this long (its own fatal
        # exit); the orchestrator reads the link's end as "the cluster is unreachable".
        os.environ["RAY_gcs_rpc_server_reconnect_timeout_s"] = str(  # noqa: SIM112 - Ray's name
            max(1, int(setup.unreachable_after)))
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        import logging

        import ray

        from hpo_bridge.executors.raycluster.runner import TrialRunner

        ray.init(address=setup.address, namespace=setup.namespace,
                 runtime_env=setup.runtime_env, logging_level=logging.WARNING,
                 log_to_driver=False)
        self.runner_class = ray.remote(TrialRunner)
        nodes = [{"id": n["NodeID"], "ip": n["NodeManagerAddress"],
                  "resources": n.get("Resources", {})} for n in ray.nodes() if n["Alive"]]
        leftovers = self._end_leftovers()
        if leftovers:
            _log(f"ended {len(leftovers)} runner(s) an earlier run left: {leftovers}")
        return Ready(nodes, leftovers)

    def _end_leftovers(self) -> list[str]:
        """End the runners an earlier orchestrator of this study left (it was killed)."""
        import ray

        names = [n for n in ray.util.list_named_actors() if n.startswith(ACTOR_PREFIX)]
        handles = []
        for name in names:
            with contextlib.suppress(Exception):
                handles.append(ray.get_actor(name))
        refs: list[Any] = [h.end.remote(0.0) for h in handles]
        if refs:
            with contextlib.suppress(Exception):
                ray.wait(refs, num_returns=len(refs), timeout=LEFTOVER_GRACE)
        for handle in handles:
            with contextlib.suppress(Exception):
                ray.kill(handle, no_restart=True)
        return names

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> None:
        import ray

        while True:
            if not self._commands():
                return
            now = time.monotonic()
            for trial in list(self.trials.values()):
                if trial.ref is None and trial.retry_at is not None and now >= trial.retry_at:
                    trial.retry_at = None
                    trial.ref = trial.runner.actor.next.remote(trial.have, WAIT)
            for runner in [r for r in self.idle if now - (r.idle_since or now) > IDLE_KEEP]:
                self.idle.remove(runner)  # the study has no trial for it: free its resources
                _kill(runner)
            waiting = {t.ref: t for t in self.trials.values() if t.ref is not None}
            if not waiting:
                self.conn.poll(TICK)
                continue
            ready, _ = ray.wait(list(waiting), num_returns=1, timeout=TICK)
            if ready:
                ready, _ = ray.wait(list(waiting), num_returns=len(waiting), timeout=0)
            for ref in ready:
                trial = waiting[ref]
                trial.ref = None
                if trial.started:
                    self._on_batch(trial, ref)
                else:
                    self._on_start(trial, ref)

    def _commands(self) -> bool:
        """Handle what the orchestrator sent; False once the link is to exit."""
        while self.conn.poll(0):
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                return False  # the orchestrator is gone: the runners' lease takes over
            if isinstance(message, Start):
                self._start(message)
            elif isinstance(message, Stop):
                self._stop(message)
            elif isinstance(message, Close):
                self._close(message.grace)
                self.conn.send(Closed())
                return False
        return True

    # -- commands ----------------------------------------------------------------------------
    def _runner(self) -> _Runner:
        """An idle runner of the study, or a new one Ray places with a trial's resources."""
        if self.idle:
            runner = self.idle.pop()
            runner.idle_since = None
            return runner
        self.count += 1
        name = f"{ACTOR_PREFIX}{self.session}-{self.count}"
        options: dict[str, Any] = dict(self.setup.actor_options)
        options.update(name=name, lifetime="detached", max_restarts=0, max_task_retries=0)
        if self.setup.spread:
            options["scheduling_strategy"] = "SPREAD"
        return _Runner(name, self.runner_class.options(**options).remote(self.setup.lease))

    def _start(self, message: Start) -> None:
        job = message.job
        runner = self._runner()
        trial = _Trial(job.trial_id, runner)
        trial.ref = runner.actor.start.remote(job)
        self.trials[job.trial_id] = trial

    def _stop(self, message: Stop) -> None:
        trial = self.trials.get(message.trial_id)
        if trial is None:
            return
        if trial.started or trial.runner.placed:  # its runner will see the stop after start
            trial.runner.actor.stop.remote(message.status, message.reason, message.grace)
            return
        # A new runner Ray has not placed yet (waiting for resources): nothing runs.
        self._finished(trial, message.status, None, message.reason, keep=False)

    def _close(self, grace: float) -> None:
        import ray

        busy = [t.runner for t in self.trials.values() if t.started or t.runner.placed]
        ends = [r.actor.end.remote(grace) for r in busy]
        if ends:
            with contextlib.suppress(Exception):
                ray.wait(ends, num_returns=len(ends), timeout=grace + LEFTOVER_GRACE)
        for runner in [t.runner for t in self.trials.values()] + self.idle:
            _kill(runner)
        self.trials.clear()
        self.idle.clear()

    # -- answers -----------------------------------------------------------------------------
    def _on_start(self, trial: _Trial, ref: Any) -> None:
        import ray

        try:
            node = ray.get(ref)
        except Exception as exc:  # the actor could not be created (runtime_env, imports)
            self._finished(trial, TrialStatus.FAILED.value, None,
                           f"cannot start on the cluster: {_first_line(exc)}", keep=False)
            return
        trial.runner.placed = True
        trial.node = node
        launch = node.pop("launch", None)
        self.conn.send(Started(trial.trial_id, node, launch))
        if "error" in node:
            self._finished(trial, TrialStatus.FAILED.value, None,
                           f"cannot start on node {_where(node)}: {node['error']}")
            return
        trial.started = True
        trial.ref = trial.runner.actor.next.remote(trial.have, WAIT)

    def _on_batch(self, trial: _Trial, ref: Any) -> None:
        import ray
        from ray.exceptions import ActorUnavailableError

        try:
            batch = ray.get(ref)
        except ActorUnavailableError:  # for now: its node or the network may come back
            trial.retry_at = time.monotonic() + RETRY
            return
        except Exception as exc:
            self._runner_died(trial, exc)
            return
        trial.have = batch["seq"]
        if batch["readings"] or batch["stdout"] or batch["stderr"]:
            self.conn.send(Batch(trial.trial_id, batch["readings"], batch["stdout"],
                                 batch["stderr"]))
        end = batch["finished"]
        if end is not None:
            self._finished(trial, end["status"], end["exit_code"], end["reason"])
            return
        trial.ref = trial.runner.actor.next.remote(trial.have, WAIT)

    def _runner_died(self, trial: _Trial, exc: Exception) -> None:
        node = trial.node or {}
        if not _node_alive(node.get("node_id")):
            reason = f"node lost: node {_where(node)} left the cluster while the trial ran"
            self._finished(trial, TrialStatus.CANCELLED.value, None, reason, keep=False)
            return
        self._finished(trial, TrialStatus.FAILED.value, None,
                       f"its runner on node {_where(node)} died: {_first_line(exc)}",
                       keep=False)

    def _finished(self, trial: _Trial, status: str, code: int | None, reason: str | None,
                  keep: bool = True) -> None:
        """Report the trial's end; its runner waits for the next trial (`keep`, when
        runners are reused) or goes."""
        self.trials.pop(trial.trial_id, None)
        if keep and self.setup.reuse:
            trial.runner.idle_since = time.monotonic()
            self.idle.append(trial.runner)
        else:
            _kill(trial.runner)
        self.conn.send(Finished(trial.trial_id, status, code, reason))


def _kill(runner: _Runner) -> None:
    import ray

    with contextlib.suppress(Exception):
        ray.kill(runner.actor, no_restart=True)


def _log(line: str) -> None:
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}", flush=True)


def _node_alive(node_id: str | None) -> bool:
    import ray

    if node_id is None:
        return True
    try:
        return any(n["NodeID"] == node_id and n["Alive"] for n in ray.nodes())
    except Exception:  # the GCS itself is gone: not this node's doing alone
        return True


def _where(node: dict[str, Any]) -> str:
    node_id = str(node.get("node_id") or "?")[:8]
    return f"{node_id} ({node.get('ip', '?')})"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[0][:300] if lines else type(exc).__name__


def _check_reachable(address: str | None) -> None:
    """Fail fast when nothing listens at a host:port address (ray.init would retry for
    minutes); ray://, auto and unset addresses are left to Ray."""
    if not address or "://" in address or address == "auto":
        return
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"{address!r} is not HOST:PORT, ray://HOST:PORT or auto")
    try:
        with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        raise ConnectionError(f"no Ray cluster answers at {address}"
                              f" ({exc.strerror or exc})") from None


def main(argv: list[str]) -> int:
    conn = Connection(int(argv[0]))
    try:
        setup = conn.recv()
    except EOFError:
        return 1
    link = Link(conn, setup)
    try:
        ready = link.connect()
    except Exception as exc:  # could not connect: the orchestrator says why, one line
        with contextlib.suppress(OSError):
            conn.send(Failed(_first_line(exc)))
        return 1
    conn.send(ready)
    try:
        link.run()
    except (EOFError, BrokenPipeError):
        return 0
    except Exception as exc:
        traceback.print_exc()
        with contextlib.suppress(OSError):
            conn.send(Failed(f"the Ray link failed: {type(exc).__name__}: {_first_line(exc)}"))
        return 1
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    # Skip Ray's own driver shutdown (a second or more): the runners are detached and
    # were ended or left on purpose; the cluster notices a gone driver by itself.
    os._exit(code)
