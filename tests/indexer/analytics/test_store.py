"""The SQLite event store: durable across reopening, redacted, readable by period."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from indexer.analytics.events import Event
from indexer.analytics.store import EVENTS_FILE, SqliteEventStore, open_event_store
from tests.conftest import make_settings

SESSION = "s-0123456789abcdef"


def test_events_survive_reopening_the_store_in_order(tmp_path: Path) -> None:
    store = open_event_store(make_settings(tmp_path))
    store.add([Event("impression", SESSION, "wlan", results=("wlan-002", "wlan-003"))])
    store.add(
        [Event("click", SESSION, "wlan", thread="wlan-003", rank=2)], origin="http://a.example"
    )
    store.add([Event("helpful", SESSION, "wlan", thread="wlan-003", helpful=True)])
    store.close()

    reopened = SqliteEventStore(tmp_path / EVENTS_FILE)
    stored = list(reopened.read())
    reopened.close()
    assert [s.event.type for s in stored] == ["impression", "click", "helpful"]
    assert stored[0].event.results == ("wlan-002", "wlan-003")
    assert (stored[1].event.rank, stored[1].origin) == (2, "http://a.example")
    assert stored[2].event.helpful is True
    assert stored[0].id < stored[1].id < stored[2].id


def test_query_text_is_redacted_before_it_reaches_the_file(tmp_path: Path) -> None:
    store = open_event_store(make_settings(tmp_path))
    text = "Rechnung an anna@example.de, Kundennummer 98765432, Tel 0171 1234567"
    store.add([Event("asked_anyway", SESSION, text)])
    store.close()
    raw = sqlite3.connect(tmp_path / EVENTS_FILE).execute("SELECT query FROM event").fetchall()
    assert raw == [("Rechnung an [email], Kundennummer [number], Tel [phone]",)]
    content = (tmp_path / EVENTS_FILE).read_bytes()
    assert b"anna@example.de" not in content and b"98765432" not in content


def test_events_are_read_by_period(tmp_path: Path) -> None:
    store = open_event_store(make_settings(tmp_path))
    store.add([Event("asked_anyway", SESSION, "first")])
    now = datetime.now(UTC)
    assert [s.event.query for s in store.read(since=now - timedelta(minutes=1))] == ["first"]
    assert list(store.read(since=now + timedelta(minutes=1))) == []
    assert list(store.read(until=now - timedelta(minutes=1))) == []
    store.close()
