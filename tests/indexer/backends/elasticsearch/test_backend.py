"""What only the Elasticsearch backend has: versioned indices behind aliases, the rebuild
lease, per-document write errors, its mapping, BM25 scores that equal the embedded
backend's, and rebuilds that start from a clone of the live index. Against a real
Elasticsearch (tests/services.py)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from indexer.backends.base import FIELDS, Filters, IndexedThread, Signals
from indexer.backends.elasticsearch import ElasticsearchBackend
from indexer.backends.elasticsearch import documents as documents_module
from indexer.backends.elasticsearch import mapping as mapping_module
from indexer.backends.elasticsearch import rebuild as rebuild_module
from indexer.backends.elasticsearch.lease import LEASE_ID
from indexer.backends.elasticsearch.mapping import lock_index_name
from indexer.backends.embedded.backend import EmbeddedBackend
from indexer.engine import Engine
from indexer.errors import IndexWriteError, RebuildInProgress
from indexer.settings import Settings
from tests.conftest import make_settings
from tests.indexer.backends.elasticsearch.conftest import build, changed, vocabulary_in_index


def indices(client: Elasticsearch, prefix: str) -> list[str]:
    found = client.indices.get(index=f"{prefix}*", expand_wildcards="all", features="aliases")
    return sorted(found.body)


def segments_per_shard(client: Elasticsearch, backend: ElasticsearchBackend) -> list[int]:
    (live,) = backend.live_indices()
    shards = client.indices.segments(index=live)["indices"][live]["shards"]
    return [copy["num_search_segments"] for copies in shards.values() for copy in copies]


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


def test_a_rebuilt_index_serves_as_one_segment(
    backend: ElasticsearchBackend, client: Elasticsearch, prepared: list[IndexedThread]
) -> None:
    with backend.rebuild() as rebuild:
        for thread in prepared:  # a segment each
            rebuild.add([thread])
            client.indices.refresh(index=rebuild.index)
        assert client.indices.segments(index=rebuild.index)["_shards"]["total"] == 1
        rebuild.commit()
    assert segments_per_shard(client, backend) == [1]
    assert sorted(backend.iter_ids()) == sorted(t.thread.id for t in prepared)


def test_a_rebuild_publishes_its_index_unmerged_when_the_merge_waits_for_disk_space(
    backend: ElasticsearchBackend,
    client: Elasticsearch,
    prepared: list[IndexedThread],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Elasticsearch 9 starts no merge above its merge disk watermark; at 1 % every disk is
    # "full". A CI run on a 95 % full disk waited 600 s for each force merge and failed.
    monkeypatch.setattr(rebuild_module, "MERGE_TIMEOUT_S", 3.0)
    full = {"indices.merge.disk.watermark.high": "1%", "indices.merge.disk.check_interval": "1s"}
    client.cluster.put_settings(transient=full)
    try:
        time.sleep(2)  # the node samples its disk every check interval
        with backend.rebuild() as rebuild:
            for thread in prepared:
                rebuild.add([thread])
                client.indices.refresh(index=rebuild.index)
            rebuild.commit()
        assert sorted(backend.iter_ids()) == sorted(t.thread.id for t in prepared)
        assert "publishing it unmerged" in caplog.text
    finally:
        # The disk "empties" while the node still samples it, so that the waiting merges
        # run; switched off before that, the check would keep the disk full for good (and
        # every later merge of the session would wait). 100 %, not the default: the
        # machine's own disk may be fuller than 95 %.
        client.cluster.put_settings(transient={"indices.merge.disk.watermark.high": "100%"})
        (live,) = backend.live_indices()
        client.options(request_timeout=60).indices.forcemerge(index=live, max_num_segments=1)
        client.cluster.put_settings(transient=dict.fromkeys(full))
    assert segments_per_shard(client, backend) == [1]  # merged, once there was room


def test_scoring_threads_by_cosine_leaves_their_signals_as_they_are(
    backend: ElasticsearchBackend, prepared: list[IndexedThread]
) -> None:
    # The cosines of given threads come back with their ids only; the signals the
    # backend keeps from hits must not be taken from such hits (they would be all zero).
    build(backend, prepared)
    ids = [t.thread.id for t in prepared]
    cosines = backend.vector_scores(prepared[0].vector, ids)
    assert sorted(cosines) == sorted(ids) and cosines[ids[0]] == pytest.approx(1.0, abs=1e-3)
    assert backend.signals(ids) == {t.thread.id: Signals.of(t.thread) for t in prepared}
    assert any(t.thread.solved or t.thread.kudos for t in prepared)  # nothing all zero


def test_a_new_word_upserted_by_another_process_expands_within_a_second(
    backend: ElasticsearchBackend,
    settings: Settings,
    engine: Engine,
    prepared: list[IndexedThread],
) -> None:
    # Each process keeps the continuations of half-typed words; a prefix with few of them
    # may gain one from any upsert, so it is asked again after a second at most.
    build(backend, prepared)
    query = engine.analyzer.query("Glasfas", partial=True)
    assert backend.lexical_top_k(query, 5, Filters()) == []
    other_process = ElasticsearchBackend(settings, engine.embedder.dimension)
    try:
        other_process.upsert([changed(prepared[1], ("glasfas", "storung"))])
    finally:
        other_process.close()
    time.sleep(1.1)
    assert [hit.id for hit in backend.lexical_top_k(query, 5, Filters())] == ["wifi-2"]


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


# --- rebuilds from a clone of the live index ---------------------------------------


def expected_vocabulary(threads: list[IndexedThread]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for item in threads:
        for name in FIELDS:
            counts.update(set(item.terms.get(name, ())))
    return dict(counts)


def write_blocked(client: Elasticsearch, index: str) -> bool:
    response = client.indices.get_settings(index=index, name="index.blocks.write")
    settings = response.body.get(index, {}).get("settings", {}).get("index", {})
    return settings.get("blocks", {}).get("write") == "true"


def test_a_rebuild_clones_the_live_index_and_writes_only_the_differences(
    backend: ElasticsearchBackend,
    client: Elasticsearch,
    engine: Engine,
    prepared: list[IndexedThread],
) -> None:
    build(backend, prepared)
    (old,) = backend.live_indices()
    router, wifi, bill, _esim = prepared
    new_wifi = changed(wifi, ("glasfas", "storung"))
    with backend.rebuild() as rebuild:
        assert rebuild.cloned
        assert rebuild.content_hashes(["router-1", "bill-3", "nope"]) == {
            "router-1": "hash-router-1",
            "bill-3": "hash-bill-3",
        }
        rebuild.carry_over(["router-1", "bill-3"])  # unchanged
        rebuild.add([new_wifi])  # changed; esim-4 is gone from the source
        rebuild.commit()
    assert backend.live_indices() != {old} and not client.indices.exists(index=old)
    assert sorted(backend.iter_ids()) == ["bill-3", "router-1", "wifi-2"]
    assert backend.indexed(["wifi-2"])["wifi-2"].content_hash == "changed"
    query = engine.analyzer.query("eSIM iPhone", partial=False)
    assert backend.lexical_top_k(query, 5, Filters()) == []
    vector = engine.embedder.embed_query("eSIM iPhone")
    assert "esim-4" not in {h.id for h in backend.vector_top_k(vector, 10, Filters())}
    # The vocabulary is the published threads', as a rebuild from nothing counts it.
    assert vocabulary_in_index(client, backend) == expected_vocabulary([router, new_wifi, bill])
    assert backend.stats().threads == 3


def test_an_unchanged_rebuild_keeps_every_thread_as_it_was(
    backend: ElasticsearchBackend,
    client: Elasticsearch,
    engine: Engine,
    prepared: list[IndexedThread],
) -> None:
    build(backend, prepared)
    ids = [item.thread.id for item in prepared]
    query = engine.analyzer.query("Rechnung hoch")
    before = backend.lexical_top_k(query, 5, Filters())
    with backend.rebuild() as rebuild:
        assert rebuild.cloned
        rebuild.carry_over(ids)
        rebuild.commit()
    assert sorted(backend.iter_ids()) == sorted(ids)
    assert backend.lexical_top_k(query, 5, Filters()) == before
    assert vocabulary_in_index(client, backend) == expected_vocabulary(prepared)
    (live,) = backend.live_indices()
    assert not write_blocked(client, live)


def test_an_index_of_another_layout_is_rebuilt_from_nothing(
    backend: ElasticsearchBackend,
    engine: Engine,
    prepared: list[IndexedThread],
) -> None:
    build(backend, prepared)
    other = ElasticsearchBackend(
        backend.settings.model_copy(update={"bm25_k1": 1.5}), engine.embedder.dimension
    )
    with other.rebuild() as rebuild:
        assert not rebuild.cloned and rebuild.content_hashes(["bill-3"]) == {
            "bill-3": "hash-bill-3"
        }
        rebuild.carry_over(["bill-3"])
        rebuild.commit()
    assert list(other.iter_ids()) == ["bill-3"]
    other.close()


def test_live_writes_wait_out_the_write_block_of_a_clone(
    backend: ElasticsearchBackend,
    client: Elasticsearch,
    prepared: list[IndexedThread],
) -> None:
    build(backend, prepared[:2])
    (live,) = backend.live_indices()
    # Hold the block a clone takes, longer than a clone does; the upsert waits it out.
    client.indices.put_settings(index=live, settings={"index.blocks.write": True})
    lift = threading.Timer(
        1.5,
        lambda: client.indices.put_settings(index=live, settings={"index.blocks.write": None}),
    )
    lift.start()
    started = time.monotonic()
    backend.upsert(prepared[2:3])
    lift.join()
    assert time.monotonic() - started >= 1.0
    assert sorted(backend.iter_ids()) == ["bill-3", "router-1", "wifi-2"]


def test_the_next_rebuild_lifts_a_block_a_dead_rebuild_left(
    backend: ElasticsearchBackend,
    client: Elasticsearch,
    prepared: list[IndexedThread],
) -> None:
    build(backend, prepared)
    (live,) = backend.live_indices()
    client.indices.put_settings(index=live, settings={"index.blocks.write": True})
    with backend.rebuild() as rebuild:
        assert not write_blocked(client, live)
        rebuild.carry_over([item.thread.id for item in prepared])
        rebuild.commit()
    assert backend.stats().threads == 4


def test_live_writes_during_a_rebuild_are_not_lost(
    backend: ElasticsearchBackend,
    prepared: list[IndexedThread],
) -> None:
    """Upserts racing the clone succeed (retried through the block) and serve until the
    swap; the rebuilt index holds what its source has."""
    build(backend, prepared[:3])
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            while not done.is_set():
                backend.upsert(prepared[3:4])
        except BaseException as e:
            errors.append(e)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(3):
            with backend.rebuild() as rebuild:
                assert rebuild.cloned
                rebuild.carry_over([item.thread.id for item in prepared])
                rebuild.commit()
    finally:
        done.set()
        writer.join()
    assert errors == []
    assert sorted(backend.iter_ids()) == sorted(item.thread.id for item in prepared)


def test_an_index_from_before_visibility_takes_restricted_threads_on_its_first_write(
    backend: ElasticsearchBackend,
    prepared: list[IndexedThread],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An index built by the version before (no ``visibility`` in its strict mapping) keeps
    serving its threads as public, and the first write adds the field, so a restricted
    thread upserted into it stays out of public searches."""
    current_mappings, current_document = mapping_module.mappings, documents_module.document

    def old_mappings(dimension: int) -> dict:
        shape = current_mappings(dimension)
        del shape["properties"][mapping_module.VISIBILITY]
        return shape

    def old_document(indexed: IndexedThread) -> dict:
        document = current_document(indexed)
        del document[mapping_module.VISIBILITY]
        return document

    monkeypatch.setattr(rebuild_module, "mappings", old_mappings)
    monkeypatch.setattr(documents_module, "document", old_document)
    build(backend, prepared)  # as the version before wrote it
    monkeypatch.undo()
    vector = prepared[0].vector
    everything = {p.thread.id for p in prepared}
    assert {h.id for h in backend.vector_top_k(vector, 10, Filters())} == everything
    secret = prepared[0].thread.with_changes(id="staff-9", visibility=("staff",))
    backend.upsert([IndexedThread(secret, prepared[0].terms, vector, "s")])
    assert {h.id for h in backend.vector_top_k(vector, 10, Filters())} == everything
    staff = Filters(viewer_groups=frozenset({"staff"}))
    assert "staff-9" in {h.id for h in backend.vector_top_k(vector, 10, staff)}
