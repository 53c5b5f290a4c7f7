"""Several connections opening a new shared SQLite file at once all get it, in WAL mode."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

from indexer.analytics.judgements import JudgementStore
from indexer.analytics.store import SqliteEventStore
from indexer.sqlite_files import connect_wal

# A new file opened by 8 at once failed about one time in 30 before the retry.
TRIALS = 100
OPENERS = 8


def test_the_stores_of_one_new_file_open_at_once_without_database_is_locked(
    tmp_path: Path,
) -> None:
    for trial in range(TRIALS):
        data_dir = tmp_path / str(trial)
        errors: list[Exception] = []

        def open_one(i: int, data_dir: Path = data_dir, errors: list[Exception] = errors) -> None:
            try:
                if i % 2:
                    JudgementStore(data_dir).close()
                else:
                    SqliteEventStore(data_dir / "events.sqlite").close()
            except sqlite3.Error as e:
                errors.append(e)

        threads = [threading.Thread(target=open_one, args=(i,)) for i in range(OPENERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == [], f"trial {trial}"


def test_a_file_that_stays_locked_is_an_error_after_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite"
    holder = sqlite3.connect(path)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        try:
            connect_wal(path, timeout=0.2)
        except sqlite3.OperationalError as e:
            assert "locked" in str(e)
        else:
            raise AssertionError("connect_wal opened a file another connection holds")
    finally:
        holder.rollback()
        holder.close()
    assert connect_wal(path, timeout=0.2).execute("PRAGMA journal_mode").fetchone() == ("wal",)
