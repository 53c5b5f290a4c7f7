"""The Embedder: one vector per text for queries and documents, from one model or an ensemble."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

from indexer.embedding.models import ModelPart, canonical, load_encoder, parse_models
from indexer.settings import Settings

QUERY_CACHE_SIZE = 4096
# Documents handed to a core at a time: enough for the models' batching to pay off.
DOCUMENT_CHUNK = 32
# Bump when the way texts become vectors changes (not the model): cached vectors expire.
ENCODING_VERSION = "3"


class Embedder:
    """Embed documents and queries into unit vectors (float32).

    With several models, a text's vector is the concatenation of each model's unit
    vector times the square root of its weight (``indexer.embedding.models``): still a
    unit vector, whose dot product with another is the weighted mean of the models'
    cosines. Every model runs on one core per text; documents are spread over one
    thread per core (``embedding_threads``), and a text gets the same vector as a
    document and as a query.
    """

    def __init__(self, settings: Settings) -> None:
        # Never reach for the network: the model is local or it is an error.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.settings = settings
        parts = parse_models(settings.embedding_model)
        self.model_name = canonical(parts)
        # Cache keys change whenever a vector could: another model, runtime or truncation.
        self.model_id = "|".join(
            [
                self.model_name,
                settings.embedding_runtime,
                str(settings.embedding_max_tokens),
                ENCODING_VERSION,
            ]
        )
        self.parts: tuple[ModelPart, ...] = parts
        self._encoders = [load_encoder(part.name, settings, threads=1) for part in parts]
        self._scales = [float(np.sqrt(part.weight)) for part in parts]
        self.dimension = sum(encoder.dimension for encoder in self._encoders)
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.embed_query = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Return one unit vector (float32) per text, in order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        chunks = [texts[i : i + DOCUMENT_CHUNK] for i in range(0, len(texts), DOCUMENT_CHUNK)]
        return np.vstack(list(self._documents().map(self._embed_chunk, chunks)))

    def split(self, vectors: np.ndarray) -> list[np.ndarray]:
        """Each model's own unit vectors within ensemble vectors (rows), in the order of
        ``parts``: what the tuner weighs anew (``indexer.evaluation.tuning``)."""
        pieces, start = [], 0
        for encoder, scale in zip(self._encoders, self._scales, strict=True):
            pieces.append(vectors[..., start : start + encoder.dimension] / scale)
            start += encoder.dimension
        return pieces

    def _embed_query(self, text: str) -> np.ndarray:
        vector = np.concatenate(
            [
                scale * encoder.embed(text)
                for encoder, scale in zip(self._encoders, self._scales, strict=True)
            ]
        ).astype(np.float32)
        vector.setflags(write=False)  # shared through the cache: nobody may change it
        return vector

    def _embed_chunk(self, texts: Sequence[str]) -> np.ndarray:
        return np.hstack(
            [
                scale * encoder.embed_many(texts)
                for encoder, scale in zip(self._encoders, self._scales, strict=True)
            ]
        ).astype(np.float32)

    def _documents(self) -> ThreadPoolExecutor:
        """The threads that embed documents, made on first use (a serving process that
        only answers queries never starts them)."""
        with self._lock:
            if self._pool is None:
                workers = self.settings.embedding_threads or os.cpu_count() or 1
                self._pool = ThreadPoolExecutor(workers, "askfind-embed")
            return self._pool
