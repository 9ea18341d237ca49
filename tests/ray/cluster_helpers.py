"""One real multi-node Ray cluster on this machine (the conftest shares it by the whole run).

`ray.cluster_utils.Cluster` starts a head node and a worker node (their own raylets,
object stores and worker processes, as `ray start` does): the head with 1 CPU, the
worker with 1 CPU, 2 GPUs and a custom resource `big_disk` (Ray's scheduler hands out
GPU ids from the count a node declares; no real GPU is needed to see
CUDA_VISIBLE_DEVICES set). Started on first
use, stopped at the end of the run. Its footprint is kept small: no dashboard, no
usage stats, small object stores, no prestarted workers, node failures noticed within
a few seconds.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

OBJECT_STORE = 80 * 1024 * 1024  # bytes: Ray's minimum is 75 MiB
ENVIRONMENT = {
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_prestart_worker_first_driver": "0",  # no idle workers when a driver connects
    "RAY_enable_metrics_collection": "0",
}
SYSTEM_CONFIG = {  # the GCS declares a stopped node dead after about 5 seconds
    "health_check_period_ms": 1000,
    "health_check_failure_threshold": 5,
}


@dataclass
class RayCluster:
    cluster: Any
    head_id: str
    worker_id: str
    extra: list[Any] = field(default_factory=list)

    @property
    def address(self) -> str:
        return str(self.cluster.address)

    def add_node(self, **args: Any) -> Any:
        node = self.cluster.add_node(object_store_memory=OBJECT_STORE, **args)
        self.cluster.wait_for_nodes()
        self.extra.append(node)
        return node

    def remove_node(self, node: Any) -> None:
        self.cluster.remove_node(node, allow_graceful=False)
        self.extra.remove(node)


def start_cluster(**head: Any) -> Any:
    from ray.cluster_utils import Cluster

    for name, value in ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    return Cluster(initialize_head=True, head_node_args={
        "num_cpus": 1, "include_dashboard": False, "object_store_memory": OBJECT_STORE,
        "_system_config": SYSTEM_CONFIG, **head})
