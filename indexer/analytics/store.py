"""Durable storage of analytics events: one SQLite file in the data dir (embedded setups).

Query text is redacted here, on the way in, so nothing that reaches the file can hold
personal data whoever the writer is. Writes go through one connection under a lock (one
writer per process); gunicorn's workers share the file through WAL and a busy timeout.
An event is committed before :meth:`SqliteEventStore.add` returns: the service answers
only for events that are on disk. Purged events are overwritten, not only unlinked
(``secure_delete``), so that their bytes do not linger in free pages of the file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from indexer.analytics.events import (
    EVENT_TYPES,
    Event,
    StoredEvent,
    received_before,
    received_stamp,
)
from indexer.errors import BackendUnavailable
from indexer.privacy import redact, redacted_or_none
from indexer.settings import Settings
from indexer.sqlite_files import connect_wal

EVENTS_FILE = "events.sqlite"
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,      -- ISO 8601, UTC, from the server's clock
    type TEXT NOT NULL,
    session TEXT NOT NULL,
    query TEXT NOT NULL,            -- redacted
    lang TEXT,
    board TEXT,
    thread TEXT,
    rank INTEGER,
    helpful INTEGER,
    results TEXT NOT NULL,          -- JSON list of thread ids (impressions)
    origin TEXT                     -- the page's origin, as the browser sent it
);
CREATE INDEX IF NOT EXISTS event_received_at ON event (received_at);
CREATE INDEX IF NOT EXISTS event_session ON event (session);
"""
BUSY_TIMEOUT_S = 30
READ_PAGE = 10_000


class EventStore(Protocol):
    """Where events go. The embedded store is SQLite; a search cluster may keep its own."""

    def add(self, events: Sequence[Event], origin: str | None = None) -> None: ...

    def read(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        types: Sequence[str] | None = None,
    ) -> Iterator[StoredEvent]:
        """Events received in [since, until) (of ``types`` only, if given)."""
        ...

    def purge(self, before: datetime) -> int:
        """Delete the events received before ``before``; returns how many."""
        ...

    def close(self) -> None: ...


class SqliteEventStore:
    """Events in ``<data_dir>/events.sqlite``."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = connect_wal(path, BUSY_TIMEOUT_S, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def add(self, events: Sequence[Event], origin: str | None = None) -> None:
        """Store events (their query redacted), committed when this returns."""
        received_at = received_stamp(datetime.now(UTC))
        rows = [
            (
                received_at,
                event.type,
                event.session,
                redact(event.query),
                event.lang,
                redacted_or_none(event.board),
                event.thread,
                event.rank,
                None if event.helpful is None else int(event.helpful),
                json.dumps(list(event.results), ensure_ascii=False),
                origin,
            )
            for event in events
        ]
        try:
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT INTO event (received_at, type, session, query, lang, board, thread,"
                    " rank, helpful, results, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except sqlite3.Error as e:  # locked past the busy timeout, disk full, ...
            raise BackendUnavailable(f"the event store {self.path} cannot be written: {e}") from e

    def read(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        types: Sequence[str] | None = None,
    ) -> Iterator[StoredEvent]:
        """Events received in [since, until) (of ``types`` only, if given), oldest first.

        Read in pages, so a report over months of events does not hold them all at once,
        each page after the last (time, id) read: in the order of the index on the time,
        so a short period (a day of the dashboard's series) reads that day's rows only
        (ordered by id, SQLite would walk the table from its first row instead).
        """
        low = received_stamp(since) if since else ""
        high = received_before(until) if until else "9999"
        kinds = tuple(types) if types is not None else EVENT_TYPES
        sql = (
            "SELECT * FROM event WHERE (received_at, id) > (?, ?) AND received_at < ?"
            f" AND type IN ({','.join('?' * len(kinds))}) ORDER BY received_at, id LIMIT ?"
        )
        after = (low, 0)  # ids start at 1: the first page starts at since itself
        while True:
            with self._lock:
                rows = self._db.execute(sql, (*after, high, *kinds, READ_PAGE)).fetchall()
            for row in rows:
                yield _stored(row)
            if len(rows) < READ_PAGE:
                return
            after = (rows[-1][1], rows[-1][0])

    def purge(self, before: datetime) -> int:
        """Delete the events received before ``before``, zeroing their pages, and move
        what the write-ahead log holds into the file (where the zeros are)."""
        cut = received_stamp(before)
        try:
            with self._lock:
                with self._db:
                    deleted = self._db.execute("DELETE FROM event WHERE received_at < ?", (cut,))
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as e:
            raise BackendUnavailable(f"the event store {self.path} cannot be purged: {e}") from e
        return deleted.rowcount

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_event_store(settings: Settings) -> EventStore:
    """The event store for these settings: an events index next to the threads on the
    Elasticsearch backend, SQLite in the data dir otherwise."""
    if settings.backend == "elasticsearch":
        from indexer.analytics.elasticsearch_store import ElasticsearchEventStore

        return ElasticsearchEventStore(settings)
    return SqliteEventStore(settings.data_dir / EVENTS_FILE)


def _stored(row: tuple[Any, ...]) -> StoredEvent:
    (row_id, received_at, kind, session, query, lang, board, thread, rank, helpful,
     results, origin) = row  # fmt: skip
    event = Event(
        type=kind,
        session=session,
        query=query,
        lang=lang,
        board=board,
        thread=thread,
        rank=rank,
        helpful=None if helpful is None else bool(helpful),
        results=tuple(json.loads(results)),
    )
    return StoredEvent(row_id, datetime.fromisoformat(received_at), event, origin)
