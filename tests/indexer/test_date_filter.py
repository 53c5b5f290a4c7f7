"""The creation-date filter: inside both legs of the embedded backend, and in the service."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from indexer.backends.base import Filters, Signals
from indexer.backends.embedded.segment import CREATED_FILE
from indexer.engine import Engine
from indexer.search import SearchRequest
from tests.conftest import engine_on, thread

ROUTER = "Router startet neu"
# The threads inside May match the query less well: unfiltered, the others come first.
LESS = "Router startet ständig neu und das WLAN ist weg"
THREADS = [
    thread("old", ROUTER, body="Die Box bootet jede Stunde.", created_at="2023-03-01T10:00:00Z"),
    thread("may", LESS, body="Die Box bootet jede Stunde.", created_at="2024-05-31T23:30:00Z"),
    thread(
        "june", LESS, body="Die Box bootet jede Stunde.", created_at="2024-06-01T00:10:00+02:00"
    ),
    thread("undated", ROUTER, body="Die Box bootet jede Stunde."),
]
MAY_2024 = Filters(
    created_from=datetime(2024, 5, 1, tzinfo=UTC),
    created_to=datetime(2024, 5, 31, 23, 59, 59, 999999, tzinfo=UTC),
)


def _ids(served: Engine, filters: Filters) -> set[str]:
    result = served.search.search(
        SearchRequest(text="Router startet neu", limit=10, filters=filters, partial=False)
    )
    return {item.thread.id for item in result.items}


def test_a_date_range_keeps_threads_created_within_it_in_utc(
    engine: Engine, tmp_path: Path
) -> None:
    served = engine_on(engine, tmp_path / "data")
    served.indexer().run(THREADS)
    # "june" was created 2024-05-31 22:10 UTC: inside May in UTC, though local time says June.
    assert _ids(served, MAY_2024) == {"may", "june"}
    assert _ids(served, Filters(created_to=datetime(2024, 1, 1, tzinfo=UTC))) == {"old"}
    assert _ids(served, Filters(created_from=datetime(2024, 6, 1, tzinfo=UTC))) == set()
    assert _ids(served, Filters()) == {"old", "may", "june", "undated"}


def test_both_legs_apply_the_range_before_their_top_k(engine: Engine, tmp_path: Path) -> None:
    served = engine_on(engine, tmp_path / "data")
    served.indexer().run(THREADS)
    query = served.analyzer.query("Router startet neu", partial=False)
    vector = served.embedder.embed_query("Router startet neu")
    lexical = served.backend.lexical_top_k(query, 1, MAY_2024)
    nearest = served.backend.vector_top_k(vector, 1, MAY_2024)
    assert [hit.id for hit in lexical] in (["may"], ["june"])
    assert [hit.id for hit in nearest] in (["may"], ["june"])
    unfiltered = served.backend.vector_top_k(vector, 1, Filters())
    assert [hit.id for hit in unfiltered] in (["old"], ["undated"])


def test_upserted_threads_are_filtered_by_date_too(engine: Engine, tmp_path: Path) -> None:
    served = engine_on(engine, tmp_path / "data")
    served.indexer().run(THREADS[:1])
    served.indexer().run(THREADS[1:], mode="upsert")  # these live in the delta segment
    assert _ids(served, MAY_2024) == {"may", "june"}


def test_a_snapshot_without_creation_times_reads_them_from_the_store(
    engine: Engine, tmp_path: Path
) -> None:
    served = engine_on(engine, tmp_path / "data")
    served.indexer().run(THREADS)
    served.close()
    # As a snapshot written before creation times were kept.
    removed = list((tmp_path / "data" / "index").glob(f"gen-*/snapshot-*/{CREATED_FILE}"))
    assert len(removed) == 1
    removed[0].unlink()
    reopened = engine_on(engine, tmp_path / "data")
    assert _ids(reopened, MAY_2024) == {"may", "june"}
    reopened.close()


def test_filters_admit_by_creation_time() -> None:
    inside = Signals("a", created_at="2024-05-10T08:00:00+00:00")
    undated = Signals("b")
    assert MAY_2024.admits(inside)
    assert not MAY_2024.admits(undated)
    assert Filters().admits(undated)
    assert not Filters(created_from=datetime(2024, 5, 11, tzinfo=UTC)).admits(inside)
