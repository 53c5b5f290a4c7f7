"""Validation of query-string parameters where they enter: a clear 400 for anything wrong."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import parse_qs

from flask import Request

from indexer.errors import InvalidQuery

TRUE = ("true", "1", "yes")
FALSE = ("false", "0", "no")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def strict_args(request: Request) -> dict[str, str]:
    """Parse the query string, refusing invalid UTF-8 (Werkzeug would replace it silently).

    Raises:
        InvalidQuery: undecodable bytes, or a parameter given twice.
    """
    try:
        raw = request.query_string.decode("utf-8")
        parsed = parse_qs(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise InvalidQuery("the query string is not valid UTF-8") from e
    args = {}
    for name, values in parsed.items():
        if len(values) > 1:
            raise InvalidQuery(f"parameter {name!r} is given more than once")
        args[name] = values[0]
    return args


def integer(args: dict[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as e:
        raise InvalidQuery(f"{name} must be a whole number, not {value!r}") from e
    if not minimum <= number <= maximum:
        raise InvalidQuery(f"{name} must be between {minimum} and {maximum}, not {number}")
    return number


def boolean(args: dict[str, str], name: str) -> bool | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise InvalidQuery(f"{name} must be true or false, not {value!r}")


def choice(args: dict[str, str], name: str, allowed: set[str] | tuple[str, ...]) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise InvalidQuery(f"unknown {name} {value!r}")
    return value


def date_bound(value: str | None, name: str, end: bool = False) -> datetime | None:
    """Parse a bound of a date range: a day (YYYY-MM-DD, UTC) or an ISO 8601 timestamp.

    A day as the end of a range means up to and including that day, so ``from=2024-05-01
    &to=2024-05-31`` is all of May.

    Raises:
        InvalidQuery: the value is neither.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if DAY.fullmatch(text):
            day = datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
            return day + timedelta(days=1, microseconds=-1) if end else day
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as e:
        raise InvalidQuery(
            f"{name} must be a date (YYYY-MM-DD) or ISO 8601 time, not {text!r}"
        ) from e
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def date_range(
    date_from: str | None, date_to: str | None
) -> tuple[datetime | None, datetime | None]:
    """The (from, to) bounds of a creation-date filter, both inclusive.

    Raises:
        InvalidQuery: a bound is not a date, or the range ends before it starts.
    """
    low = date_bound(date_from, "from")
    high = date_bound(date_to, "to", end=True)
    if low is not None and high is not None and high < low:
        raise InvalidQuery("the date range ends before it starts (to is before from)")
    return low, high
