"""Durability of the embedded backend: restarts, other processes, rebuilds that die."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from indexer.backends.base import Filters
from indexer.engine import Engine
from indexer.errors import IndexNotFound
from indexer.threads import thread_from_record
from tests.conftest import engine_on, thread, write_jsonl

RECORDS = [
    {"id": f"t{i}", "title": f"Thread {i} über Glasfaser Störung Nummer {i}", "lang": "de"}
    for i in range(40)
]


@pytest.fixture
def indexed(engine: Engine, tmp_path: Path) -> Engine:
    served = engine_on(engine, tmp_path / "data")
    report = served.indexer().run([thread_from_record(r) for r in RECORDS])
    assert report.indexed == 40
    return served


def _ids(served: Engine, text: str) -> list[str]:
    query = served.analyzer.query(text, partial=False)
    return [hit.id for hit in served.backend.lexical_top_k(query, 50, Filters())]


def test_index_survives_a_restart(indexed: Engine, engine: Engine, tmp_path: Path) -> None:
    indexed.backend.upsert(
        indexed.indexer().preparer.prepare([thread("late", "Roaming in Kanada")], ["h"])
    )
    indexed.close()
    reopened = engine_on(engine, tmp_path / "data")
    assert reopened.backend.stats().threads == 41
    assert _ids(reopened, "Roaming Kanada") == ["late"]


def test_another_process_sees_upserts_and_deletes(indexed: Engine, tmp_path: Path) -> None:
    before = indexed.backend.stats().version
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from indexer.engine import open_engine
        from indexer.settings import Settings
        from indexer.threads import thread_from_record
        engine = open_engine(Settings(data_dir=Path({str(tmp_path / "data")!r})))
        prepared = engine.indexer().preparer.prepare(
            [thread_from_record({{"id": "fresh", "title": "Kabelbruch im Keller"}})], ["x"])
        engine.backend.upsert(prepared)
        engine.backend.delete(["t3"])
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    assert indexed.backend.stats().version != before
    assert _ids(indexed, "Kabelbruch Keller") == ["fresh"]
    assert "t3" not in _ids(indexed, "Glasfaser Störung")
    assert indexed.backend.get_threads(["t3"]) == {}


def test_signals_changed_by_another_process_are_read_afresh(
    indexed: Engine, tmp_path: Path
) -> None:
    # The backend keeps signals in memory between searches; a change elsewhere must not be
    # hidden behind them.
    assert indexed.backend.signals(["t1", "t2"])["t1"].kudos == 0
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from indexer.engine import open_engine
        from indexer.settings import Settings
        from indexer.threads import thread_from_record
        engine = open_engine(Settings(data_dir=Path({str(tmp_path / "data")!r})))
        record = {{"id": "t1", "title": "Thread 1 über Glasfaser Störung Nummer 1",
                   "lang": "de", "kudos": 42, "solved": True}}
        prepared = engine.indexer().preparer.prepare([thread_from_record(record)], ["y"])
        engine.backend.upsert(prepared)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=300)
    changed = indexed.backend.signals(["t1", "t2"])
    assert (changed["t1"].kudos, changed["t1"].solved) == (42, True)
    assert changed["t2"].kudos == 0
    assert indexed.backend.signals(["t1"])["t1"].kudos == 42  # and again, from memory


def test_a_rebuild_killed_midway_leaves_the_previous_index_serving(
    indexed: Engine, engine: Engine, tmp_path: Path
) -> None:
    source = write_jsonl(
        tmp_path / "new.jsonl", [{"id": f"n{i}", "title": f"Neu {i} Kündigung"} for i in range(30)]
    )
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from indexer.engine import open_engine
        from indexer.settings import Settings
        from indexer.sources import read_source
        engine = open_engine(Settings(data_dir=Path({str(tmp_path / "data")!r})))
        preparer = engine.indexer().preparer
        threads = [t for t in read_source(Path({str(source)!r}))]
        with engine.backend.rebuild() as rebuild:
            rebuild.add(preparer.prepare(threads, [str(i) for i in range(len(threads))]))
            print("written", flush=True)
            time.sleep(600)  # killed here, before commit
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "written"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    generations = sorted(p.name for p in (tmp_path / "data" / "index").glob("gen-*"))
    assert len(generations) == 2  # the live one and the abandoned one
    assert indexed.backend.stats().threads == 40
    assert _ids(indexed, "Kündigung") == []
    assert len(_ids(indexed, "Glasfaser Störung")) == 40
    # The next rebuild cleans up and publishes.
    report = indexed.indexer().run([thread_from_record(r) for r in RECORDS[:5]])
    assert report.published and indexed.backend.stats().threads == 5
    assert _ids(indexed, "Kündigung") == []  # nothing of the killed rebuild came back
    assert len(list((tmp_path / "data" / "index").glob("gen-*"))) == 2


def test_current_pointer_is_replaced_atomically(indexed: Engine, tmp_path: Path) -> None:
    index_dir = tmp_path / "data" / "index"
    first = (index_dir / "CURRENT").read_text().strip()
    indexed.indexer().run([thread_from_record(r) for r in RECORDS])
    second = (index_dir / "CURRENT").read_text().strip()
    assert first != second
    assert not list(index_dir.glob(".CURRENT*"))  # no leftover temporary file
    assert json.loads(json.dumps(sorted(p.name for p in index_dir.glob("gen-*")))) == [
        first,
        second,
    ]


def test_a_generation_written_before_the_signals_index_still_ranks(
    indexed: Engine, engine: Engine, tmp_path: Path
) -> None:
    """A store without the covering index that signals() reads through (it is only an
    index: dropped, or not yet made) still ranks, from the table itself."""
    wanted = [record["id"] for record in RECORDS[:5]]
    expected = indexed.backend.signals(wanted)
    assert sorted(expected) == sorted(wanted)
    indexed.close()
    stores = list((tmp_path / "data").rglob("store.sqlite"))
    assert stores
    for store in stores:
        with sqlite3.connect(store) as db:
            db.execute("DROP INDEX thread_signals")
    reopened = engine_on(engine, tmp_path / "data")
    assert reopened.backend.signals(wanted) == expected


def test_an_index_of_an_older_format_says_to_rebuild_and_is_rebuilt(
    indexed: Engine, engine: Engine, tmp_path: Path
) -> None:
    """An index written before threads had a visibility cannot tell restricted threads
    from public ones: it is not served (a clear error, no crash), and ``askfind index``
    rebuilds it from the source as if there were none."""
    generation = (tmp_path / "data" / "index" / "CURRENT").read_text().strip()
    store = tmp_path / "data" / "index" / generation / "store.sqlite"
    indexed.close()
    with sqlite3.connect(store) as db:  # as the format before it: no format mark
        db.execute("DELETE FROM meta WHERE key = 'format'")
    reopened = engine_on(engine, tmp_path / "data")
    with pytest.raises(IndexNotFound, match=r"another version of askfind.*`askfind index`"):
        _ids(reopened, "Glasfaser")
    report = reopened.indexer().run([thread_from_record(r) for r in RECORDS])
    assert report.indexed == 40
    assert len(_ids(reopened, "Glasfaser")) == 40
    reopened.close()
