"""Opening the SQLite files that several processes share (events, judgements, rules, the
embedded index, the embedding cache, webhook deliveries) in WAL mode.

Switching a new file to WAL takes a lock no other connection may hold. When two
connections open a new file at once - the first requests of two gunicorn workers, the
feedback refresher beside a request - SQLite may answer one of them "database is locked"
at once, without waiting its busy timeout (it would otherwise risk a deadlock). That one
tries again here, until the timeout, instead of failing a request with a 500.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

# The first retry comes soon (the other connection needs milliseconds), later ones less often.
FIRST_PAUSE_S = 0.005
LONGEST_PAUSE_S = 0.1


def connect_wal(path: Path, timeout: float, check_same_thread: bool = True) -> sqlite3.Connection:
    """A connection to ``path`` in WAL mode; ``timeout``: SQLite's busy timeout, and how
    long the switch to WAL is retried.

    Raises:
        sqlite3.OperationalError: the file stayed locked for ``timeout`` seconds, or
            cannot be opened.
    """
    db = sqlite3.connect(path, timeout=timeout, check_same_thread=check_same_thread)
    deadline = time.monotonic() + timeout
    pause = FIRST_PAUSE_S
    while True:
        try:
            db.execute("PRAGMA journal_mode=WAL")
            return db
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or time.monotonic() + pause > deadline:
                db.close()
                raise
        time.sleep(pause)
        pause = min(2 * pause, LONGEST_PAUSE_S)
