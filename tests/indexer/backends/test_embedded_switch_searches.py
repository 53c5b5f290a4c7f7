"""Searches never fail while the embedded index switches: a rebuild publishing a new
generation, a compaction replacing the snapshot, the old files going."""

from __future__ import annotations

from pathlib import Path

from indexer.backends.base import IndexedThread
from indexer.backends.embedded import backend as embedded_backend
from indexer.backends.embedded import generations
from indexer.backends.embedded.backend import EmbeddedBackend
from indexer.engine import Engine
from tests.conftest import engine_on
from tests.indexer.backends.continuous_searches import searching

# What a reader searches, and the thread that must come first (tests/indexer/backends/conftest).
EXPECTED = {
    "Routerkonfiguration verloren": "router-1",
    "WiFi dropping every evening": "wifi-2",
    "Rechnung doppelt so hoch": "bill-3",
    "eSIM auf neues iPhone": "esim-4",
}
# Every step of a switch, each held until the readers have searched after it.
STEPS = [
    (embedded_backend, "_build_snapshot"),
    (generations, "publish"),
    (generations, "remove_old_generations"),
    (generations, "remove_old_snapshots"),
]


def rebuild(backend: EmbeddedBackend, threads: list[IndexedThread]) -> None:
    with backend.rebuild() as rebuilding:
        rebuilding.add(threads)
        rebuilding.commit()


def test_searches_never_fail_while_rebuilds_and_compactions_switch_the_index(
    engine: Engine, prepared: list[IndexedThread], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    writer = engine_on(engine, data_dir)
    assert isinstance(writer.backend, EmbeddedBackend)
    rebuild(writer.backend, prepared)
    with searching(lambda: engine_on(engine, data_dir), EXPECTED, STEPS) as searches:
        before = searches.searches
        for _ in range(3):
            rebuild(writer.backend, prepared)
        writer.backend.upsert(prepared[:1])  # a change for the compaction to fold in
        writer.backend.compact()
    writer.close()
    assert not searches.failures, searches.failures[:5]
    # Not vacuous: the index switched three times and readers searched after every step.
    assert (data_dir / "index" / "CURRENT").read_text().strip() == "gen-000004"
    assert searches.searches - before >= 3 * len(STEPS) * 2
