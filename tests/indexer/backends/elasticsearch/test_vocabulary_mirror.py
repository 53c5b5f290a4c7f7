"""The vocabulary each process holds for the word being typed (``mirror``): it expands
exactly like the vocabulary index, follows upserts and rebuilds, and spares the search
its request. The Elasticsearch tests run against a real server (tests/services.py)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import pytest
from elasticsearch import Elasticsearch

from indexer.analysis.analyzer import PrefixTerm
from indexer.backends.base import Filters, IndexedThread
from indexer.backends.elasticsearch import ElasticsearchBackend, vocabulary
from indexer.backends.elasticsearch.mirror import TermList, VocabularyMirror
from indexer.engine import Engine
from indexer.settings import Settings
from tests.indexer.backends.elasticsearch.conftest import build, changed, vocabulary_in_index


def test_a_prefix_expands_to_its_most_frequent_terms_ties_in_term_order() -> None:
    terms = TermList({"haus": 5, "hausboot": 1, "hausarzt": 1, "haut": 9, "hase": 7, "hau": 1})
    assert terms.expand(PrefixTerm(starts=("hau",), exact=()), 3) == ["haut", "haus", "hau"]
    assert terms.expand(PrefixTerm(starts=("haus",), exact=()), 2) == ["haus", "hausarzt"]
    # Exact terms join the candidates, other starts too; unknown ones add nothing.
    assert terms.expand(PrefixTerm(starts=("hausb",), exact=("hase", "hasen")), 5) == [
        "hase",
        "hausboot",
    ]
    assert terms.expand(PrefixTerm(starts=("x", "hausa"), exact=()), 5) == ["hausarzt"]


def test_added_terms_take_their_place() -> None:
    terms = TermList({"router": 4, "routing": 2}).with_terms({"routerbox": 1, "routing": 6})
    assert terms.expand(PrefixTerm(starts=("rout",), exact=()), 3) == [
        "routing",
        "router",
        "routerbox",
    ]


def held(client: Elasticsearch, backend: ElasticsearchBackend) -> TermList:
    mirror = VocabularyMirror(client, backend.terms_alias, max_terms=1_000)
    mirror.refresh()
    assert mirror.held is not None
    return mirror.held


def expanded_by_elasticsearch(client: Elasticsearch, alias: str, prefix: PrefixTerm, limit: int):
    response = client.search(index=alias, **vocabulary.expansion_search(prefix, limit))
    return vocabulary.expansions_of(response)


def test_the_held_vocabulary_expands_like_the_vocabulary_index(
    backend: ElasticsearchBackend, client: Elasticsearch, prepared: list[IndexedThread]
) -> None:
    build(backend, prepared)
    terms = held(client, backend)
    assert len(terms) > 30
    starts = sorted({term[:length] for term in terms.terms for length in (1, 2, 3)})
    for start in starts:
        prefix = PrefixTerm(starts=(start,), exact=("rechnung", "nichtda"))
        for limit in (1, 2, 5, 30):
            expected = expanded_by_elasticsearch(client, backend.terms_alias, prefix, limit)
            assert terms.expand(prefix, limit) == expected, (start, limit)


def test_it_adds_words_upserted_elsewhere_and_loads_a_rebuilt_vocabulary(
    backend: ElasticsearchBackend,
    settings: Settings,
    engine: Engine,
    client: Elasticsearch,
    prepared: list[IndexedThread],
) -> None:
    build(backend, prepared)
    mirror = VocabularyMirror(client, backend.terms_alias, max_terms=1_000)
    mirror.refresh()
    glas = PrefixTerm(starts=("glasfas",), exact=())
    assert mirror.held is not None and mirror.held.expand(glas, 5) == []
    other_process = ElasticsearchBackend(settings, engine.embedder.dimension)
    try:
        other_process.upsert([changed(prepared[1], ("glasfaserkabel",))])
    finally:
        other_process.close()
    mirror.refresh()
    assert mirror.held.expand(glas, 5) == ["glasfaserkabel"]
    build(backend, prepared[:1])  # a new vocabulary: one thread's terms only
    mirror.refresh()
    assert mirror.held.expand(glas, 5) == []
    held_now = dict(zip(mirror.held.terms, mirror.held.frequencies.tolist(), strict=True))
    assert held_now == vocabulary_in_index(client, backend)


def searches_of_the_vocabulary(client: Elasticsearch, backend: ElasticsearchBackend) -> int:
    (stats,) = client.indices.stats(index=backend.terms_alias, metric="search")["indices"].values()
    return int(stats["primaries"]["search"]["query_total"])


def test_once_held_a_search_asks_nothing_to_expand_and_own_writes_expand_at_once(
    backend: ElasticsearchBackend,
    engine: Engine,
    client: Elasticsearch,
    prepared: list[IndexedThread],
) -> None:
    build(backend, prepared)
    query = engine.analyzer.query("Rechnung dopp", partial=True)
    first = backend.lexical_top_k(query, 5, Filters())  # starts the mirror
    deadline = time.monotonic() + 10
    while backend._vocabulary.current() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    before = searches_of_the_vocabulary(client, backend)
    for text in ("Router Konf", "eSIM auf neues iPh", "WiFi kee", "Rechnung dopp"):
        typed = engine.analyzer.query(text, partial=True)
        assert typed.prefix is not None and backend.lexical_top_k(typed, 5, Filters()), text
    assert backend.lexical_top_k(query, 5, Filters()) == first
    assert searches_of_the_vocabulary(client, backend) == before
    backend.upsert([changed(prepared[1], ("glasfaserkabel",))])
    found = backend.lexical_top_k(engine.analyzer.query("Glasfaserk", partial=True), 5, Filters())
    assert [hit.id for hit in found] == [prepared[1].thread.id]


def test_a_vocabulary_over_the_limit_is_asked_of_elasticsearch(
    settings: Settings, engine: Engine, client: Elasticsearch, prepared: list[IndexedThread]
) -> None:
    small = settings.model_copy(update={"elasticsearch_vocabulary_in_memory": 3})
    backend = ElasticsearchBackend(small, engine.embedder.dimension)
    try:
        build(backend, prepared)
        mirror = VocabularyMirror(client, backend.terms_alias, max_terms=3)
        mirror.refresh()
        assert mirror.held is None
        query = engine.analyzer.query("Rechnung dopp", partial=True)
        before = searches_of_the_vocabulary(client, backend)
        assert [hit.id for hit in backend.lexical_top_k(query, 5, Filters())] == ["bill-3"]
        assert searches_of_the_vocabulary(client, backend) == before + 1
    finally:
        backend.close()


def wait_until(condition: Callable[[], bool], seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_the_mirror_stops_and_lets_go_when_nobody_asks(
    backend: ElasticsearchBackend, client: Elasticsearch, prepared: list[IndexedThread]
) -> None:
    build(backend, prepared)
    mirror = VocabularyMirror(client, backend.terms_alias, max_terms=1_000, idle_s=0.5)
    try:
        mirror.current()
        assert wait_until(lambda: mirror.held is not None)
        assert mirror.running
        assert wait_until(lambda: not mirror.running)  # half a second without a question
        assert mirror.held is None
        mirror.current()  # asked again: it starts over
        assert wait_until(lambda: mirror.held is not None)
    finally:
        mirror.close()
    assert wait_until(lambda: not mirror.running)


def test_checks_against_an_unreachable_cluster_back_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    attempts = []
    original = VocabularyMirror.refresh

    def counted(self: VocabularyMirror) -> None:
        attempts.append(time.monotonic())
        original(self)

    monkeypatch.setattr(VocabularyMirror, "refresh", counted)
    with Elasticsearch(f"http://127.0.0.1:{port}", request_timeout=1) as unreachable:
        mirror = VocabularyMirror(unreachable, "askfind-terms", max_terms=1_000, refresh_s=0.1)
        try:
            assert mirror.current() is None
            time.sleep(2.0)
            assert mirror.running and mirror.held is None
        finally:
            mirror.close()
    # Every 0.1 s would be about 20 checks; backing off (0.2, 0.4, 0.8 s ...) makes 4-5.
    assert 2 <= len(attempts) <= 6, attempts
