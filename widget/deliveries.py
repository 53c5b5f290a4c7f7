"""Which webhook deliveries were applied, so that none is applied twice (replays).

A delivery id is remembered for ``hook_delivery_memory_seconds`` in ``hooks.sqlite`` in
the data directory (shared by the workers of one host, kept over restarts) and, when
Redis is configured, in Redis too (shared by every host). A delivery is new only if
neither has seen it; while Redis is away the file decides alone.

An id is claimed *before* the delivery is applied, atomically in each store, so of two
workers receiving the same delivery at once only one applies it. If applying fails, the
claim is released: the sender's retry of a delivery that failed is no replay.
"""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

from flask import Flask

from indexer.settings import Settings
from indexer.sqlite_files import connect_wal
from widget.context import engine_of
from widget.redis_link import RedisLink
from widget.runtime import runtime_of

DELIVERIES_FILE = "hooks.sqlite"
BUSY_TIMEOUT_S = 5.0
STORE_KEY = "askfind.deliveries"
SCHEMA = """
CREATE TABLE IF NOT EXISTS delivery (key TEXT PRIMARY KEY, expires REAL NOT NULL);
CREATE INDEX IF NOT EXISTS delivery_expires ON delivery (expires);
"""
_store_lock = threading.Lock()


class DeliveryLog:
    """Claims on delivery ids, in a SQLite file and (if configured) in Redis."""

    def __init__(self, data_dir: Path, redis: RedisLink, scope: str, memory_seconds: int) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / DELIVERIES_FILE
        self._redis = redis
        self._prefix = f"askfind:delivery:{scope}:"
        self._memory_seconds = memory_seconds
        self._lock = threading.Lock()
        self._db = connect_wal(self.path, BUSY_TIMEOUT_S, check_same_thread=False)
        with self._lock, self._db:
            self._db.executescript(SCHEMA)

    def claim(self, key: str) -> bool:
        """Claim the delivery ``key``: True if no store has seen it within the memory."""
        now = time.time()
        with self._lock, self._db:
            self._db.execute("DELETE FROM delivery WHERE expires < ?", (now,))
            inserted = self._db.execute(
                "INSERT INTO delivery (key, expires) VALUES (?, ?) ON CONFLICT (key) DO NOTHING",
                (key, now + self._memory_seconds),
            ).rowcount
        if not inserted:
            return False
        # Another host may have applied it; Redis away: the file alone decides.
        return self._redis.run(
            lambda r: bool(r.set(self._prefix + key, 1, nx=True, ex=self._memory_seconds)), True
        )

    def release(self, key: str) -> None:
        """Forget a claim whose delivery was not applied (the sender may try again)."""
        with self._lock, self._db:
            self._db.execute("DELETE FROM delivery WHERE key = ?", (key,))
        self._redis.run(lambda r: r.delete(self._prefix + key), 0)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def delivery_log_of(app: Flask) -> DeliveryLog:
    """The app's delivery log, opened on the first delivery (most processes never get one)."""
    with _store_lock:
        if STORE_KEY not in app.extensions:
            settings = engine_of(app).settings
            app.extensions[STORE_KEY] = DeliveryLog(
                settings.data_dir,
                runtime_of(app).redis,
                community_scope(settings),
                settings.hook_delivery_memory_seconds,
            )
        log: DeliveryLog = app.extensions[STORE_KEY]
        return log


def community_scope(settings: Settings) -> str:
    """A short name for the communities this service follows: delivery ids count per
    community, and two services sharing one Redis may follow different ones."""
    communities = f"{settings.discourse_url}|{settings.khoros_url}"
    return hashlib.sha256(communities.encode("utf-8")).hexdigest()[:12]
