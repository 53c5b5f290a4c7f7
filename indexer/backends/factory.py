"""The one place that picks the backend from the settings."""

from __future__ import annotations

from indexer.backends.base import Backend
from indexer.settings import Settings


def create_backend(settings: Settings, dimension: int) -> Backend:
    """Return the configured backend for vectors of ``dimension``."""
    if settings.backend == "elasticsearch":
        from indexer.backends.elasticsearch import ElasticsearchBackend

        return ElasticsearchBackend(settings, dimension)
    from indexer.backends.embedded.backend import EmbeddedBackend

    return EmbeddedBackend(settings, dimension)
