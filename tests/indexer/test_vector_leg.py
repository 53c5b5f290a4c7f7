"""Questions that share no word with their thread are found by the vector leg alone, on
both backends: a paraphrase, or the same question in the other language.

The relevance guard measures the vector leg too, but only where the evaluation data is;
this test fails at once, everywhere, if the leg's candidates are lost on the way to the
ranker.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer.backends.base import Filters
from indexer.engine import Engine
from indexer.search import SearchRequest
from tests.conftest import engine_on
from tests.indexer.backends.conftest import THREADS

# Question -> the thread that answers it, with no term in common (checked below).
ONLY_SEMANTIC = {
    "My bill is far too expensive this month": "bill-3",  # English for a German thread
    "transfer the digital SIM to my new phone": "esim-4",  # English for a German thread
    "Funkverbindung fällt nachts aus": "wifi-2",  # German for an English thread
}


@pytest.fixture(params=["embedded", "elasticsearch"])
def served(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """The backends' four threads (tests/indexer/backends/conftest.py) on each backend."""
    overrides: dict[str, object] = {"backend": request.param}
    if request.param == "elasticsearch":
        overrides["elasticsearch_url"] = request.getfixturevalue("elasticsearch_url")
        overrides["elasticsearch_index_prefix"] = request.getfixturevalue("elasticsearch_prefix")
    loaded = engine_on(engine, tmp_path / "data", **overrides)
    assert loaded.indexer().run(THREADS).indexed == len(THREADS)
    yield loaded
    loaded.close()


@pytest.mark.parametrize(("question", "thread_id"), ONLY_SEMANTIC.items())
def test_a_question_sharing_no_word_with_its_thread_finds_it(
    served: Engine, question: str, thread_id: str
) -> None:
    query = served.analyzer.query(question, partial=True)
    assert served.backend.lexical_top_k(query, 10, Filters()) == []  # no word in common
    suggested = served.search.search(SearchRequest(question, limit=1, apply_floor=True))
    assert [item.thread.id for item in suggested.items] == [thread_id]
