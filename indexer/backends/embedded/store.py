"""The store of record of one embedded index generation: a SQLite file in WAL mode.

Every thread is one row: its record (JSON), its analysed terms, its vector and the
sequence number of its last change. A change log lets readers in other processes (the
gunicorn workers) catch up with upserts and deletes without rereading the whole index.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer.backends.base import FIELDS, IndexedThread, Signals
from indexer.errors import IndexNotFound
from indexer.sqlite_files import connect_wal
from indexer.threads import Thread, thread_from_record

SCHEMA = """
CREATE TABLE IF NOT EXISTS thread (
    id TEXT PRIMARY KEY,
    record TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    terms TEXT NOT NULL,
    vector BLOB NOT NULL,
    seq INTEGER NOT NULL,
    -- copies of record fields that ranking and filtering read without parsing the record
    solved INTEGER NOT NULL,
    kudos INTEGER NOT NULL,
    views INTEGER NOT NULL,
    replies INTEGER NOT NULL,
    created_at TEXT,
    duplicate_of TEXT,
    board TEXT,
    lang TEXT,
    visibility TEXT, -- the groups allowed to see the thread as a JSON list; NULL: public
    kind TEXT NOT NULL, -- thread or article
    state TEXT NOT NULL, -- open, closed or archived
    solution_at TEXT -- when the accepted solution was written
);
CREATE INDEX IF NOT EXISTS thread_board ON thread (board);
-- Covers signals(): ranking reads these for ~200 candidates per query, and from the table
-- itself SQLite would walk past each row's record, terms and vector to reach them.
CREATE INDEX IF NOT EXISTS thread_signals ON thread (
    id, solved, kudos, views, replies, created_at, duplicate_of, board, lang, visibility,
    kind, state, solution_at
);
CREATE TABLE IF NOT EXISTS change (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL,
    deleted INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
ROW_COLUMNS = "id, terms, vector, board, lang, solved, created_at, visibility"
SIGNAL_COLUMNS = (
    "id, solved, kudos, views, replies, created_at, duplicate_of, board, lang, visibility,"
    " kind, state, solution_at"
)
# Raised with every change of the file's layout. A generation of another layout is not
# served: an older one could not tell restricted threads from public ones.
FORMAT = "3"
FORMAT_KEY = "format"
# SQLite limits host parameters per statement; stay well below.
CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredRow:
    """A row as snapshot building needs it: no record parsing, just terms and vector."""

    id: str
    terms: dict[str, list[str]]
    vector: np.ndarray
    board: str | None
    lang: str | None
    solved: bool
    created_at: str | None = None
    visibility: tuple[str, ...] = ()


class Store:
    """Reads and writes one generation's SQLite file. Writes are serialised by a lock."""

    def __init__(self, path: Path, create: bool = False) -> None:
        if not create and not path.is_file():
            raise FileNotFoundError(path)
        self.path = path
        self._db = connect_wal(path, timeout=30, check_same_thread=False)
        self._lock = threading.RLock()
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")
            if create:
                self._db.executescript(SCHEMA)
                self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (FORMAT_KEY, FORMAT))
                self._db.commit()
            else:
                self._check_format()
            # A store without the covering index (it is only an index: dropped, or not
            # yet made) is read from the table itself, more slowly but rightly.
            covered = self._db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'thread_signals'"
            ).fetchone()
        # SQLite's planner prefers the primary key's index unless told otherwise.
        self._signals_from = "thread INDEXED BY thread_signals" if covered else "thread"

    def _check_format(self) -> None:
        """Refuse a store of another layout, with what to do about it.

        Raises:
            IndexNotFound: the file was written by another version of askfind.
        """
        found = None
        if self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (FORMAT_KEY,)).fetchone()
            found = row[0] if row else None
        if found != FORMAT:
            self._db.close()
            raise IndexNotFound(
                f"the index in {self.path.parent.parent} was written by another version of "
                f"askfind (format {found or 1}, this one reads {FORMAT}: threads now carry "
                "a visibility, a type and a state): rebuild it with `askfind index`"
            )

    # --- writing ---------------------------------------------------------------------

    def upsert(self, threads: Sequence[IndexedThread], log_changes: bool = True) -> None:
        """Insert or replace rows, logging each change so readers can follow."""
        with self._lock, self._db:
            for indexed in threads:
                seq = self._log(indexed.thread.id, deleted=False) if log_changes else 0
                thread = indexed.thread
                self._db.execute(
                    f"INSERT OR REPLACE INTO thread VALUES ({_marks(range(18))})",
                    (
                        thread.id,
                        json.dumps(thread.to_record(), ensure_ascii=False),
                        indexed.content_hash,
                        json.dumps({f: " ".join(indexed.terms.get(f, ())) for f in FIELDS}),
                        np.asarray(indexed.vector, dtype=np.float32).tobytes(),
                        seq,
                        int(thread.solved),
                        thread.kudos,
                        thread.views,
                        thread.replies,
                        thread.created_at,
                        thread.duplicate_of,
                        thread.board,
                        thread.lang,
                        json.dumps(thread.visibility) if thread.visibility else None,
                        thread.kind,
                        thread.state,
                        thread.solution_at,
                    ),
                )

    def delete(self, ids: Sequence[str]) -> int:
        """Delete rows; returns how many existed."""
        removed = 0
        with self._lock, self._db:
            for thread_id in ids:
                cursor = self._db.execute("DELETE FROM thread WHERE id = ?", (thread_id,))
                if cursor.rowcount:
                    removed += 1
                    self._log(thread_id, deleted=True)
        return removed

    def _log(self, thread_id: str, deleted: bool) -> int:
        cursor = self._db.execute(
            "INSERT INTO change (id, deleted) VALUES (?, ?)", (thread_id, int(deleted))
        )
        return int(cursor.lastrowid or 0)

    def set_meta(self, key: str, value: str) -> None:
        with self._lock, self._db:
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- reading ---------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def threads(self, ids: Sequence[str]) -> dict[str, Thread]:
        """Parse and return the records of those ids that exist."""
        return {
            thread_id: thread_from_record(json.loads(record))
            for thread_id, record in self._by_ids("id, record", ids)
        }

    def signals(self, ids: Sequence[str]) -> dict[str, Signals]:
        rows = self._by_ids(SIGNAL_COLUMNS, ids, source=self._signals_from)
        return {
            row[0]: Signals(row[0], bool(row[1]), *row[2:9], _groups(row[9]), *row[10:])
            for row in rows
        }

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        return dict(self._by_ids("id, content_hash", ids))

    def indexed(self, ids: Sequence[str]) -> dict[str, IndexedThread]:
        """The rows of those ids that exist, as they were indexed."""
        return {
            thread_id: IndexedThread(
                thread=thread_from_record(json.loads(record)),
                terms={name: tuple(text.split()) for name, text in json.loads(terms).items()},
                vector=np.frombuffer(vector, dtype=np.float32),
                content_hash=content_hash,
            )
            for thread_id, record, content_hash, terms, vector in self._by_ids(
                "id, record, content_hash, terms, vector", ids
            )
        }

    def copy_from(self, other: Path, ids: Sequence[str]) -> None:
        """Copy rows of another store file as they are (no change log: a new generation)."""
        with self._lock:
            self._db.execute("ATTACH DATABASE ? AS other", (str(other),))
            try:
                with self._db:
                    for chunk in _chunks(list(dict.fromkeys(ids))):
                        self._db.execute(
                            "INSERT OR REPLACE INTO main.thread SELECT id, record, content_hash,"
                            " terms, vector, 0, solved, kudos, views, replies, created_at,"
                            " duplicate_of, board, lang, visibility, kind, state, solution_at"
                            " FROM other.thread"
                            f" WHERE id IN ({_marks(chunk)})",
                            chunk,
                        )
            finally:
                self._db.execute("DETACH DATABASE other")

    def _by_ids(self, columns: str, ids: Sequence[str], source: str = "thread") -> list[tuple]:
        """``SELECT columns`` of the rows of those ids that exist, a chunk of ids at a time."""
        rows: list[tuple] = []
        for chunk in _chunks(list(dict.fromkeys(ids))):
            with self._lock:
                rows += self._db.execute(
                    f"SELECT {columns} FROM {source} WHERE id IN ({_marks(chunk)})", chunk
                ).fetchall()
        return rows

    def rows(self, ids: Sequence[str] | None = None) -> Iterator[StoredRow]:
        """Yield rows for building search structures: all of them, or those of ``ids``.

        All of them come in the order of their ids, whatever order they were written in:
        a snapshot's positions then depend on its threads alone, so a rebuild of unchanged
        threads lays them out as the live snapshot did and its vector codes serve again (in
        the order of writing, the rows a rebuild carried over came sorted by id a chunk at
        a time, and at a million threads the HNSW graph of then was built again: still
        building after 13 minutes). Scanning the id index costs no more than the table
        (1.5 s against 1.7 s for 200,000 rows of the benchmark's million, from the page
        cache)."""
        if ids is None:
            with self._lock:
                # A separate cursor on the same connection: fine for one reader at a time.
                cursor = self._db.execute(f"SELECT {ROW_COLUMNS} FROM thread ORDER BY id")
                batch = cursor.fetchmany(1000)
                while batch:
                    yield from (_stored_row(*row) for row in batch)
                    batch = cursor.fetchmany(1000)
            return
        yield from (_stored_row(*row) for row in self._by_ids(ROW_COLUMNS, ids))

    def boards(self) -> frozenset[str]:
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT board FROM thread WHERE board IS NOT NULL"
            ).fetchall()
        return frozenset(row[0] for row in rows)

    def created_times(self, ids: Sequence[str]) -> dict[str, str | None]:
        """``created_at`` of those ids that exist (for snapshots written before it was kept)."""
        return dict(self._by_ids("id, created_at", ids))

    def ids(self) -> Iterator[str]:
        with self._lock:
            rows = self._db.execute("SELECT id FROM thread ORDER BY id").fetchall()
        yield from (row[0] for row in rows)

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM thread").fetchone()[0])

    def last_seq(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT max(seq) FROM change").fetchone()
        return int(row[0] or 0)

    def changes_since(self, seq: int) -> list[tuple[int, str, bool]]:
        """The (seq, id, deleted) changes after ``seq``, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, id, deleted FROM change WHERE seq > ? ORDER BY seq", (seq,)
            ).fetchall()
        return [(int(s), thread_id, bool(d)) for s, thread_id, d in rows]

    def data_version(self) -> int:
        """A number that changes when another connection commits (cheap to poll)."""
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _stored_row(
    thread_id: str,
    terms: str,
    vector: bytes,
    board: str | None,
    lang: str | None,
    solved: int,
    created_at: str | None,
    visibility: str | None,
) -> StoredRow:
    parsed = {name: text.split() for name, text in json.loads(terms).items()}
    vector_array = np.frombuffer(vector, dtype=np.float32)
    return StoredRow(
        thread_id, parsed, vector_array, board, lang, bool(solved), created_at, _groups(visibility)
    )


def _groups(visibility: str | None) -> tuple[str, ...]:
    """The groups of the ``visibility`` column (NULL: public)."""
    return tuple(json.loads(visibility)) if visibility else ()


def _chunks(items: list[str]) -> Iterator[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _marks(chunk: Sequence[object]) -> str:
    return ",".join("?" * len(chunk))
