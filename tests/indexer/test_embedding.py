"""Embeddings: the fast ONNX path equals sentence-transformers; vectors are cached by content."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.embedding import Embedder, EmbeddingCache, content_hash
from indexer.engine import Engine

TEXTS = [
    "Router verliert ständig die WLAN-Verbindung",
    "How do I move my eSIM to a new iPhone?",
    "Rechnung " * 200,  # longer than the model reads: truncated alike on both paths
    "x",
]


def test_onnx_path_gives_the_vectors_of_sentence_transformers(engine: Engine) -> None:
    embedder = engine.embedder
    reference = embedder._sentence_transformer()  # the library's own encode, same ONNX file
    for text in TEXTS:
        expected = reference.encode([text], normalize_embeddings=True)[0]
        assert float(np.dot(embedder._embed_query(text), expected)) > 0.9999, text


def test_a_text_gets_the_same_vector_as_document_and_as_query(engine: Engine) -> None:
    documents = engine.embedder.embed_documents(TEXTS)
    assert documents.shape == (len(TEXTS), engine.embedder.dimension)
    assert documents.dtype == np.float32
    for text, vector in zip(TEXTS, documents, strict=True):
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
        assert float(np.dot(vector, engine.embedder.embed_query(text))) > 0.9999


def test_int8_vectors_stay_close_to_float32(engine: Engine) -> None:
    float32 = Embedder(engine.settings.model_copy(update={"embedding_runtime": "onnx"}))
    assert float32.model_id != engine.embedder.model_id
    cosines = [
        float(np.dot(float32.embed_query(t), engine.embedder.embed_query(t))) for t in TEXTS[:3]
    ]
    assert min(cosines) > 0.97


def test_query_vectors_are_cached_and_read_only(engine: Engine) -> None:
    first = engine.embedder.embed_query("Passwort vergessen")
    assert engine.embedder.embed_query("Passwort vergessen") is first
    with pytest.raises(ValueError):
        first[0] = 1.0


def test_cache_keys_vectors_by_model_and_content(tmp_path: Path) -> None:
    vector = np.arange(4, dtype=np.float32)
    cache = EmbeddingCache(tmp_path / "c.sqlite", "model-a", 4)
    cache.put_many([(content_hash("hello"), vector)])
    assert np.array_equal(cache.get_many([content_hash("hello")])[content_hash("hello")], vector)
    assert cache.get_many([content_hash("other")]) == {}
    other_model = EmbeddingCache(tmp_path / "c.sqlite", "model-b", 4)
    assert other_model.get_many([content_hash("hello")]) == {}
    wrong_size = EmbeddingCache(tmp_path / "c.sqlite", "model-a", 8)
    assert wrong_size.get_many([content_hash("hello")]) == {}
