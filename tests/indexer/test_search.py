"""The search service end to end: community priors and duplicates decide between equals."""

from __future__ import annotations

from pathlib import Path

from indexer.engine import Engine
from indexer.search import SearchRequest
from tests.conftest import engine_on, thread

SAME = {
    "title": "Router startet ständig neu",
    "body": "Seit dem Update bootet die Box jede Stunde.",
}


def _ids(served: Engine, text: str, **request: object) -> list[str]:
    result = served.search.search(SearchRequest(text=text, limit=10, partial=False, **request))
    return [item.thread.id for item in result.items]


def test_an_accepted_solution_outranks_an_equally_similar_unsolved_thread(
    engine: Engine, tmp_path: Path
) -> None:
    served = engine_on(engine, tmp_path / "data")
    served.indexer().run(
        [
            thread("open", **SAME),
            thread("solved", **SAME, solved=True, accepted_answer={"body": "Firmware 7.2 hilft."}),
            thread("other", "Rechnung doppelt abgebucht"),
        ]
    )
    assert _ids(served, "Router startet neu")[:2] == ["solved", "open"]


def test_kudos_and_views_break_ties_but_never_beat_relevance(
    engine: Engine, tmp_path: Path
) -> None:
    served = engine_on(engine, tmp_path / "data")
    served.indexer().run(
        [
            thread("quiet", **SAME),
            thread("popular", **SAME, kudos=400, views=90000),
            thread("famous-but-off-topic", "Rechnung doppelt abgebucht", kudos=1000, views=10**6),
        ]
    )
    assert _ids(served, "Router startet neu")[:2] == ["popular", "quiet"]


def test_a_duplicate_cluster_shows_once_as_its_canonical_thread(
    engine: Engine, tmp_path: Path
) -> None:
    served = engine_on(engine, tmp_path / "data")
    served.indexer().run(
        [
            thread(
                "canonical",
                "eSIM auf neues iPhone übertragen",
                solved=True,
                accepted_answer={"body": "Im Kundencenter neu anfordern."},
            ),
            thread("dup-1", "eSIM umziehen auf neues iPhone geht nicht", duplicate_of="canonical"),
            thread("dup-2", "eSIM transfer to new iPhone", duplicate_of="canonical"),
        ]
    )
    result = served.search.search(
        SearchRequest(text="eSIM neues iPhone übertragen", limit=10, partial=False)
    )
    assert [item.thread.id for item in result.items] == ["canonical"]
    assert result.items[0].ranked.duplicates == 2
