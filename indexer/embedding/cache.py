"""Document vectors cached by (model, content hash), so that no text is embedded twice."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from indexer.sqlite_files import connect_wal

# Hashes asked for in one statement (SQLite's limit on bound parameters is 32,766).
LOOKUP_CHUNK = 500


def content_hash(text: str) -> str:
    """Stable key of a text for the embedding cache."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


class EmbeddingCache:
    """Document vectors by (model, content hash) in SQLite.

    The model id names everything that shapes a vector (models, weights, runtime,
    truncation), so another model never reads this one's vectors: changing the model
    re-embeds on the next reindex.
    """

    def __init__(self, path: Path, model_id: str, dimension: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = connect_wal(path, timeout=30)
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
        for start in range(0, len(wanted), LOOKUP_CHUNK):
            chunk = wanted[start : start + LOOKUP_CHUNK]
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
