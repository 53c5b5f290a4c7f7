"""What only the Elasticsearch backend has: versioned indices behind aliases, the rebuild
lease, per-document write errors, its mapping, and BM25 scores that equal the embedded
backend's. Against a real Elasticsearch (tests/services.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from indexer.backends.base import Filters, IndexedThread
from indexer.backends.elasticsearch import ElasticsearchBackend
from indexer.backends.elasticsearch.lease import LEASE_ID
from indexer.backends.elasticsearch.mapping import lock_index_name
from indexer.backends.embedded.backend import EmbeddedBackend
from indexer.embedding import EmbeddingCache
from indexer.engine import Engine
from indexer.errors import IndexWriteError, RebuildInProgress
from indexer.pipeline import ThreadPreparer
from indexer.settings import Settings
from tests.conftest import make_settings
from tests.indexer.backends.test_contract import THREADS


@pytest.fixture
def settings(elasticsearch_url: str, elasticsearch_prefix: str, tmp_path: Path) -> Settings:
    return make_settings(
        tmp_path / "data",
        backend="elasticsearch",
        elasticsearch_url=elasticsearch_url,
        elasticsearch_index_prefix=elasticsearch_prefix,
        elasticsearch_request_timeout=2.0,
    )


@pytest.fixture
def client(elasticsearch_url: str) -> Iterator[Elasticsearch]:
    with Elasticsearch(elasticsearch_url, request_timeout=30) as es:
        yield es


@pytest.fixture
def prepared(engine: Engine, tmp_path: Path) -> list[IndexedThread]:
    cache = EmbeddingCache(
        tmp_path / "cache.sqlite", engine.embedder.model_id, engine.embedder.dimension
    )
    preparer = ThreadPreparer(engine.settings, engine.analyzer, engine.embedder, cache)
    return preparer.prepare(THREADS, [f"hash-{t.id}" for t in THREADS])


@pytest.fixture
def backend(settings: Settings, engine: Engine) -> Iterator[ElasticsearchBackend]:
    opened = ElasticsearchBackend(settings, engine.embedder.dimension)
    yield opened
    opened.close()


def build(backend: ElasticsearchBackend, threads: list[IndexedThread]) -> None:
    with backend.rebuild() as rebuild:
        rebuild.add(threads)
        rebuild.commit()


def indices(client: Elasticsearch, prefix: str) -> list[str]:
    found = client.indices.get(index=f"{prefix}*", expand_wildcards="all", features="aliases")
    return sorted(found.body)


def test_a_rebuild_swaps_both_aliases_and_deletes_the_old_indices(
    backend: ElasticsearchBackend, client: Elasticsearch, prepared: list[IndexedThread]
) -> None:
    build(backend, prepared)
    (first,) = backend.live_indices()
    build(backend, prepared[:2])
    (second,) = backend.live_indices()
    assert second > first  # versions sort by time
    alias = backend.alias
    assert indices(client, alias) == sorted(
        [second, f"{second}-terms", lock_index_name(backend.settings)]
    )
    assert list(client.indices.get_alias(name=f"{alias}-terms").body) == [f"{second}-terms"]
    assert backend.stats().threads == 2
    # Live writes never create an index: the alias's index takes them.
    backend.upsert(prepared[2:3])
    assert backend.stats().threads == 3 and backend.live_indices() == {second}


def test_the_first_upsert_creates_the_index_behind_the_alias(
    backend: ElasticsearchBackend, prepared: list[IndexedThread], engine: Engine
) -> None:
    assert backend.stats().threads == 0
    backend.upsert(prepared[:1])
    assert backend.stats().threads == 1 and len(backend.live_indices()) == 1
    query = engine.analyzer.query("Routerkonfiguration")
    assert [hit.id for hit in backend.lexical_top_k(query, 5, Filters())] == ["router-1"]


def test_one_rebuild_at_a_time_and_a_dead_ones_index_is_removed(
    backend: ElasticsearchBackend,
    client: Elasticsearch,
    settings: Settings,
    prepared: list[IndexedThread],
) -> None:
    build(backend, prepared)
    live = backend.live_indices()
    running = backend.rebuild()
    running.add(prepared[:1])
    with pytest.raises(RebuildInProgress):
        backend.rebuild()
    # The running rebuild dies without cleaning up: its lease expires (made so here)...
    lock = lock_index_name(settings)
    lease = client.get(index=lock, id=LEASE_ID)["_source"]
    client.index(index=lock, id=LEASE_ID, document={**lease, "expires": 0}, refresh=True)
    # ...and the next rebuild takes the lease over and deletes the dead one's index.
    with backend.rebuild() as rebuild:
        assert not client.indices.exists(index=running.index)
        rebuild.add(prepared)
        rebuild.commit()
    assert backend.live_indices() != live and backend.stats().threads == 4
    with pytest.raises(RebuildInProgress, match="taken over"):
        running.add(prepared[1:2])  # the dead rebuild learns it lost its lease


def test_refused_documents_are_named_and_nothing_is_published(
    backend: ElasticsearchBackend, prepared: list[IndexedThread]
) -> None:
    build(backend, prepared)
    live = backend.live_indices()
    broken = IndexedThread(
        thread=prepared[0].thread.with_changes(id="broken", kudos=2**70),  # beyond a long
        terms=prepared[0].terms,
        vector=prepared[0].vector,
        content_hash="broken",
    )
    with pytest.raises(IndexWriteError, match="broken"), backend.rebuild() as rebuild:
        rebuild.add([*prepared[1:], broken])
        rebuild.commit()
    assert backend.live_indices() == live and backend.stats().threads == 4


def test_the_mapping_uses_core_features_only(
    backend: ElasticsearchBackend, client: Elasticsearch, prepared: list[IndexedThread]
) -> None:
    build(backend, prepared)
    (index,) = backend.live_indices()
    mapping = client.indices.get_mapping(index=index)[index]["mappings"]
    vector = mapping["properties"]["vector"]
    assert (vector["type"], vector["similarity"], vector["index_options"]["type"]) == (
        "dense_vector",
        "cosine",
        "int8_hnsw",
    )
    title = mapping["properties"]["title"]
    assert (title["analyzer"], title["similarity"]) == ("whitespace", "askfind_bm25")
    similarity = client.indices.get_settings(index=index)[index]["settings"]["index"]["similarity"][
        "askfind_bm25"
    ]
    assert similarity == {"type": "BM25", "k1": "1.2", "b": "0.75"}
    assert mapping["dynamic"] == "strict"


def test_bm25_scores_are_the_embedded_backends(
    backend: ElasticsearchBackend, engine: Engine, tmp_path: Path, prepared: list[IndexedThread]
) -> None:
    """The same numbers, clause by clause and field by field (Lucene's lengths are exact
    for fields this short; see indexer/backends/elasticsearch/queries.py)."""
    build(backend, prepared)
    embedded = EmbeddedBackend(make_settings(tmp_path / "embedded"), engine.embedder.dimension)
    build(embedded, prepared)  # type: ignore[arg-type]
    texts = ("Rechnung hoch", "Router Konfiguration Box", "eSIM iPhone übertr", "WiFi evening")
    for text in texts:
        query = engine.analyzer.query(text)
        mine = backend.lexical_top_k(query, 10, Filters())
        theirs = embedded.lexical_top_k(query, 10, Filters())
        assert mine, text
        assert [(h.id, h.matched) for h in mine] == [(h.id, h.matched) for h in theirs]
        for es_hit, embedded_hit in zip(mine, theirs, strict=True):
            assert es_hit.score == pytest.approx(embedded_hit.score, rel=1e-5)
    embedded.close()
