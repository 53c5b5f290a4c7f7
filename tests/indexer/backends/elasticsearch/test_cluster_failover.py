"""On a 3-node cluster, searches never fail while a node holding a primary is killed: the
client goes to the other nodes, and Elasticsearch promotes the replica.

Runs in CI (marked ``cluster`` so it can be left out locally with ``-m "not cluster"``);
scripts/cluster-failover measures the same under keystroke replay, with a rolling restart
and a rebuild during an outage (docs/load.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from elasticsearch import Elasticsearch

from indexer.backends.base import IndexedThread
from indexer.backends.elasticsearch import ElasticsearchBackend
from indexer.engine import Engine
from indexer.settings import Settings
from tests.conftest import engine_on, make_settings
from tests.indexer.backends.continuous_searches import ContinuousSearches
from tests.indexer.backends.elasticsearch.conftest import build
from tests.indexer.backends.test_embedded_switch_searches import EXPECTED
from tests.services import delete_indices, unique_prefix

pytestmark = pytest.mark.cluster

# Searches (all readers together) that must succeed after the kill: the ones that found
# the dead node's connections closed, and enough after them to cross the failover.
SEARCHES_AFTER_KILL = 40


@pytest.fixture
def cluster_settings(elasticsearch_cluster: Any, tmp_path: Path) -> Iterator[Settings]:
    prefix = unique_prefix()
    yield make_settings(
        tmp_path / "data",
        backend="elasticsearch",
        elasticsearch_url=elasticsearch_cluster.url,
        elasticsearch_index_prefix=prefix,
        elasticsearch_request_timeout=2.0,
        # Two primaries, each with a replica (0-1: one, as soon as there are two nodes).
        elasticsearch_shards=2,
    )
    delete_indices(elasticsearch_cluster.running()[0].url, prefix)  # one node may be dead


def copies(client: Elasticsearch, index: str) -> list[tuple[int, bool, str]]:
    """(shard, is primary, node name) of every started copy of ``index``'s shards."""
    rows = client.cat.shards(index=index, format="json", h="shard,prirep,state,node")
    return sorted(
        (int(row["shard"]), row["prirep"] == "p", row["node"])
        for row in rows
        if row["state"] == "STARTED"
    )


def test_searches_never_fail_while_a_node_is_killed(
    elasticsearch_cluster: Any,
    cluster_settings: Settings,
    engine: Engine,
    prepared: list[IndexedThread],
    tmp_path: Path,
) -> None:
    cluster = elasticsearch_cluster
    backend = ElasticsearchBackend(cluster_settings, engine.embedder.dimension)
    build(backend, prepared)
    (index,) = backend.live_indices()
    client = Elasticsearch(cluster.urls, request_timeout=30)
    before = copies(client, index)
    # Published with every replica in place: each of the two shards on two nodes.
    assert [(shard, primary) for shard, primary, _ in before] == [
        (0, False),
        (0, True),
        (1, False),
        (1, True),
    ]
    primary_node = next(node for _, primary, node in before if primary)
    victim = [node.name for node in cluster.nodes].index(primary_node)

    def open_reader() -> Engine:
        return engine_on(engine, tmp_path / "reader", **cluster_settings.model_dump(
            include={"backend", "elasticsearch_url", "elasticsearch_index_prefix",
                     "elasticsearch_request_timeout"}
        ))  # fmt: skip

    try:
        with ContinuousSearches(open_reader, EXPECTED, readers=3) as searches:
            cluster.kill_node(victim)
            killed_at = searches.searches
            searches.wait_for(SEARCHES_AFTER_KILL // 3)
            # Elasticsearch noticed, and the copies left are primaries on the other nodes.
            cluster.wait_for_health("yellow", len(cluster.nodes) - 1, timeout=60)
            searches.wait_for(SEARCHES_AFTER_KILL // 3)
        after = copies(client, index)
    finally:  # the killed node stays down: the next test to ask for the cluster starts it
        backend.close()
        client.close()
    assert not searches.failures, searches.failures[:5]
    assert searches.searches - killed_at >= SEARCHES_AFTER_KILL
    assert primary_node not in {node for _, _, node in after}
    # The replica took over: both shards still have a started primary.
    assert sorted(shard for shard, primary, _ in after if primary) == [0, 1]
