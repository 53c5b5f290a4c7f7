"""The report over time: one :func:`indexer.analytics.report.build_report` per day or week,
for the dashboard's charts (``GET /api/admin/series``).

Each bucket is read and reported on its own, so memory holds one bucket's sessions at a
time and every figure means exactly what it means in ``askfind report``. A session that
runs across midnight (or across Monday 00:00 UTC) counts in both buckets with its own
events there. Buckets are in UTC; weeks start on Monday (ISO 8601).

A language or board filter keeps the events that carry it (the widget sends both with
every event), so a bucket's figures are those of the sessions on that language or board.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from indexer.analytics.events import StoredEvent
from indexer.analytics.report import build_report
from indexer.errors import InvalidQuery

BUCKETS = {"day": timedelta(days=1), "week": timedelta(weeks=1)}
# About a year of days, ten years of weeks: a chart wider than that says nothing more, and
# each bucket is one read of the store.
MAX_BUCKETS = 550


@dataclass(frozen=True, slots=True)
class SeriesFilter:
    """Which events count: those of one language and/or one board (None: all)."""

    lang: str | None = None
    board: str | None = None

    def keeps(self, stored: StoredEvent) -> bool:
        event = stored.event
        return (self.lang is None or event.lang == self.lang) and (
            self.board is None or event.board == self.board
        )


def bucket_starts(since: datetime, until: datetime, bucket: str) -> list[datetime]:
    """The starts of the buckets that overlap [since, until), the first at or before since.

    Raises:
        InvalidQuery: an unknown bucket, or more than ``MAX_BUCKETS`` of them.
    """
    if bucket not in BUCKETS:
        raise InvalidQuery(f"bucket must be one of {', '.join(BUCKETS)}, not {bucket!r}", "bucket")
    step = BUCKETS[bucket]
    start = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if bucket == "week":
        start -= timedelta(days=start.weekday())
    count = -(-(until - start) // step)  # ceiling division of timedeltas
    if count > MAX_BUCKETS:
        raise InvalidQuery(
            f"{count} {bucket}s are too many for one series (at most {MAX_BUCKETS}): "
            f"choose a shorter period or weeks",
            "bucket",
        )
    return [start + i * step for i in range(count)]


def build_series(
    read: Callable[[datetime, datetime], Iterable[StoredEvent]],
    since: datetime,
    until: datetime,
    bucket: str = "day",
    only: SeriesFilter = SeriesFilter(),
) -> list[dict[str, Any]]:
    """The figures of each bucket of [since, until) as JSON-ready data, oldest first.

    ``read(start, end)`` gives the events received in [start, end); the first and last
    buckets are cut to the period, so they may cover less than a whole day or week.
    """
    step = BUCKETS.get(bucket, timedelta(days=1))
    points = []
    for start in bucket_starts(since, until, bucket):
        low, high = max(start, since), _bucket_end(start, step, until)
        report = build_report(_kept(read(low, high), only), low, high, top=0)
        data = report.to_dict()
        points.append(
            {
                "start": start.isoformat(),
                "searches": data["searches"],
                "shown": report.totals.searches - _zero_results(report.totals),
                "sessions": data["sessions"],
                "clicks": data["clicks"],
                "click_through": data["click_through"],
                "asked_anyway": data["asked_anyway"],
                "helpful": data["helpful"],
                "deflection_rate": data["deflection_rate"],
            }
        )
    return points


def _bucket_end(start: datetime, step: timedelta, until: datetime) -> datetime:
    """Where a bucket ends: a step on, or at ``until``. The calendar's last week has no
    step on (9999-12-31 + 1 day does not exist); the bucket ends at ``until`` then."""
    if until - start <= step:
        return until
    return start + step


def _kept(events: Iterable[StoredEvent], only: SeriesFilter) -> Iterator[StoredEvent]:
    return (stored for stored in events if only.keeps(stored))


def _zero_results(totals: Any) -> int:
    """Searches that showed nothing (the report keeps their share, exact to the search)."""
    if not totals.searches or totals.zero_result_rate is None:
        return 0
    return round(totals.zero_result_rate * totals.searches)
