"""What the Elasticsearch backend's tests share: settings for a real server under a fresh
prefix (tests/services.py), a client, a backend, and a complete rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from elasticsearch import Elasticsearch

from indexer.backends.base import IndexedThread
from indexer.backends.elasticsearch import ElasticsearchBackend
from indexer.engine import Engine
from indexer.settings import Settings
from tests.conftest import make_settings


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
def backend(settings: Settings, engine: Engine) -> Iterator[ElasticsearchBackend]:
    opened = ElasticsearchBackend(settings, engine.embedder.dimension)
    yield opened
    opened.close()


def build(backend: ElasticsearchBackend, threads: list[IndexedThread]) -> None:
    with backend.rebuild() as rebuild:
        rebuild.add(threads)
        rebuild.commit()


def changed(item: IndexedThread, title_terms: tuple[str, ...]) -> IndexedThread:
    return IndexedThread(
        thread=item.thread.with_changes(title="Glasfaser Störung"),
        terms={**item.terms, "title": title_terms},
        vector=item.vector,
        content_hash="changed",
    )


def vocabulary_in_index(client: Elasticsearch, backend: ElasticsearchBackend) -> dict[str, int]:
    response = client.search(
        index=backend.terms_alias, size=10_000, docvalue_fields=["term", "df"], source=False
    )
    return {h["fields"]["term"][0]: h["fields"]["df"][0] for h in response["hits"]["hits"]}
