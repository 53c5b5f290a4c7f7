"""With the sentence-transformers extra (``-m torch``, scripts/test's second run): the graph
askfind builds without torch computes what sentence-transformers computes, and the extra's
own paths (export to ONNX, the torch runtime) work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from indexer.embedding import Embedder
from indexer.embedding.models import minilm_path
from indexer.embedding.onnx_files import FLOAT_FILE
from indexer.embedding.transformer import (
    OnnxEncoder,
    export_with_sentence_transformers,
)
from indexer.engine import Engine

pytestmark = pytest.mark.torch

TEXTS = [
    "Router verliert ständig die WLAN-Verbindung",
    "How do I move my eSIM to a new iPhone?",
    "Rechnung " * 200,
]


@pytest.fixture(scope="module")
def reference() -> object:
    sentence_transformers = pytest.importorskip("sentence_transformers")
    model = sentence_transformers.SentenceTransformer(str(minilm_path()), device="cpu")
    model.max_seq_length = 64
    return model


def _float_minilm(engine: Engine, **overrides: object) -> Embedder:
    return Embedder(
        engine.settings.model_copy(
            update={"embedding_model": "all-MiniLM-L6-v2", "embedding_runtime": "onnx", **overrides}
        )
    )


def test_the_graph_built_without_torch_equals_sentence_transformers(
    engine: Engine, reference: object
) -> None:
    built = _float_minilm(engine)
    for text in TEXTS:
        expected = reference.encode([text], normalize_embeddings=True)[0]  # type: ignore[attr-defined]
        assert float(built.embed_query(text) @ expected) > 0.9999, text


def test_a_model_exported_by_sentence_transformers_runs_on_the_same_encoder(
    engine: Engine, tmp_path: Path, reference: object
) -> None:
    export_with_sentence_transformers(str(minilm_path()), tmp_path)
    exported = OnnxEncoder(tmp_path / FLOAT_FILE, engine.settings, threads=1)
    for text in TEXTS:
        expected = reference.encode([text], normalize_embeddings=True)[0]  # type: ignore[attr-defined]
        assert float(exported.embed(text) @ expected) > 0.9999, text


def test_the_torch_runtime_gives_the_model_s_own_vectors(engine: Engine, reference: object) -> None:
    on_torch = _float_minilm(engine, embedding_runtime="torch")
    vectors = on_torch.embed_documents(TEXTS)
    expected = reference.encode(TEXTS, normalize_embeddings=True)  # type: ignore[attr-defined]
    assert np.allclose((vectors * expected).sum(axis=1), 1.0, atol=1e-4)
