"""The Elasticsearch backend: versioned indices behind an alias, BM25 and kNN in the cluster."""

from indexer.backends.elasticsearch.backend import ElasticsearchBackend

__all__ = ["ElasticsearchBackend"]
