"""The backend contract: the same assertions against every backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from indexer.backends.base import EVERY_GROUP, Backend, Filters, IndexedThread, Signals
from indexer.backends.factory import create_backend
from indexer.embedding import EmbeddingCache
from indexer.engine import Engine
from indexer.errors import IndexNotFound
from indexer.pipeline import ThreadPreparer
from indexer.threads import Answer
from tests.conftest import backend_settings, thread


@pytest.fixture(params=["embedded", "elasticsearch"])
def backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def backend(
    request: pytest.FixtureRequest,
    backend_name: str,
    engine: Engine,
    tmp_path: Path,
    prepared: list[IndexedThread],
) -> Iterator[Backend]:
    settings = backend_settings(request, backend_name, tmp_path / "data")
    opened = create_backend(settings, engine.embedder.dimension)
    with opened.rebuild() as rebuild:
        rebuild.add(prepared)
        rebuild.commit()
    yield opened
    opened.close()


def lexical_ids(
    backend: Backend, engine: Engine, text: str, filters: Filters | None = None
) -> list[str]:
    query = engine.analyzer.query(text, partial=True)
    return [hit.id for hit in backend.lexical_top_k(query, 10, filters or Filters())]


def test_lexical_finds_compound_parts_and_prefix(backend: Backend, engine: Engine) -> None:
    assert lexical_ids(backend, engine, "Router Konfigurati")[0] == "router-1"
    assert lexical_ids(backend, engine, "Rechnung zu ho") == ["bill-3"]


def test_lexical_hits_report_matched_clauses(backend: Backend, engine: Engine) -> None:
    query = engine.analyzer.query("Rechnung hoch Mond", lang="de", partial=False)
    hits = backend.lexical_top_k(query, 10, Filters())
    assert [(hit.id, hit.matched) for hit in hits] == [("bill-3", 2)]


# Pairs of German threads, one written with umlauts, the other as customers without a
# German keyboard write it (ae/oe/ue, ss), each about the same thing in other words.
SPELLING_THREADS = [
    thread("stoerung-u", "Störung im Festnetz", body="Seit Montag kein Telefon.", lang="de"),
    thread("stoerung-t", "Stoerung beim Kabelanschluss", body="Seit gestern tot.", lang="de"),
    thread("kuendigung-u", "Kündigung zurücknehmen", body="Geht ein Widerruf?", lang="de"),
    thread("kuendigung-t", "Kuendigung zuruecknehmen", body="Nach zwei Wochen?", lang="de"),
    thread("gebuehr-u", "Gebühr für die Rücklastschrift", body="Warum extra?", lang="de"),
    thread("gebuehr-t", "Gebuehr fuer Ruecklastschrift zu hoch", body="Die Bank.", lang="de"),
    thread("ueberweisung-u", "Überweisung nicht angekommen", body="Geld fehlt.", lang="de"),
    thread("ueberweisung-t", "Ueberweisung dauert ewig", body="Schon drei Tage.", lang="de"),
    thread("bestaetigung-u", "Auftragsbestätigung fehlt", body="Keine Mail da.", lang="de"),
    thread("bestaetigung-t", "Auftragsbestaetigung nicht erhalten", body="Kein Brief.", lang="de"),
    thread("strasse-u", "Neue Straße eintragen", body="Umzug gemeldet.", lang="de"),
    thread("strasse-t", "Strasse falsch geschrieben", body="Im Vertrag.", lang="de"),
    thread("laeuft-u", "Router läuft heiß", body="Das Gehäuse glüht.", lang="de"),
    thread("laeuft-t", "Modem laeuft nicht mehr", body="Alle Lampen aus.", lang="de"),
    # English threads quoting German, in either spelling: English has no umlauts.
    thread("stoerung-en", "Status page says Störung", body="For a week now.", lang="en"),
    thread("stoerung-en-t", "Hotline reports a Stoerung here", body="No ETA given.", lang="en"),
    # Its "ue" is no "ü": "Stoer" and "Stör" must not find these.
    thread("steuer-u", "Steuererklärung: Rechnung als PDF", body="Für das Homeoffice.", lang="de"),
    thread("steuer-t", "Belege zur Steuererklaerung", body="Jahresbeleg bitte.", lang="de"),
]  # fmt: skip
# Both spellings of a query, finished (a space at the end) and half typed: each finds the
# threads of its group, and both spellings find them alike (same clauses matched, same BM25).
SPELLING_QUERIES = {
    # One word: read as German and as English, so the English threads are found too.
    ("stoerung-u", "stoerung-t", "stoerung-en", "stoerung-en-t"): [
        ("Störung ", "Stoerung "),
        ("Stör", "Stoer"),
    ],
    ("kuendigung-u", "kuendigung-t"): [
        ("Kündigung zurücknehmen ", "kuendigung zuruecknehmen "),
        ("Kündigung zurü", "kuendigung zurue"),
        ("kündig", "kuendig"),
    ],
    ("gebuehr-u", "gebuehr-t"): [
        ("Gebühr für die Rücklastschrift ", "Gebuehr fuer die Ruecklastschrift "),
        ("Gebüh", "Gebueh"),
        ("Rücklas", "Ruecklas"),
    ],
    ("ueberweisung-u", "ueberweisung-t"): [("Überweisung ", "Ueberweisung "), ("Überw", "Ueberw")],
    # A part of a compound, and the compound half typed.
    ("bestaetigung-u", "bestaetigung-t"): [
        ("Bestätigung ", "Bestaetigung "),
        ("Auftragsbestä", "Auftragsbestae"),
    ],
    ("strasse-u", "strasse-t"): [("Straße ", "Strasse "), ("Straß", "Strass")],
    ("laeuft-u", "laeuft-t"): [("läuft ", "laeuft "), ("läu", "laeu")],
    ("steuer-u", "steuer-t"): [
        ("Steuererklärung ", "Steuererklaerung "),
        ("Steuererklä", "Steuererklae"),
    ],
}  # fmt: skip


def test_umlauts_and_their_transliterations_find_each_other(
    request: pytest.FixtureRequest, backend_name: str, engine: Engine, tmp_path: Path
) -> None:
    settings = backend_settings(request, backend_name, tmp_path / "spellings")
    opened = create_backend(settings, engine.embedder.dimension)
    cache = EmbeddingCache(
        tmp_path / "cache.sqlite", engine.embedder.model_id, engine.embedder.dimension
    )
    preparer = ThreadPreparer(engine.settings, engine.analyzer, engine.embedder, cache)

    def hits(text: str) -> list[tuple[str, int, float]]:
        query = engine.analyzer.query(text, partial=True)
        found = opened.lexical_top_k(query, 10, Filters())
        return sorted((hit.id, hit.matched, round(hit.score, 4)) for hit in found)

    try:
        with opened.rebuild() as rebuild:
            ids = [t.id for t in SPELLING_THREADS]
            rebuild.add(preparer.prepare(SPELLING_THREADS, ids))
            rebuild.commit()
        found: dict[str, object] = {}
        expected: dict[str, object] = {}
        for group, queries in SPELLING_QUERIES.items():
            for umlaut, transliterated in queries:
                umlaut_hits = hits(umlaut)
                found[umlaut] = [hit[0] for hit in umlaut_hits]
                found[transliterated] = hits(transliterated)
                expected[umlaut] = sorted(group)
                expected[transliterated] = umlaut_hits
        assert found == expected
    finally:
        opened.close()
        cache.close()


@pytest.mark.parametrize(("limit", "expected"), [(1, ["r1", "r2"]), (2, ["r1", "r2", "r3"])])
def test_a_half_typed_word_expands_to_its_most_frequent_continuations_first(
    request: pytest.FixtureRequest,
    backend_name: str,
    engine: Engine,
    tmp_path: Path,
    limit: int,
    expected: list[str],
) -> None:
    settings = backend_settings(
        request, backend_name, tmp_path / "prefix", prefix_max_expansions=limit
    )
    opened = create_backend(settings, engine.embedder.dimension)
    threads = [
        thread("r1", "router reset", lang="en"),
        thread("r2", "router lights", lang="en"),
        thread("r3", "roulette wheel", lang="en"),  # first in term order
    ]
    cache = EmbeddingCache(
        tmp_path / "cache.sqlite", engine.embedder.model_id, engine.embedder.dimension
    )
    preparer = ThreadPreparer(engine.settings, engine.analyzer, engine.embedder, cache)
    try:
        with opened.rebuild() as rebuild:
            rebuild.add(preparer.prepare(threads, ["a", "b", "c"]))
            rebuild.commit()
        query = engine.analyzer.query("rou", lang="en")
        found = sorted(hit.id for hit in opened.lexical_top_k(query, 10, Filters()))
        assert found == expected
    finally:
        opened.close()


def test_vector_top_k_ranks_by_cosine(backend: Backend, engine: Engine) -> None:
    vector = engine.embedder.embed_query("wireless internet disconnects at night")
    hits = backend.vector_top_k(vector, 4, Filters())
    assert hits[0].id == "wifi-2"
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    exact = backend.vector_scores(vector, [h.id for h in hits])
    for hit in hits:
        assert exact[hit.id] == pytest.approx(hit.score, abs=1e-5)


def test_filters_apply_to_both_legs(backend: Backend, engine: Engine) -> None:
    vector = engine.embedder.embed_query("Router")
    only_billing = Filters(board="Rechnung")
    assert {h.id for h in backend.vector_top_k(vector, 10, only_billing)} == {"bill-3"}
    assert lexical_ids(backend, engine, "Routerkonfiguration", only_billing) == []
    assert {h.id for h in backend.vector_top_k(vector, 10, Filters(lang="en"))} == {"wifi-2"}
    solved = {h.id for h in backend.vector_top_k(vector, 10, Filters(solved=True))}
    assert solved == {"router-1", "bill-3"}


def test_a_date_range_applies_inside_both_legs(backend: Backend, engine: Engine) -> None:
    may = Filters(
        created_from=datetime(2024, 5, 31, 22, 0, tzinfo=UTC),
        created_to=datetime(2024, 5, 31, 23, 0, tzinfo=UTC),
    )
    vector = engine.embedder.embed_query("Router")
    assert {h.id for h in backend.vector_top_k(vector, 10, may)} == {"bill-3"}
    assert lexical_ids(backend, engine, "Rechnung Routerkonfiguration", may) == ["bill-3"]
    since = Filters(created_from=datetime(2024, 5, 31, 23, 0, tzinfo=UTC))
    assert {h.id for h in backend.vector_top_k(vector, 10, since)} == {"router-1"}
    # A thread without created_at passes no date bound.
    assert {
        h.id for h in backend.vector_top_k(vector, 10, Filters(created_to=since.created_from))
    } == {"bill-3"}


def test_get_threads_signals_and_boards(backend: Backend) -> None:
    found = backend.get_threads(["bill-3", "nope"])
    assert list(found) == ["bill-3"]
    assert found["bill-3"].accepted_answer is not None
    signals = backend.signals(["router-1"])
    assert signals["router-1"].solved is True and signals["router-1"].board == "Router & WLAN"
    assert backend.boards() == {"Router & WLAN", "Rechnung", "Mobilfunk"}
    assert backend.stats().threads == 4


def test_signals_carry_every_field_of_the_thread(
    backend: Backend, prepared: list[IndexedThread]
) -> None:
    source = prepared[1]
    rich = source.thread.with_changes(
        id="rich-5",
        solved=True,
        kudos=7,
        views=1200,
        replies=3,
        created_at="2024-02-29T12:00:00Z",
        duplicate_of="wifi-2",
        board="Störungen „aktuell“ [DE]",
        lang="en",
        visibility=("moderators", "staff"),
        kind="article",
        state="closed",
        accepted_answer=Answer("Neu starten.", created_at="2024-03-01T08:00:00+00:00"),
    )
    assert (Signals.of(rich).kind, Signals.of(rich).state) == ("article", "closed")
    assert Signals.of(rich).solution_at == "2024-03-01T08:00:00+00:00"
    backend.upsert([IndexedThread(rich, source.terms, source.vector, "rich")])
    assert backend.signals(["rich-5", "wifi-2"]) == {
        "rich-5": Signals.of(rich),
        "wifi-2": Signals.of(source.thread),
    }
    # Elasticsearch: the signals a search's hits brought along, as ranking reads them.
    staff = Filters(viewer_groups=frozenset({"staff"}))
    assert "rich-5" in {hit.id for hit in backend.vector_top_k(source.vector, 10, staff)}
    assert backend.signals(["rich-5"]) == {"rich-5": Signals.of(rich)}


def restricted(indexed: IndexedThread, thread_id: str, groups: tuple[str, ...]) -> IndexedThread:
    """A copy of a thread, with the same terms and vector, visible to ``groups`` only."""
    thread = indexed.thread.with_changes(id=thread_id, visibility=groups)
    return IndexedThread(thread, indexed.terms, indexed.vector, f"hash-{thread_id}")


def visible_ids(
    backend: Backend, engine: Engine, text: str, filters: Filters
) -> dict[str, set[str]]:
    """What each leg finds for ``text`` (lexical, vector), k as large as the index."""
    vector = engine.embedder.embed_query(text)
    return {
        "lexical": set(lexical_ids(backend, engine, text, filters)),
        "vector": {hit.id for hit in backend.vector_top_k(vector, 4, filters)},
    }


def test_restricted_threads_are_filtered_inside_both_legs(
    backend: Backend, engine: Engine, prepared: list[IndexedThread]
) -> None:
    """A rebuilt restricted thread and one upserted since (the embedded backend's snapshot
    and delta) reach only the viewers of their groups, and a public search's k threads
    are k public ones: the filter applies inside the leg, not after it."""
    with backend.rebuild() as rebuild:
        rebuild.add([*prepared, restricted(prepared[2], "staff-5", ("staff",))])
        rebuild.commit()
    backend.upsert([restricted(prepared[2], "mods-6", ("moderators", "staff"))])
    text = "Rechnung doppelt so hoch wie sonst"
    public = {"router-1", "wifi-2", "bill-3", "esim-4"}

    seen = visible_ids(backend, engine, text, Filters())
    assert seen == {"lexical": {"bill-3"}, "vector": public}
    staff = visible_ids(backend, engine, text, Filters(viewer_groups=frozenset({"staff"})))
    assert staff["lexical"] == {"bill-3", "staff-5", "mods-6"}
    assert {"staff-5", "mods-6"} <= staff["vector"]
    moderators = Filters(viewer_groups=frozenset({"moderators", "sales"}))
    assert visible_ids(backend, engine, text, moderators)["lexical"] == {"bill-3", "mods-6"}
    everyone = visible_ids(backend, engine, text, Filters(viewer_groups=EVERY_GROUP))
    assert everyone["lexical"] == {"bill-3", "staff-5", "mods-6"}
    outsiders = Filters(viewer_groups=frozenset({"sales"}), board="Rechnung")
    assert visible_ids(backend, engine, text, outsiders)["vector"] == {"bill-3"}

    found = backend.get_threads(["staff-5", "mods-6"])
    assert found["mods-6"].visibility == ("moderators", "staff")
    assert backend.signals(["staff-5"])["staff-5"].visibility == ("staff",)
    assert not Filters().admits(backend.signals(["staff-5"])["staff-5"])


def test_upsert_and_delete_single_threads_without_rebuild(
    backend: Backend, engine: Engine, prepared: list[IndexedThread]
) -> None:
    version = backend.stats().version
    changed = IndexedThread(
        thread=prepared[1].thread.with_changes(title="Glasfaser Störung seit Montag"),
        terms={
            **prepared[1].terms,
            "title": tuple(engine.analyzer.document_terms("Glasfaser Störung seit Montag", "de")),
        },
        vector=engine.embedder.embed_query("Glasfaser Störung seit Montag"),
        content_hash="changed",
    )
    backend.upsert([changed])
    assert backend.stats().version != version
    assert lexical_ids(backend, engine, "Glasfaser Störung")[0] == "wifi-2"
    assert lexical_ids(backend, engine, "Glasfa") == ["wifi-2"]  # a word new to the index
    assert lexical_ids(backend, engine, "WiFi evening") == []  # the old title is gone
    assert backend.indexed(["wifi-2"])["wifi-2"].content_hash == "changed"
    assert backend.delete(["esim-4", "never-was"]) == 1
    vector = engine.embedder.embed_query("eSIM iPhone")
    assert "esim-4" not in {h.id for h in backend.vector_top_k(vector, 10, Filters())}
    assert backend.get_threads(["esim-4"]) == {}
    assert backend.stats().threads == 3


def test_indexed_returns_what_was_written(backend: Backend, prepared: list[IndexedThread]) -> None:
    stored = backend.indexed(["router-1"])["router-1"]
    assert stored.content_hash == "hash-router-1"
    assert stored.terms["title"] == prepared[0].terms["title"]
    assert np.allclose(stored.vector, prepared[0].vector)


def test_a_rebuild_carries_unchanged_threads_over(
    backend: Backend, engine: Engine, prepared: list[IndexedThread]
) -> None:
    assert backend.content_hashes(["bill-3", "router-1", "nope"]) == {
        "bill-3": "hash-bill-3",
        "router-1": "hash-router-1",
    }
    with backend.rebuild() as rebuild:
        rebuild.carry_over(["bill-3", "esim-4"])
        rebuild.add(prepared[:1])
        rebuild.commit()
    assert sorted(backend.iter_ids()) == ["bill-3", "esim-4", "router-1"]
    assert lexical_ids(backend, engine, "Rechnung hoch") == ["bill-3"]
    carried = backend.indexed(["esim-4"])["esim-4"]
    assert carried.content_hash == "hash-esim-4"
    assert np.allclose(carried.vector, prepared[3].vector)


def test_a_failed_rebuild_leaves_the_old_index(
    backend: Backend, prepared: list[IndexedThread]
) -> None:
    with pytest.raises(RuntimeError), backend.rebuild() as rebuild:
        rebuild.add(prepared[:1])
        raise RuntimeError("the source broke")
    assert backend.stats().threads == 4


def test_no_index_is_a_clear_error(
    request: pytest.FixtureRequest, backend_name: str, engine: Engine, tmp_path: Path
) -> None:
    settings = backend_settings(request, backend_name, tmp_path / "empty")
    empty = create_backend(settings, engine.embedder.dimension)
    with pytest.raises(IndexNotFound):
        empty.lexical_top_k(engine.analyzer.query("Router"), 5, Filters())
    assert empty.stats().threads == 0


def test_an_index_of_another_embedding_model_is_a_clear_error(
    request: pytest.FixtureRequest,
    backend_name: str,
    backend: Backend,
    engine: Engine,
    tmp_path: Path,
) -> None:
    """Searching an index built with another model (vectors of another size) says to
    rebuild, instead of failing inside the vector search."""
    settings = backend_settings(request, backend_name, tmp_path / "data")
    other = create_backend(settings, engine.embedder.dimension + 1)
    try:
        with pytest.raises(IndexNotFound, match="askfind index"):
            other.vector_top_k(np.ones(engine.embedder.dimension + 1, np.float32), 5, Filters())
    finally:
        other.close()
