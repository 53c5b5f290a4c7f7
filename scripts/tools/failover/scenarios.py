"""The outages scripts/cluster-failover puts a cluster through, each while people type.

Each scenario is a function of the cluster (and what it needs to rebuild the index) that
runs beside the replay and returns its timeline: what happened when, in seconds from the
start of the replay. A node killed or stopped is started again before the scenario ends,
and the cluster is green again before the next one begins.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..elasticsearch_node import ElasticsearchCluster

# Seconds of replay before the first outage: a baseline of normal answers.
LEAD_IN_S = 8.0
# How long a killed node stays away before it is started again.
DOWN_FOR_S = 15.0


@dataclass
class Timeline:
    """Events of a scenario, in seconds since the replay began."""

    began: float
    events: list[tuple[float, str]] = field(default_factory=list)

    def mark(self, what: str) -> None:
        self.events.append((round(time.perf_counter() - self.began, 1), what))
        print(f"# {self.events[-1][0]:6.1f} s  {what}", file=sys.stderr, flush=True)

    def wait_until(self, seconds: float) -> None:
        time.sleep(max(0.0, self.began + seconds - time.perf_counter()))


Scenario = Callable[[Timeline], None]


def primary_holder(cluster: ElasticsearchCluster, alias: str) -> int:
    """The index of a node that holds a primary shard of ``alias``'s index (node 0 if the
    cluster cannot tell): killing it makes Elasticsearch promote a replica."""
    for node in cluster.running():
        try:
            with urllib.request.urlopen(
                f"{node.url}/_cat/shards/{alias}?format=json&h=prirep,node,state", timeout=10
            ) as response:
                rows = json.load(response)
        except OSError:
            continue
        names = [n.name for n in cluster.nodes]
        for row in rows:
            if row["prirep"] == "p" and row["state"] == "STARTED" and row["node"] in names:
                return names.index(row["node"])
    return 0


def node_killed(cluster: ElasticsearchCluster, alias: str) -> Scenario:
    """kill -9 a node holding a primary; start it again ``DOWN_FOR_S`` later."""

    def run(timeline: Timeline) -> None:
        timeline.wait_until(LEAD_IN_S)
        victim = primary_holder(cluster, alias)
        cluster.kill_node(victim)
        timeline.mark(f"node {victim + 1} killed (SIGKILL; it held a primary)")
        cluster.wait_for_health("yellow", len(cluster.nodes) - 1, timeout=120)
        timeline.mark(f"cluster yellow with {len(cluster.nodes) - 1} nodes")
        timeline.wait_until(LEAD_IN_S + DOWN_FOR_S)
        timeline.mark(f"node {victim + 1} starting")
        cluster.start_node(victim)
        timeline.mark("cluster green with every node")

    return run


def rolling_restart(cluster: ElasticsearchCluster) -> Scenario:
    """Stop (SIGTERM) and start each node in turn, waiting for green between nodes."""

    def run(timeline: Timeline) -> None:
        timeline.wait_until(LEAD_IN_S)
        for index in range(len(cluster.nodes)):
            cluster.stop_node(index)
            timeline.mark(f"node {index + 1} stopped")
            cluster.start_node(index)
            timeline.mark(f"node {index + 1} back, cluster green")

    return run


def rebuild_during_outage(
    cluster: ElasticsearchCluster, alias: str, reindex: list[str], env: dict[str, str], log: Path
) -> Scenario:
    """Kill a node, run a full rebuild with alias swap (``reindex``) meanwhile, then start
    the node again."""

    def run(timeline: Timeline) -> None:
        timeline.wait_until(LEAD_IN_S)
        victim = primary_holder(cluster, alias)
        cluster.kill_node(victim)
        timeline.mark(f"node {victim + 1} killed (SIGKILL; it held a primary)")
        with log.open("a") as out:
            result = subprocess.run(reindex, env=env, stdout=out, stderr=out, check=False)
        timeline.mark(f"rebuild with alias swap ended with exit status {result.returncode}")
        if result.returncode != 0:
            raise SystemExit(f"the rebuild failed: see {log}")
        cluster.start_node(victim)
        timeline.mark(f"node {victim + 1} back, cluster green")

    return run
