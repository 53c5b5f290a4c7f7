"""Any sentence-transformers model on torch: ``embedding_runtime = torch``, for models whose
pipeline the ONNX path does not reproduce (needs the ``sentence-transformers`` extra)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.embedding.encoders import unit_rows
from indexer.errors import ConfigError
from indexer.settings import Settings

EXTRA_HINT = "pip install 'askfind[sentence-transformers]'"


class TorchEncoder:
    def __init__(self, source: str, settings: Settings) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ConfigError(
                f"embedding_runtime = torch needs sentence-transformers: {EXTRA_HINT}"
            ) from e
        self._model = SentenceTransformer(source, device="cpu")
        self._model.max_seq_length = settings.embedding_max_tokens
        self._batch_size = settings.embedding_batch_size
        self.dimension = int(self._model.get_embedding_dimension())

    def embed(self, text: str) -> np.ndarray:
        return self.embed_many([text])[0]

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts), batch_size=self._batch_size, convert_to_numpy=True, show_progress_bar=False
        )
        return unit_rows(vectors)
