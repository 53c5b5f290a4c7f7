"""The real Elasticsearch started by tests/services.py answers, and has the features askfind uses.

The distribution is the minimal integ-test-zip (no analysis-common, mapper-extras, reindex or
painless), so these tests pin down that what askfind's mapping needs is in its core.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from elasticsearch import Elasticsearch

from tests.services import elasticsearch_script

MAPPING = {
    "properties": {
        "title": {
            "type": "text",
            "analyzer": "whitespace",  # askfind analyses in Python; the backend only splits
            "index_prefixes": {"min_chars": 1, "max_chars": 10},
        },
        "embedding": {
            "type": "dense_vector",
            "dims": 4,
            "index": True,
            "similarity": "cosine",
            "index_options": {"type": "int8_hnsw"},
        },
    }
}
DOCUMENTS = {
    "router": {"title": "router konfiguration wlan", "embedding": [1.0, 0.1, 0.0, 0.0]},
    "invoice": {"title": "rechnung zahlung frist", "embedding": [0.0, 0.0, 1.0, 0.2]},
    "sim": {"title": "sim karte aktivieren", "embedding": [0.0, 1.0, 0.0, 0.3]},
}


@pytest.fixture(scope="module")
def client(elasticsearch_url: str) -> Iterator[Elasticsearch]:
    with Elasticsearch(elasticsearch_url, request_timeout=30) as es:
        yield es


@pytest.fixture(scope="module")
def threads_index(client: Elasticsearch) -> Iterator[str]:
    name = "test-threads"
    client.indices.create(index=name, mappings=MAPPING, settings={"number_of_replicas": 0})
    for doc_id, document in DOCUMENTS.items():
        client.index(index=name, id=doc_id, document=document)
    client.indices.refresh(index=name)
    yield name
    client.indices.delete(index=name)


def test_cluster_health_is_yellow_or_green(client: Elasticsearch) -> None:
    health = client.cluster.health(wait_for_status="yellow", timeout="30s")
    assert health["status"] in ("yellow", "green")
    assert health["number_of_nodes"] == 1


def test_mapping_keeps_quantised_hnsw_vectors_and_index_prefixes(
    client: Elasticsearch, threads_index: str
) -> None:
    properties = client.indices.get_mapping(index=threads_index)[threads_index]["mappings"][
        "properties"
    ]
    embedding = properties["embedding"]
    assert (embedding["dims"], embedding["index"], embedding["similarity"]) == (4, True, "cosine")
    assert embedding["index_options"]["type"] == "int8_hnsw"
    assert properties["title"]["analyzer"] == "whitespace"
    assert properties["title"]["index_prefixes"] == {"min_chars": 1, "max_chars": 10}


def test_whitespace_analyzer_only_splits_on_whitespace(
    client: Elasticsearch, threads_index: str
) -> None:
    analyzed = client.indices.analyze(index=threads_index, field="title", text="Router-Setup WLAN")
    assert [token["token"] for token in analyzed["tokens"]] == ["Router-Setup", "WLAN"]


def test_knn_query_ranks_the_nearest_vector_first(
    client: Elasticsearch, threads_index: str
) -> None:
    query_vector = [0.9, 0.2, 0.0, 0.0]
    as_query = client.search(
        index=threads_index,
        query={"knn": {"field": "embedding", "query_vector": query_vector, "k": 3}},
        size=3,
    )
    assert [hit["_id"] for hit in as_query["hits"]["hits"]] == ["router", "sim", "invoice"]
    as_section = client.search(
        index=threads_index,
        knn={"field": "embedding", "query_vector": query_vector, "k": 3, "num_candidates": 10},
        size=3,
    )
    assert [hit["_id"] for hit in as_section["hits"]["hits"]] == ["router", "sim", "invoice"]


def test_prefix_query_finds_the_word_being_typed_through_index_prefixes(
    client: Elasticsearch, threads_index: str
) -> None:
    found = client.search(index=threads_index, query={"prefix": {"title": "konfig"}})
    assert [hit["_id"] for hit in found["hits"]["hits"]] == ["router"]
    # The rewritten query names the hidden prefix field: the prefix is a term lookup there,
    # not a scan of the term dictionary.
    explained = client.indices.validate_query(
        index=threads_index, query={"prefix": {"title": "konfig"}}, explain=True
    )
    assert "title._index_prefix:konfig" in explained["explanations"][0]["explanation"]


def test_bulk_writes_and_alias_swap_work(client: Elasticsearch) -> None:
    """askfind rebuilds into a new versioned index and swaps an alias atomically."""
    for version in ("test-swap-v1", "test-swap-v2"):
        client.indices.create(index=version, mappings=MAPPING, settings={"number_of_replicas": 0})
    try:
        operations: list[dict[str, object]] = []
        for doc_id, document in DOCUMENTS.items():
            operations += [{"index": {"_index": "test-swap-v2", "_id": doc_id}}, document]
        result = client.bulk(operations=operations, refresh=True)
        assert not result["errors"]
        client.indices.put_alias(index="test-swap-v1", name="test-swap")
        client.indices.update_aliases(
            actions=[
                {"remove": {"index": "test-swap-v1", "alias": "test-swap"}},
                {"add": {"index": "test-swap-v2", "alias": "test-swap"}},
            ]
        )
        assert list(client.indices.get_alias(name="test-swap")) == ["test-swap-v2"]
        assert client.count(index="test-swap")["count"] == len(DOCUMENTS)
    finally:
        client.indices.delete(index="test-swap-v1,test-swap-v2")


def test_a_restarted_server_comes_back_on_its_port_with_its_data() -> None:
    # scripts/replay restarts Elasticsearch under load: the index must survive it, and
    # the node the restart started must outlive the thread that started it.
    script = elasticsearch_script()
    server = script.ElasticsearchServer(port=script.free_port())
    server.start()
    try:
        with Elasticsearch(server.url, request_timeout=30) as es:
            es.index(index="kept", id="1", document={"title": "router"}, refresh=True)
        first_pid = server.pid
        # From another thread, as the replay does it: the node must outlive that thread.
        restarting = threading.Thread(target=server.restart)
        restarting.start()
        restarting.join()
        time.sleep(1.0)
        assert server.pid != first_pid
        with Elasticsearch(server.url, request_timeout=30) as es:
            assert es.get(index="kept", id="1")["_source"] == {"title": "router"}
    finally:
        server.stop()
    assert script.cluster_health(server.url, timeout=1.0) is None
