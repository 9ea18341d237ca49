"""A Ray cluster on this machine, for trying the ray executor: a head and worker nodes.

    python examples/ray/local_cluster.py start [--workers 1] [--cpus 1]   # in the background
    python examples/ray/local_cluster.py address                          # prints HOST:PORT
    python examples/ray/local_cluster.py stop

Each node is a real Ray node (its own raylet, object store and worker processes), as
`ray start --head` and `ray start --address HOST:PORT` make on separate machines; here
they share this one (Ray's `ray.cluster_utils.Cluster`). `start` returns once the
cluster is up; the cluster runs in a background process until `stop` (its address and
pid are kept in --state, by default in the temp folder). On real machines use
`ray start` itself (see README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

STATE = Path(tempfile.gettempdir()) / "hpo-bridge-example-ray-cluster.json"
START_TIMEOUT = 180.0  # seconds for the nodes to come up on a busy machine


def _serve(state: Path, workers: int, cpus: float, log: Path) -> None:
    """The background process: start the nodes, say where, wait for SIGTERM."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    with open(log, "ab") as out:
        os.dup2(out.fileno(), 1)
        os.dup2(out.fileno(), 2)
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": cpus, "include_dashboard": False, "object_store_memory": 100 * 2**20})
    for _ in range(workers):
        cluster.add_node(num_cpus=cpus, object_store_memory=100 * 2**20)
    cluster.wait_for_nodes()
    part = state.with_suffix(".part")
    part.write_text(json.dumps({"address": cluster.address, "pid": os.getpid(),
                                "nodes": 1 + workers}))
    part.replace(state)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    cluster.shutdown()
    state.unlink(missing_ok=True)


def start(state: Path, workers: int, cpus: float) -> int:
    if state.exists():
        print(f"a cluster is already running ({state}); stop it first", file=sys.stderr)
        return 1
    log = state.with_suffix(".log")
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    pid = os.fork()
    if pid == 0:  # the background process: its own session, away from this terminal
        os.setsid()
        try:
            _serve(state, workers, cpus, log)
        finally:
            os._exit(0)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    end = time.monotonic() + START_TIMEOUT
    while time.monotonic() < end:
        if state.exists():
            info = json.loads(state.read_text())
            print(f"Ray cluster of {info['nodes']} nodes at {info['address']} (log: {log})")
            return 0
        if os.waitpid(pid, os.WNOHANG) != (0, 0):
            print(f"the cluster did not start; see {log}", file=sys.stderr)
            return 1
        time.sleep(0.2)
    os.kill(pid, signal.SIGTERM)
    print(f"the cluster did not start within {START_TIMEOUT:.0f} s; see {log}",
          file=sys.stderr)
    return 1


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stop(state: Path) -> int:
    if not state.exists():
        print("no cluster is running", file=sys.stderr)
        return 1
    pid = json.loads(state.read_text())["pid"]
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + 60
    while time.monotonic() < end:
        # The background process removes the state file once its nodes are down; a
        # process gone (or a zombie nobody reaps, as under a subreaper) is also stopped.
        if not state.exists() or not _alive(pid):
            state.unlink(missing_ok=True)
            print("Ray cluster stopped")
            return 0
        time.sleep(0.2)
    print(f"the cluster (pid {pid}) did not stop", file=sys.stderr)
    return 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["start", "address", "stop"])
    parser.add_argument("--workers", type=int, default=1, help="worker nodes beside the head")
    parser.add_argument("--cpus", type=float, default=1, help="CPUs each node offers to Ray")
    parser.add_argument("--state", type=Path, default=STATE, help="where the address is kept")
    args = parser.parse_args()
    if args.command == "start":
        return start(args.state, args.workers, args.cpus)
    if args.command == "stop":
        return stop(args.state)
    if not args.state.exists():
        print("no cluster is running", file=sys.stderr)
        return 1
    print(json.loads(args.state.read_text())["address"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
