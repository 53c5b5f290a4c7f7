"""Searches never fail while a rebuild swaps the alias, whether it started from a clone of
the live index or from an empty one, nor while the old index is deleted."""

from __future__ import annotations

from pathlib import Path

import pytest
from elasticsearch._sync.client.indices import IndicesClient

from indexer.backends.base import IndexedThread
from indexer.backends.elasticsearch import ElasticsearchBackend
from indexer.engine import Engine
from indexer.settings import Settings
from tests.conftest import engine_on
from tests.indexer.backends.continuous_searches import searching
from tests.indexer.backends.elasticsearch.conftest import build
from tests.indexer.backends.test_embedded_switch_searches import EXPECTED

# Every request that changes what the aliases point at, each held until the readers have
# searched after it (a swap split into a removal and an addition is two of them).
STEPS = [
    (IndicesClient, "update_aliases"),
    (IndicesClient, "put_alias"),
    (IndicesClient, "delete_alias"),
    (IndicesClient, "delete"),
]


@pytest.mark.parametrize("start", ["clone", "empty"])
def test_searches_never_fail_while_rebuilds_swap_the_alias(
    start: str,
    engine: Engine,
    backend: ElasticsearchBackend,
    prepared: list[IndexedThread],
    settings: Settings,
    tmp_path: Path,
) -> None:
    build(backend, prepared)
    # An index of another layout (BM25's k1) cannot be cloned: switching between two
    # layouts, every rebuild starts from an empty index.
    other = ElasticsearchBackend(
        settings.model_copy(update={"bm25_k1": settings.bm25_k1 + 0.3}), engine.embedder.dimension
    )
    rebuilders = [backend, backend] if start == "clone" else [other, backend]

    def open_reader() -> Engine:
        same = ("backend", "elasticsearch_url", "elasticsearch_index_prefix")
        return engine_on(
            engine,
            tmp_path / "reader",
            elasticsearch_request_timeout=settings.elasticsearch_request_timeout,
            **{name: getattr(settings, name) for name in same},
        )

    served = []
    with searching(open_reader, EXPECTED, STEPS) as searches:
        before = searches.searches
        for rebuilder in rebuilders:
            with rebuilder.rebuild() as rebuild:
                assert rebuild.cloned == (start == "clone")
                rebuild.add(prepared)
                rebuild.commit()
            served.append(rebuild.index)
    other.close()
    assert not searches.failures, searches.failures[:5]
    # Not vacuous: the alias moved twice, and readers searched after every swap.
    assert backend.live_indices() == {served[-1]} and served[0] != served[1]
    assert searches.searches - before >= 2 * 2 * 2
