"""Agents' duplicate judgements: "thread A is a duplicate of thread B", from the agents' page.

They are feedback like the widget's events and live in the same SQLite file
(``<data_dir>/events.sqlite``, table ``duplicate_judgement``), one row per judgement, so the
history stays. The latest judgement on a thread is the one in force; a judgement with no
``duplicate_of`` withdraws an earlier one. Two readers use them: ranking, which folds a
judged thread into its canonical thread as it does with moderators' ``duplicate_of``
(:class:`JudgedDuplicates`), and the evaluation, which turns them into extra labels.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from indexer.analytics.events import received_stamp
from indexer.errors import SELF_DUPLICATE, DuplicateOfItself, InvalidEvent
from indexer.privacy import redacted_excerpt
from indexer.sqlite_files import connect_wal
from indexer.threads import lone_surrogate_at

JUDGEMENTS_FILE = "events.sqlite"  # the event store's file (indexer.analytics.store)
SCHEMA = """
CREATE TABLE IF NOT EXISTS duplicate_judgement (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,      -- ISO 8601, UTC, from the server's clock
    thread TEXT NOT NULL,           -- the thread judged
    duplicate_of TEXT,              -- its canonical thread; NULL withdraws a judgement
    agent TEXT NOT NULL,            -- who judged (the authenticated name)
    query TEXT NOT NULL             -- what the agent searched for, redacted
);
CREATE INDEX IF NOT EXISTS duplicate_judgement_thread ON duplicate_judgement (thread, id);
"""
BUSY_TIMEOUT_S = 30
MAX_ID_CHARS = 200
MAX_AGENT_CHARS = 200
MAX_QUERY_CHARS = 500


@dataclass(frozen=True, slots=True)
class DuplicateJudgement:
    """One judgement as stored."""

    thread: str
    duplicate_of: str | None
    agent: str
    query: str
    received_at: datetime


class JudgementStore:
    """Reads and writes the judgements of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / JUDGEMENTS_FILE
        self._db = connect_wal(self.path, BUSY_TIMEOUT_S, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(SCHEMA)

    def record(self, thread: str, duplicate_of: str | None, agent: str, query: str = "") -> None:
        """Store a judgement (committed when this returns).

        Raises:
            InvalidEvent: as :func:`check_judgement`.
        """
        check_judgement(thread, duplicate_of, query)
        received_at = received_stamp(datetime.now(UTC))
        row = (
            received_at,
            thread,
            duplicate_of,
            agent[:MAX_AGENT_CHARS],
            redacted_excerpt(query, MAX_QUERY_CHARS),
        )
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO duplicate_judgement (received_at, thread, duplicate_of, agent, query)"
                " VALUES (?, ?, ?, ?, ?)",
                row,
            )

    def links(self) -> dict[str, str]:
        """The judgements in force: thread -> its canonical thread."""
        with self._lock:
            rows = self._db.execute(
                "SELECT thread, duplicate_of FROM duplicate_judgement AS j"
                " WHERE id = (SELECT max(id) FROM duplicate_judgement WHERE thread = j.thread)"
                " AND duplicate_of IS NOT NULL"
            ).fetchall()
        return dict(rows)

    def newest(self) -> int:
        """The id of the newest judgement (0 before the first): the same in every process,
        and it changes with every judgement, a withdrawal included."""
        with self._lock:
            (newest,) = self._db.execute(
                "SELECT coalesce(max(id), 0) FROM duplicate_judgement"
            ).fetchone()
        return int(newest)

    def read(self) -> Iterator[DuplicateJudgement]:
        """Every judgement, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT thread, duplicate_of, agent, query, received_at"
                " FROM duplicate_judgement ORDER BY id"
            ).fetchall()
        for thread, duplicate_of, agent, query, received_at in rows:
            yield DuplicateJudgement(
                thread, duplicate_of, agent, query, datetime.fromisoformat(received_at)
            )

    def forget_queries(self, before: datetime) -> int:
        """Blank the queries of judgements received before ``before`` (retention: the
        verdict stays, what the agent typed goes); returns how many were blanked."""
        cut = received_stamp(before)
        with self._lock:
            with self._db:
                blanked = self._db.execute(
                    "UPDATE duplicate_judgement SET query = ''"
                    " WHERE received_at < ? AND query != ''",
                    (cut,),
                )
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return blanked.rowcount

    def data_version(self) -> int:
        """A number that changes when another connection commits (cheap to poll)."""
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()


class JudgedDuplicates:
    """The judgements in force, for ranking: read once, re-read when the file changes.

    Every search asks for them, so they are kept in memory and refreshed only when SQLite's
    ``data_version`` says another connection wrote (the page's store is one, also in this
    process: ``data_version`` changes only for other connections' commits). Nothing is
    created before the first judgement: until then a search only checks that the file is
    absent.
    """

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = data_dir
        self._store: JudgementStore | None = None
        self._version: int | None = None
        self._links: dict[str, str] = {}
        self._newest = 0
        self._lock = threading.Lock()

    def links(self) -> dict[str, str]:
        with self._lock:
            self._refresh()
            return self._links

    def version(self) -> int:
        """Changes whenever the judgements in force may have: the newest judgement's id,
        which every process reads alike (cached suggestions are keyed by it, so that a
        judgement made through one worker reaches the answers of all of them)."""
        with self._lock:
            self._refresh()
            return self._newest

    def _refresh(self) -> None:
        if self._store is None:
            if not (self._data_dir / JUDGEMENTS_FILE).is_file():
                return
            self._store = JudgementStore(self._data_dir)
        version = self._store.data_version()
        if version != self._version:
            self._links = self._store.links()
            self._newest = self._store.newest()
            self._version = version

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None


def check_judgement(thread: str, duplicate_of: str | None, query: str = "") -> None:
    """Refuse a judgement that cannot be one, before its threads are looked up.

    Raises:
        InvalidEvent: an id is empty or too long, a value holds a lone surrogate (which no
            index, database or log can hold), or a thread is judged its own duplicate.
    """
    _check_id(thread, "thread")
    if duplicate_of is not None:
        _check_id(duplicate_of, "duplicate_of")
        if duplicate_of == thread:
            raise DuplicateOfItself(SELF_DUPLICATE)
    _check_text(query, "query")


def _check_id(value: str, name: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise InvalidEvent(f"{name} must be a thread id")
    if len(value) > MAX_ID_CHARS:
        raise InvalidEvent(f"{name} is longer than {MAX_ID_CHARS} characters")
    _check_text(value, name)


def _check_text(value: str, name: str) -> None:
    if lone_surrogate_at(value) is not None:
        raise InvalidEvent(f"{name} holds a lone surrogate, which is not text")
