"""Validation of search parameters where they enter: a clear 400 for anything wrong in the
HTTP API, and the same message (as a usage error) for the same mistake on the command line.

Parameters are text, named as the API names them ("q", "limit", "board", "from", ...):
``askfind search`` hands its options over as text too, so both go through
``search_request``. No Flask at import time: the command line loads this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from indexer.backends.base import Filters
from indexer.errors import InvalidQuery
from indexer.search import SearchRequest
from indexer.settings import Settings

if TYPE_CHECKING:
    from flask import Request

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
            raise InvalidQuery(f"parameter {name!r} is given more than once", name)
        args[name] = values[0]
    return args


def search_request(
    args: Mapping[str, str], settings: Settings, boards: Callable[[], Collection[str]]
) -> SearchRequest:
    """The request of ``GET /api/search`` and ``askfind search``: ranked search with paging,
    every filter, and no confidence floor.

    ``boards``: the boards of the index (asked only when a board is given).

    Raises:
        InvalidQuery: any parameter is wrong; its ``parameter`` names which.
    """
    return SearchRequest(
        text=query_text(args, settings.query_max_chars),
        limit=integer(args, "limit", 10, 1, settings.search_max_limit),
        offset=integer(args, "offset", 0, 0, settings.search_max_offset),
        filters=search_filters(args, settings.languages, boards, with_solved=True),
        lang=choice(args, "lang", settings.languages),
        partial=boolean(args, "partial") is True,
    )


def query_text(args: Mapping[str, str], max_chars: int) -> str:
    """The query ``q``, stripped.

    Raises:
        InvalidQuery: it is missing, empty or longer than ``max_chars``.
    """
    text = args.get("q", "").strip()
    if not text:
        raise InvalidQuery("q is required and must not be empty", "q")
    if len(text) > max_chars:
        raise InvalidQuery(f"q is longer than {max_chars} characters", "q")
    return text


def search_filters(
    args: Mapping[str, str],
    languages: Collection[str],
    boards: Callable[[], Collection[str]],
    with_solved: bool,
) -> Filters:
    """The filters ``board``, ``lang``, ``from``/``to`` and (``with_solved``) ``solved``.

    Raises:
        InvalidQuery: a board the index does not have, a language not configured, a bad
            date or range, or a ``solved`` that is not a boolean.
    """
    board = args.get("board") or None
    if board is not None and board not in boards():
        raise InvalidQuery(f"unknown board {board!r}", "board")
    created_from, created_to = date_range(args.get("from"), args.get("to"))
    return Filters(
        board=board,
        lang=choice(args, "lang", languages),
        solved=boolean(args, "solved") if with_solved else None,
        created_from=created_from,
        created_to=created_to,
    )


def integer(args: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as e:
        raise InvalidQuery(f"{name} must be a whole number, not {value!r}", name) from e
    if not minimum <= number <= maximum:
        raise InvalidQuery(f"{name} must be between {minimum} and {maximum}, not {number}", name)
    return number


def boolean(args: Mapping[str, str], name: str) -> bool | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise InvalidQuery(f"{name} must be true or false, not {value!r}", name)


def choice(args: Mapping[str, str], name: str, allowed: Collection[str]) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise InvalidQuery(f"unknown {name} {value!r}", name)
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
            f"{name} must be a date (YYYY-MM-DD) or ISO 8601 time, not {text!r}", name
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
        raise InvalidQuery("the date range ends before it starts (to is before from)", "to")
    return low, high
