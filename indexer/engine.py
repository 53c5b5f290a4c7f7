"""Everything a process needs to index and search, built once from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from indexer.analysis.analyzer import Analyzer
from indexer.backends.base import Backend
from indexer.backends.factory import create_backend
from indexer.embedding import Embedder, EmbeddingCache
from indexer.pipeline import Indexer, ThreadPreparer
from indexer.search import SearchService
from indexer.settings import Settings

EMBEDDING_CACHE_FILE = "embeddings.sqlite"


@dataclass
class Engine:
    """The analyser, model, backend and services of one process (loading them is slow:
    the model and the word lists take a second or more, so build an Engine once)."""

    settings: Settings
    analyzer: Analyzer
    embedder: Embedder
    backend: Backend
    search: SearchService
    _cache: EmbeddingCache | None = field(default=None, repr=False)

    def indexer(self) -> Indexer:
        """An indexer writing to this engine's backend, sharing its embedding cache."""
        if self._cache is None:
            self._cache = EmbeddingCache(
                self.settings.data_dir / EMBEDDING_CACHE_FILE,
                self.embedder.model_id,
                self.embedder.dimension,
            )
        preparer = ThreadPreparer(self.settings, self.analyzer, self.embedder, self._cache)
        return Indexer(self.backend, preparer)

    @contextmanager
    def writer(self) -> Iterator[Indexer]:
        """An indexer with an embedding cache of its own, closed when the block ends.

        For writes from a server's request threads: a SQLite connection may only be used
        by the thread that opened it, so the engine's shared cache will not do there.
        """
        cache = EmbeddingCache(
            self.settings.data_dir / EMBEDDING_CACHE_FILE,
            self.embedder.model_id,
            self.embedder.dimension,
        )
        try:
            preparer = ThreadPreparer(self.settings, self.analyzer, self.embedder, cache)
            yield Indexer(self.backend, preparer)
        finally:
            cache.close()

    def close(self) -> None:
        self.backend.close()
        if self._cache is not None:
            self._cache.close()


def open_engine(settings: Settings) -> Engine:
    analyzer = Analyzer(settings)
    embedder = Embedder(settings)
    backend = create_backend(settings, embedder.dimension)
    return Engine(
        settings=settings,
        analyzer=analyzer,
        embedder=embedder,
        backend=backend,
        search=SearchService(settings, analyzer, embedder, backend),
    )
