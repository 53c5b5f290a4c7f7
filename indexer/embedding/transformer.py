"""sentence-transformers models on ONNX Runtime, without torch at run time.

A model is converted once (``onnx_files``):

- a BERT sentence encoder (the all-MiniLM family, all-MiniLM-L6-v2 among them) is built
  straight from its weights (``bert_graph``): no torch, ever;
- any other model is exported by sentence-transformers, which needs the
  ``sentence-transformers`` extra (torch) once, at conversion; serving never does.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from indexer.embedding.bert_graph import build_bert_graph, is_bert_sentence_encoder, is_mean_pooling
from indexer.embedding.encoders import unit_rows
from indexer.embedding.onnx_files import FLOAT_FILE, prepared_model, session
from indexer.errors import ConfigError
from indexer.settings import Settings

EXTRA_HINT = "pip install 'askfind[sentence-transformers]'"


class OnnxEncoder:
    """One text at a time through the ONNX model and its tokenizer: no padding, so a text
    gets the same vector whether embedded as a document or as a query (int8 activations
    are quantised per call, and padding would shift them)."""

    def __init__(self, model: Path, settings: Settings, threads: int) -> None:
        from tokenizers import Tokenizer

        folder = model.parent.parent  # FOLDER/onnx/model*.onnx
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(settings.embedding_max_tokens)
        self._tokenizer.no_padding()
        self._session = session(model, threads)
        self._inputs = {item.name for item in self._session.get_inputs()}
        output = self._session.get_outputs()[0]
        # Graphs built here pool and normalise inside (batch x hidden); graphs exported by
        # sentence-transformers give the tokens' vectors (batch x tokens x hidden).
        self._pooled = len(output.shape) == 2
        self.dimension = int(output.shape[-1])

    @classmethod
    def load(cls, source: str, settings: Settings, threads: int) -> OnnxEncoder:
        """The model ``source`` (a name or folder), converted on first use."""
        return cls(
            prepared_model(settings, source, lambda folder: _convert(source, folder)),
            settings,
            threads,
        )

    def embed(self, text: str) -> np.ndarray:
        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.zeros_like(ids)
        out = self._session.run(None, feeds)[0][0]
        return unit_rows(out if self._pooled else out.mean(axis=0))

    def embed_many(self, texts: Sequence[str]) -> np.ndarray:
        return np.vstack([self.embed(text) for text in texts])


def _convert(source: str, target: Path) -> None:
    folder = Path(source)
    if folder.is_dir() and is_bert_sentence_encoder(folder):
        build_bert_graph(folder, target / FLOAT_FILE)
        shutil.copy(folder / "tokenizer.json", target / "tokenizer.json")
    else:
        export_with_sentence_transformers(source, target)


def export_with_sentence_transformers(source: str, target: Path) -> None:
    """Export any mean-pooling sentence-transformers model (needs the extra, i.e. torch)."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as e:
        raise ConfigError(
            f"the model {source!r} is not a BERT sentence encoder askfind can convert by "
            f"itself; converting it needs sentence-transformers: {EXTRA_HINT}"
        ) from e
    model = SentenceTransformer(source, device="cpu", backend="onnx", model_kwargs={"export": True})
    model.save_pretrained(str(target))
    modules = json.loads((target / "modules.json").read_text())
    kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
    pooling = json.loads((target / modules[1]["path"] / "config.json").read_text())
    if kinds[:2] != ["Transformer", "Pooling"] or not is_mean_pooling(pooling):
        raise ConfigError(
            f"the model {source!r} does not pool by the mean of its tokens: run it with "
            "embedding_runtime = torch"
        )
