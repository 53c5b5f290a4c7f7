"""``GET /api/admin/report``: what customers searched for and found, for a period, and
``GET /api/admin/gaps``: what they asked and did not find, grouped by meaning, and
``GET /api/admin/series``: the report's figures per day or week (the dashboard's charts).

Each takes an API key or an admin agent's sign-in (:mod:`widget.admin_access`).

The period is ``since`` and ``until`` (ISO 8601 dates or times; a time without a zone is
UTC), or ``days`` back from now (7 by default); ``top`` says how many queries (groups)
each list shows. The answers are the reports of ``indexer.analytics.report``,
``indexer.analytics.gaps`` and ``indexer.analytics.series`` as JSON; the gaps also as CSV
with ``format=csv``. The series takes ``bucket`` (day or week), ``lang`` and ``board``.
Any other parameter is a 400: a misspelt ``day=30`` must not quietly report 7 days.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from indexer.analytics.experiment import WIDGET, Experiment, report_with_experiment
from indexer.analytics.gaps import search_gaps
from indexer.analytics.gaps_csv import gaps_csv
from indexer.analytics.series import BUCKETS, SeriesFilter, build_series
from indexer.errors import InvalidQuery
from indexer.json_input import json_spelling
from indexer.threads import parse_timestamp
from widget.admin_access import require_operator
from widget.context import engine_of
from widget.events import event_store_of
from widget.params import choice, integer, known_only, strict_args

admin = Blueprint("admin", __name__, url_prefix="/api/admin")

DEFAULT_DAYS = 7
MAX_DAYS = 3660
MAX_TOP = 1000
REPORT_PARAMS = ("since", "until", "days", "top")
GAPS_PARAMS = ("since", "until", "days", "top", "format")
GAP_FORMATS = ("json", "csv")
SERIES_PARAMS = ("since", "until", "days", "bucket", "lang", "board")


@admin.get("/report")
@require_operator
def report() -> Any:
    args = known_only(strict_args(request), REPORT_PARAMS)
    since, until = period(args.get("since"), args.get("until"), args.get("days"))
    top = integer(args, "top", 20, 1, MAX_TOP)
    store = event_store_of(current_app)
    experiment = Experiment.of(engine_of(current_app).settings)
    return jsonify(report_with_experiment(store.read(since, until), since, until, top, experiment))


@admin.get("/gaps")
@require_operator
def gaps() -> Any:
    args = known_only(strict_args(request), GAPS_PARAMS)
    since, until = period(args.get("since"), args.get("until"), args.get("days"))
    top = integer(args, "top", 20, 1, MAX_TOP)
    form = choice(args, "format", GAP_FORMATS) or "json"
    engine = engine_of(current_app)
    # Held-back sessions of the deflection experiment saw nothing: no gaps of ours.
    events = Experiment.of(engine.settings).events_of(
        WIDGET, event_store_of(current_app).read(since, until)
    )
    report = search_gaps(engine.search, events, since, until, top)
    if form == "csv":
        return Response(
            gaps_csv(report),
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="askfind-gaps.csv"'},
        )
    return jsonify(report.to_dict())


@admin.get("/series")
@require_operator
def series() -> Any:
    """The figures per bucket of the sessions shown the widget (as the report's totals)."""
    args = known_only(strict_args(request), SERIES_PARAMS)
    since, until = period(args.get("since"), args.get("until"), args.get("days"))
    bucket = choice(args, "bucket", tuple(BUCKETS)) or "day"
    only = SeriesFilter(lang=args.get("lang") or None, board=args.get("board") or None)
    store = event_store_of(current_app)
    experiment = Experiment.of(engine_of(current_app).settings)
    points = build_series(
        lambda start, end: experiment.events_of(WIDGET, store.read(start, end)),
        since,
        until,
        bucket,
        only,
    )
    return jsonify(
        {
            "since": since.isoformat(),
            "until": until.isoformat(),
            "bucket": bucket,
            "lang": only.lang,
            "board": only.board,
            "points": points,
        }
    )


def period(
    since: str | None, until: str | None, days: str | None, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """The [since, until) of a report from what was asked.

    Both ends are in UTC, and both must be in the calendar Python knows (years 1 to 9999):
    ``until=0001-01-01&days=5`` would start before it.

    Raises:
        InvalidQuery: a date that is not ISO 8601, days out of range, a period that leaves
            the calendar, or since >= until.
    """
    now = now or datetime.now(UTC)
    end = _timestamp(until, "until") if until else now
    if since:
        if days:
            raise InvalidQuery("give since or days, not both", "days")
        start = _timestamp(since, "since")
    else:
        count = integer({"days": days or ""}, "days", DEFAULT_DAYS, 1, MAX_DAYS)
        try:
            start = end - timedelta(days=count)
        except OverflowError as e:
            raise InvalidQuery(
                f"the period is out of range: {count} days before {end.date()} is before the year 1"
            ) from e
    if start >= end:
        raise InvalidQuery("since must be before until", "since")
    return start, end


def _timestamp(value: str, name: str) -> datetime:
    """``value`` as a time in UTC (a time with an offset at the calendar's edge may have
    none: 0001-01-01T00:00+05:00 is in the year 0 in UTC)."""
    try:
        parsed = parse_timestamp(value)
    except ValueError as e:
        raise InvalidQuery(
            f"{name} must be an ISO 8601 date or time, not {json_spelling(value)}", name
        ) from e
    try:
        return parsed.astimezone(UTC)
    except OverflowError as e:
        raise InvalidQuery(
            f"{name} is out of range: {json_spelling(value)} is not in years 1 to 9999 in UTC", name
        ) from e
