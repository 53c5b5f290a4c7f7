"""What the backend tests share: a few threads, prepared (analysed and embedded) once per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.backends.base import IndexedThread
from indexer.embedding import EmbeddingCache
from indexer.engine import Engine
from indexer.pipeline import ThreadPreparer
from tests.conftest import thread

THREADS = [
    thread(
        "router-1",
        "Routerkonfiguration nach Firmware-Update verloren",
        body="Alle Einstellungen der Box sind weg.",
        board="Router & WLAN",
        lang="de",
        solved=True,
        accepted_answer={"body": "Backup wiederherstellen."},
        created_at="2024-05-31T23:30:00Z",
    ),
    thread(
        "wifi-2",
        "WiFi keeps dropping every evening",
        body="The wireless connection drops at 7pm.",
        board="Router & WLAN",
        lang="en",
    ),
    thread(
        "bill-3",
        "Rechnung doppelt so hoch wie sonst",
        body="Meine Rechnung ist diesen Monat viel zu hoch.",
        board="Rechnung",
        lang="de",
        solved=True,
        accepted_answer={"body": "Drittanbieter prüfen."},
        created_at="2024-06-01T00:10:00+02:00",  # 2024-05-31 22:10 UTC
    ),
    thread(
        "esim-4",
        "eSIM auf neues iPhone übertragen",
        body="Wie bekomme ich die eSIM auf das neue Telefon?",
        board="Mobilfunk",
        lang="de",
    ),
]


@pytest.fixture
def prepared(engine: Engine, tmp_path: Path) -> list[IndexedThread]:
    cache = EmbeddingCache(
        tmp_path / "cache.sqlite", engine.embedder.model_id, engine.embedder.dimension
    )
    preparer = ThreadPreparer(engine.settings, engine.analyzer, engine.embedder, cache)
    return preparer.prepare(THREADS, [f"hash-{t.id}" for t in THREADS])
