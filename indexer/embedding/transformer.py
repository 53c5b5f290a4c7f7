"""sentence-transformers models on ONNX Runtime: prepared once per model, then run without
torch.

Preparation turns a model into an ONNX file in ``model_cache_dir``, once, under a file
lock so concurrent processes do not collide:

- a BERT sentence encoder (the all-MiniLM family, the bundled default among them) is
  built straight from its weights (``bert_graph``): no torch, ever;
- any other model is exported by sentence-transformers, which needs the
  ``sentence-transformers`` extra (torch) once, at preparation; serving never does.

``onnx-int8`` then quantises the weights to int8, per output channel (Jacob et al. 2018;
ONNX Runtime's dynamic quantisation): a query takes about half the time of float32, and
vectors stay within cosine ~0.99 of float32 (``tests/indexer/test_embedding.py``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedding.bert_graph import build_bert_graph, is_bert_sentence_encoder, is_mean_pooling
from indexer.embedding.encoders import unit_rows
from indexer.errors import ConfigError
from indexer.settings import Settings

log = logging.getLogger(__name__)

FLOAT_FILE = "onnx/model.onnx"
INT8_FILE = "onnx/model_qint8_per_channel.onnx"
EXTRA_HINT = "pip install 'askfind[sentence-transformers]'"


def prepared_model(settings: Settings, source: str) -> tuple[Path, str]:
    """The folder (tokenizer.json, onnx/...) and ONNX file of ``source`` for the configured
    runtime, made on first use."""
    folder = _exported(settings, source)
    if settings.embedding_runtime == "onnx-int8":
        return folder, _quantized(folder)
    return folder, FLOAT_FILE


class OnnxEncoder:
    """One text at a time through the ONNX model and its tokenizer: no padding, so a text
    gets the same vector whether embedded as a document or as a query (int8 activations
    are quantised per call, and padding would shift them)."""

    def __init__(self, folder: Path, file_name: str, settings: Settings, threads: int) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(settings.embedding_max_tokens)
        self._tokenizer.no_padding()
        self._session = onnxruntime.InferenceSession(
            str(folder / file_name),
            session_options(threads),
            providers=["CPUExecutionProvider"],
        )
        self._inputs = {item.name for item in self._session.get_inputs()}
        output = self._session.get_outputs()[0]
        # Graphs built here pool and normalise inside (batch x hidden); graphs exported by
        # sentence-transformers give the tokens' vectors (batch x tokens x hidden).
        self._pooled = len(output.shape) == 2
        self.dimension = int(output.shape[-1])

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


def session_options(threads: int) -> Any:
    """ONNX Runtime options: ``threads`` intra-op threads (0: one per core), no spinning."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # ONNX Runtime's threads busy-wait for more work after each run by default. A query is
    # one run, and the spinning then takes the cores from what the request does next (the
    # search; Elasticsearch on the same machine): on two cores, not spinning halved the
    # latency of the Elasticsearch requests that follow and lowered the embedding's own
    # p95 (9.6 against 15-21 ms, measured under load).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3  # ONNX Runtime's notes on unused initialisers are noise
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return options


def _exported(settings: Settings, source: str) -> Path:
    """The model as ONNX in ``model_cache_dir``: built (BERT) or exported (others), once."""
    slug = hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
    target = settings.model_cache_dir / f"{Path(source).name}-{slug}"
    if (target / FLOAT_FILE).is_file():
        return target
    with _locked(target):
        if (target / FLOAT_FILE).is_file():
            return target
        # Written aside and renamed, so a crash never leaves a half-written model behind.
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".export-"))
        try:
            folder = Path(source)
            if folder.is_dir() and is_bert_sentence_encoder(folder):
                log.info("building the ONNX graph of %s in %s (once)", source, target)
                build_bert_graph(folder, scratch / FLOAT_FILE)
                shutil.copy(folder / "tokenizer.json", scratch / "tokenizer.json")
            else:
                log.info("exporting %s to ONNX in %s (once)", source, target)
                _export_with_sentence_transformers(source, scratch)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(scratch, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def _export_with_sentence_transformers(source: str, target: Path) -> None:
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


def _quantized(folder: Path) -> str:
    """The int8 model file next to the float one, quantised once."""
    if (folder / INT8_FILE).is_file():
        return INT8_FILE
    with _locked(folder / INT8_FILE):
        if not (folder / INT8_FILE).is_file():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            log.info("quantising %s to int8 (once)", folder)
            scratch = folder / f"{INT8_FILE}.partial"
            quantize_dynamic(
                folder / FLOAT_FILE, scratch, weight_type=QuantType.QInt8, per_channel=True
            )
            os.replace(scratch, folder / INT8_FILE)
    return INT8_FILE


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
