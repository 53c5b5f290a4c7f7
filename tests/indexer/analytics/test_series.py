"""The report per day or week: buckets in UTC, weeks from Monday, filters by language/board."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import pytest

from indexer.analytics.events import Event, StoredEvent
from indexer.analytics.series import MAX_BUCKETS, SeriesFilter, bucket_starts, build_series
from indexer.errors import InvalidQuery

# Tuesday 3 March 2026, noon UTC.
TUESDAY = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def at(when: datetime, event: Event, n: int) -> StoredEvent:
    return StoredEvent(n, when, event, None)


def impression(session: str, *results: str, lang: str = "de", board: str = "WLAN") -> Event:
    return Event("impression", session, "WLAN bricht ab", lang=lang, board=board, results=results)


EVENTS = [
    # Tuesday: one session found and clicked, one saw nothing and asked anyway.
    at(TUESDAY, impression("s1", "wlan-1"), 1),
    at(TUESDAY, Event("click", "s1", "WLAN bricht ab", lang="de", board="WLAN", thread="w"), 2),
    at(TUESDAY, impression("s2"), 3),
    at(TUESDAY, Event("asked_anyway", "s2", "WLAN bricht ab", lang="de", board="WLAN"), 4),
    # Thursday: an English session on another board, helpful without a click.
    at(TUESDAY + timedelta(days=2), impression("s3", "sim-1", lang="en", board="SIM"), 5),
    at(
        TUESDAY + timedelta(days=2),
        Event("helpful", "s3", "esim", lang="en", board="SIM", thread="sim-1", helpful=True),
        6,
    ),
]


def read(start: datetime, end: datetime) -> Iterable[StoredEvent]:
    return [e for e in EVENTS if start <= e.received_at < end]


def test_days_start_at_midnight_and_weeks_on_monday() -> None:
    days = bucket_starts(TUESDAY, TUESDAY + timedelta(days=2), "day")
    assert days[0] == datetime(2026, 3, 3, tzinfo=UTC) and len(days) == 3
    weeks = bucket_starts(TUESDAY, TUESDAY + timedelta(days=8), "week")
    assert weeks == [datetime(2026, 3, 2, tzinfo=UTC), datetime(2026, 3, 9, tzinfo=UTC)]


def test_each_day_has_its_own_figures() -> None:
    points = build_series(read, TUESDAY - timedelta(hours=1), TUESDAY + timedelta(days=3))
    by_day = {p["start"][:10]: p for p in points}
    tuesday, wednesday, thursday = by_day["2026-03-03"], by_day["2026-03-04"], by_day["2026-03-05"]
    assert (tuesday["searches"], tuesday["shown"], tuesday["sessions"]) == (2, 1, 2)
    assert (tuesday["click_through"], tuesday["deflection_rate"]) == (1.0, 0.5)
    assert tuesday["asked_anyway"] == 1 and tuesday["helpful"] == {"yes": 0, "no": 0}
    assert wednesday["searches"] == 0 and wednesday["deflection_rate"] is None
    assert thursday["helpful"]["yes"] == 1 and thursday["deflection_rate"] == 1.0


def test_a_week_holds_its_days() -> None:
    points = build_series(read, TUESDAY, TUESDAY + timedelta(days=3), "week")
    assert len(points) == 1 and points[0]["start"].startswith("2026-03-02")
    assert (points[0]["searches"], points[0]["sessions"], points[0]["shown"]) == (3, 3, 2)


@pytest.mark.parametrize(
    ("only", "searches"),
    [
        (SeriesFilter(lang="en"), 1),
        (SeriesFilter(board="WLAN"), 2),
        (SeriesFilter("en", "WLAN"), 0),
    ],
)
def test_filters_keep_one_language_or_board(only: SeriesFilter, searches: int) -> None:
    points = build_series(read, TUESDAY, TUESDAY + timedelta(days=3), "week", only)
    assert points[0]["searches"] == searches


def test_unknown_buckets_and_too_many_are_refused() -> None:
    with pytest.raises(InvalidQuery, match="bucket must be one of day, week"):
        bucket_starts(TUESDAY, TUESDAY + timedelta(days=1), "hour")
    with pytest.raises(InvalidQuery, match=f"at most {MAX_BUCKETS}"):
        bucket_starts(TUESDAY, TUESDAY + timedelta(days=MAX_BUCKETS + 1), "day")


@pytest.mark.parametrize("bucket", ["day", "week"])
def test_the_calendars_last_days_make_a_series_too(bucket: str) -> None:
    """9999-12-31 has no day after it: the last bucket ends at the period's end."""
    until = datetime.max.replace(tzinfo=UTC)
    asked: list[tuple[datetime, datetime]] = []

    def read(start: datetime, end: datetime) -> Iterable[StoredEvent]:
        asked.append((start, end))
        return []

    points = build_series(read, until - timedelta(days=10), until, bucket)
    assert points and all(point["searches"] == 0 for point in points)
    assert asked[-1][1] == until
    assert all(start < end for start, end in asked)
