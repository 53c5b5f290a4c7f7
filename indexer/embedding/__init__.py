"""Sentence embeddings of threads and queries, and the cache that keeps them.

The default model knows German and English and matches across them (DESIGN.md decision
6): an ensemble of Google's multilingual Universal Sentence Encoder and
all-MiniLM-L6-v2, both with their weights inside Python packages and both run without
torch (numpy; ONNX Runtime with int8 weights). Any sentence-transformers model can be
named instead (``indexer.embedding.models``).
"""

from indexer.embedding.cache import EmbeddingCache, content_hash
from indexer.embedding.embedder import Embedder

__all__ = ["Embedder", "EmbeddingCache", "content_hash"]
