"""What every embedding model offers the Embedder: unit vectors of one text or of many."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np


class Encoder(Protocol):
    """One embedding model, loaded and ready."""

    dimension: int

    def embed(self, text: str) -> np.ndarray:
        """The unit vector (float32) of one text: a query, as fast as the model allows."""
        ...

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of documents, one row per text; on one core (the Embedder spreads
        batches over the cores)."""
        ...


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to length 1 (float32); a zero row stays zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    lengths = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(lengths, 1e-12)
