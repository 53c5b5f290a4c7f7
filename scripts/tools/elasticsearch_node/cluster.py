"""Several Elasticsearch nodes on this machine forming one cluster, for failover tests.

Each node has an HTTP port, a transport port and a data directory of its own under the
cluster's workdir. Every node is master-eligible and holds data, so with three nodes any one
may die or restart while the other two still elect a master and, with one replica, hold a
copy of every shard.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from types import TracebackType

from ..ports import free_port
from .errors import ElasticsearchServiceError
from .probes import cluster_health
from .server import READY_TIMEOUT_SECONDS, Discovery, ElasticsearchServer

DEFAULT_NODES = 3
# Three JVMs share 2 cores with everything else here; askfind's indices are small.
CLUSTER_HEAP = "384m"
# How long a node that came back may take to get its shard copies in sync again.
RECOVERY_TIMEOUT_SECONDS = 180.0


class ElasticsearchCluster:
    """`nodes` Elasticsearch nodes on 127.0.0.1 forming one cluster.

    Without a workdir a temporary one is made and removed by `stop()`. Node `i` (from 0)
    listens on `http_ports[i]` and `transport_ports[i]` (free ports unless given).
    """

    def __init__(
        self,
        nodes: int = DEFAULT_NODES,
        workdir: Path | str | None = None,
        *,
        http_ports: list[int] | None = None,
        transport_ports: list[int] | None = None,
        heap: str = CLUSTER_HEAP,
        version: str | None = None,
        java_home: Path | str | None = None,
        ready_timeout: float = READY_TIMEOUT_SECONDS,
        stop_with_parent: bool = True,
    ) -> None:
        if nodes < 1:
            raise ElasticsearchServiceError("a cluster needs at least one node")
        http_ports = http_ports or [free_port() for _ in range(nodes)]
        transport_ports = transport_ports or [free_port() for _ in range(nodes)]
        if len(http_ports) != nodes or len(transport_ports) != nodes:
            raise ElasticsearchServiceError(f"{nodes} nodes need {nodes} ports of each kind")
        self._owns_workdir = workdir is None
        self.workdir = (
            Path(workdir).resolve()
            if workdir
            else Path(tempfile.mkdtemp(prefix=f"askfind-es-cluster-{http_ports[0]}-"))
        )
        self.ready_timeout = ready_timeout
        # Named after its first port: two clusters on one machine never join each other.
        discovery = Discovery(f"askfind-cluster-{http_ports[0]}", tuple(transport_ports))
        self.nodes = [
            ElasticsearchServer(
                http_port,
                self.workdir / f"node-{number}",
                version=version,
                heap=heap,
                java_home=java_home,
                ready_timeout=ready_timeout,
                stop_with_parent=stop_with_parent,
                discovery=discovery,
                transport_port=transport_port,
            )
            for number, (http_port, transport_port) in enumerate(
                zip(http_ports, transport_ports, strict=True), start=1
            )
        ]

    @property
    def urls(self) -> list[str]:
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """Every node's address, comma-separated: the form `elasticsearch_url` takes."""
        return ",".join(self.urls)

    def __enter__(self) -> ElasticsearchCluster:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> str:
        """Start every node, wait until all have joined one green cluster; return `url`."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        # A node running as another user (see run_user) must pass through to its own dir.
        os.chmod(self.workdir, 0o711)
        try:
            # All at once: none can be ready before enough nodes are up to elect a master.
            for node in self.nodes:
                node.start(wait=False)
            for node in self.nodes:
                node.wait_until_ready()
            self.wait_for_health("green", len(self.nodes), self.ready_timeout)
        except BaseException:
            self.stop()
            raise
        return self.url

    def stop(self) -> None:
        """Stop every node (SIGTERM, then SIGKILL) and remove a temporary workdir."""
        for node in self.nodes:
            with contextlib.suppress(ElasticsearchServiceError):
                node.stop()
        if self._owns_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def kill_node(self, index: int) -> None:
        """SIGKILL node `index` (a crash); the others notice and promote its replicas."""
        self.nodes[index].kill()

    def stop_node(self, index: int) -> None:
        """Stop node `index` as an operator would (SIGTERM: it leaves the cluster cleanly)."""
        self.nodes[index].stop()

    def start_node(self, index: int, timeout: float = RECOVERY_TIMEOUT_SECONDS) -> None:
        """Start node `index` again on its data; return once the cluster is whole and green
        (its shard copies recovered), so that the next node may go."""
        self.nodes[index].start()
        self.wait_for_health("green", len(self.nodes), timeout)

    def running(self) -> list[ElasticsearchServer]:
        return [node for node in self.nodes if node.pid is not None]

    def wait_for_health(self, status: str, nodes: int, timeout: float) -> dict[str, object]:
        """Wait until a running node reports `status` (or better) with `nodes` nodes."""
        deadline = time.monotonic() + timeout
        health: dict[str, object] | None = None
        while time.monotonic() < deadline:
            for node in self.running():
                health = cluster_health(node.url, timeout=5.0, status=status, nodes=nodes)
                if health and health.get("timed_out") is False:
                    return health
            time.sleep(0.5)
        raise ElasticsearchServiceError(
            f"the cluster was not {status} with {nodes} nodes after {timeout:.0f} s: {health}"
        )
