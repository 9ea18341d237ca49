"""The Ray cluster shared by the whole test run (see ray_helpers.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from cluster_helpers import OBJECT_STORE, RayCluster, start_cluster


@pytest.fixture(scope="session")
def ray_cluster() -> Iterator[RayCluster]:
    cluster = start_cluster()
    try:
        worker = cluster.add_node(num_cpus=1, num_gpus=2, resources={"big_disk": 1},
                                  object_store_memory=OBJECT_STORE)
        cluster.wait_for_nodes()
        yield RayCluster(cluster, cluster.head_node.node_id, worker.node_id)
    finally:
        cluster.shutdown()
