"""The Embedder: one vector per text for queries and documents, from one model or an ensemble."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

from indexer.embedding.models import ModelPart, canonical, load_encoder, parse_models
from indexer.errors import ConfigError
from indexer.settings import Settings

QUERY_CACHE_SIZE = 4096
# Documents handed to a core at a time: enough for the models' batching to pay off.
DOCUMENT_CHUNK = 32
# Bump when the way texts become vectors changes (not the model): cached vectors expire.
ENCODING_VERSION = "5"  # 5: int8 weights in 7 bits


def language_bucket(languages: Sequence[str]) -> str:
    """Which of ``embedding_language_shares`` a query takes: its language, when the
    analyser is sure of one; "" (the shares of ``embedding_model``) otherwise."""
    return languages[0] if len(languages) == 1 else ""


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
        # Per language, what each dimension of a query vector is multiplied by so that its
        # dot product with a document weighs the models' cosines by that language's shares.
        self._language_factors = {
            lang: self._factors(lang, shares)
            for lang, shares in settings.embedding_language_shares.items()
        }
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self.embed_query = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Return one unit vector (float32) per text, in order."""
        return self.start_documents(texts)()

    def start_documents(self, texts: Sequence[str]) -> Callable[[], np.ndarray]:
        """Start embedding documents on the embedder's threads; the function returned
        waits for their vectors (as ``embed_documents`` returns them)."""
        if not texts:
            return lambda: np.zeros((0, self.dimension), dtype=np.float32)
        chunks = [texts[i : i + DOCUMENT_CHUNK] for i in range(0, len(texts), DOCUMENT_CHUNK)]
        pending = [self._documents().submit(self._embed_chunk, chunk) for chunk in chunks]
        return lambda: np.vstack([future.result() for future in pending])

    def for_language(self, vector: np.ndarray, bucket: str) -> tuple[np.ndarray, float]:
        """A query vector whose dot products weigh the models' cosines by the shares of
        the query's language (``embedding_language_shares``), as a unit vector and its
        length: the backends search with the unit vector, and its cosines times the
        length are the weighted cosines.

        Documents are embedded once, with the shares of ``embedding_model``; a query
        re-weighs them by scaling its own parts, so German questions can lean on the
        multilingual model and English ones on the English model over the same index.
        """
        factors = self._language_factors.get(bucket)
        if factors is None:
            return vector, 1.0
        weighted = vector * factors
        length = float(np.linalg.norm(weighted))
        return (weighted / length).astype(np.float32), length

    def _factors(self, lang: str, shares: Sequence[float]) -> np.ndarray:
        if len(shares) != len(self.parts) or min(shares) < 0 or sum(shares) <= 0:
            raise ConfigError(
                f"embedding_language_shares[{lang!r}]: {len(self.parts)} non-negative shares, "
                f"one per model of embedding_model, are needed"
            )
        total = sum(shares)
        return np.concatenate(
            [
                np.full(encoder.dimension, share / total / part.weight, dtype=np.float32)
                for encoder, share, part in zip(self._encoders, shares, self.parts, strict=True)
            ]
        )

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
