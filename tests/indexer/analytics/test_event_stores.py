"""One contract for the event stores: SQLite (embedded) and an events index on a real
Elasticsearch. The same assertions on both, as for the index backends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from indexer.analytics.events import Event
from indexer.analytics.report import build_report
from indexer.analytics.store import EventStore, SqliteEventStore, open_event_store
from tests.conftest import backend_settings

SESSION = "s-0123456789abcdef"


@pytest.fixture(params=["embedded", "elasticsearch"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    opened = open_event_store(backend_settings(request, request.param, tmp_path))
    yield opened
    opened.close()


def test_events_come_back_as_stored_oldest_first(store: EventStore) -> None:
    store.add([Event("impression", SESSION, "wlan", lang="de", results=("a", "b"))])
    store.add([Event("click", SESSION, "wlan", thread="b", rank=2)], origin="https://x.example")
    store.add([Event("helpful", SESSION, "wlan", thread="b", helpful=False)])
    events = list(store.read())
    assert [e.event.type for e in events] == ["impression", "click", "helpful"]
    assert events[0].event.results == ("a", "b") and events[0].event.lang == "de"
    assert (events[1].event.thread, events[1].event.rank, events[1].origin) == (
        "b",
        2,
        "https://x.example",
    )
    assert events[2].event.helpful is False
    assert all(e.received_at.tzinfo is not None for e in events)


def test_reading_by_period_and_type(store: EventStore) -> None:
    store.add(
        [
            Event("asked_anyway", SESSION, "a"),
            Event("helpful", SESSION, "b", thread="t", helpful=True),
        ]
    )
    now = datetime.now(UTC)
    assert len(list(store.read(since=now - timedelta(minutes=5)))) == 2
    assert list(store.read(since=now + timedelta(minutes=5))) == []
    assert list(store.read(until=now - timedelta(minutes=5))) == []
    assert [e.event.type for e in store.read(types=("helpful",))] == ["helpful"]


def test_a_period_up_to_now_holds_the_event_received_a_moment_before(store: EventStore) -> None:
    """Times are kept to the millisecond: an event received earlier in ``until``'s own
    millisecond is still before it (a report asked for right after an event missed it)."""
    store.add([Event("asked_anyway", SESSION, "a moment ago")])
    [stored] = list(store.read())
    within_its_millisecond = stored.received_at + timedelta(microseconds=500)
    assert [e.event.query for e in store.read(until=within_its_millisecond)] == ["a moment ago"]
    assert list(store.read(until=stored.received_at)) == []  # [since, until): not at until


def test_queries_are_redacted_in_every_store(store: EventStore) -> None:
    store.add([Event("asked_anyway", SESSION, "IBAN DE89 3704 0044 0532 0130 00 bitte")])
    [event] = list(store.read())
    assert event.event.query == "IBAN [iban] bitte"


def test_an_empty_store_reads_nothing_and_reports_zero(store: EventStore) -> None:
    assert build_report(store.read()).to_dict()["searches"] == 0


def test_a_purge_deletes_the_events_received_before_the_cut_only(store: EventStore) -> None:
    store.add([Event("asked_anyway", SESSION, "old one")])
    time.sleep(0.01)
    cut = datetime.now(UTC)
    time.sleep(0.01)
    store.add([Event("asked_anyway", SESSION, "new one")])
    assert store.purge(cut) == 1
    assert [e.event.query for e in store.read()] == ["new one"]
    assert store.purge(cut) == 0


def test_purged_events_leave_no_bytes_in_the_sqlite_file(tmp_path: Path) -> None:
    store = SqliteEventStore(tmp_path / "events.sqlite")
    try:
        store.add([Event("asked_anyway", SESSION, "unverwechselbar-7f3a9 Router")])
        assert store.purge(datetime.now(UTC) + timedelta(seconds=1)) == 1
    finally:
        store.close()
    on_disk = b"".join(path.read_bytes() for path in tmp_path.glob("events.sqlite*"))
    assert b"unverwechselbar-7f3a9" not in on_disk
