"""Validation of search parameters where they enter: a clear 400 for anything wrong in the
HTTP API, and the same message (as a usage error) for the same mistake on the command line.

Parameters are text, named as the API names them ("q", "limit", "board", "from", ...):
``askfind search`` hands its options over as text too, so both go through
``search_request``. No Flask at import time: the command line loads this module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from indexer.backends.base import Filters
from indexer.errors import InvalidQuery
from indexer.json_input import json_spelling
from indexer.search import SearchRequest
from indexer.settings import Settings
from indexer.threads import control_character_problem

if TYPE_CHECKING:
    from flask import Request

TRUE = ("true", "1", "yes")
FALSE = ("false", "0", "no")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# ASCII digits only: int() would take "５" (full width), "٥" (Arabic-Indic), "1_0", "+5"
# and " 5" too.
WHOLE_NUMBER = re.compile(r"-?[0-9]+")
# The parameters of the read API, and the JSON type each takes in a POST body.
SEARCH_PARAMS = {
    "q": str, "limit": int, "offset": int, "lang": str, "board": str, "solved": bool,
    "partial": bool, "from": str, "to": str, "articles": int,
}  # fmt: skip
# Most help articles an answer's section of them holds (``articles=``).
MAX_ARTICLES = 10
SUGGEST_PARAMS = {
    name: kind for name, kind in SEARCH_PARAMS.items() if name not in ("offset", "solved")
} | {"session": str}  # the widget's page view, for the deflection experiment


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
        InvalidQuery: any parameter is wrong or unknown; its ``parameter`` names which.
    """
    known_only(args, SEARCH_PARAMS)
    limit = integer(args, "limit", 10, 1, settings.search_max_limit)
    return typed_request(args, settings, boards, limit, with_solved=True)


def typed_request(
    args: Mapping[str, str],
    settings: Settings,
    boards: Callable[[], Collection[str]],
    limit: int,
    with_solved: bool,
) -> SearchRequest:
    """The request of a typed query, the one way for ``/api/suggest``, ``/api/search`` and
    ``askfind search``: the same normalised text, the last word taken as still being typed
    unless ``partial=false``, the same filters (``solved`` and paging with
    ``with_solved``)."""
    offset = integer(args, "offset", 0, 0, settings.search_max_offset) if with_solved else 0
    return SearchRequest(
        text=normalise_query(query_text(args, settings.query_max_chars)),
        limit=limit,
        offset=offset,
        filters=search_filters(args, settings.languages, boards, with_solved=with_solved),
        lang=choice(args, "lang", settings.languages),
        partial=boolean(args, "partial") is not False,
        articles=integer(args, "articles", settings.articles_shown, 0, MAX_ARTICLES),
    )


def normalise_query(text: str) -> str:
    """The form a query is searched and cached in: NFC, trimmed, whitespace collapsed.

    Case is kept: the embedding model and language detection may see it (the analyser
    folds case itself). Searching the normalised text, not the raw one, makes the cached
    answer exactly the answer the key stands for.
    """
    return " ".join(unicodedata.normalize("NFC", text).split())


# Where a text too long for a query string belongs instead.
LONGER_TEXT_ADVICE = (
    'send a longer text (a whole message) as POST /api/search with a JSON body {"q": "..."}'
)


def query_text(
    args: Mapping[str, str], max_chars: int, advice: str | None = LONGER_TEXT_ADVICE
) -> str:
    """The query ``q``, stripped; ``advice``: what a refusal for length adds (None:
    nothing, where there is no longer way).

    Raises:
        InvalidQuery: it is missing, empty or longer than ``max_chars``, or it holds a
            control character (tab and line breaks are text).
    """
    raw = args.get("q", "")
    # Before stripping: Python takes U+001C..U+001F and U+0085 for whitespace.
    control = control_character_problem(raw, "q")
    if control:
        raise InvalidQuery(control, "q")
    text = raw.strip()
    if not text:
        raise InvalidQuery("q is required and must not be empty", "q")
    if len(text) > max_chars:
        tail = f"; {advice}" if advice else ""
        raise InvalidQuery(f"q is longer than {max_chars} characters{tail}", "q")
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
        raise InvalidQuery(f"unknown board {json_spelling(board)}", "board")
    created_from, created_to = date_range(args.get("from"), args.get("to"))
    return Filters(
        board=board,
        lang=choice(args, "lang", languages),
        solved=boolean(args, "solved") if with_solved else None,
        created_from=created_from,
        created_to=created_to,
    )


def known_only(args: Mapping[str, str], known: Collection[str]) -> Mapping[str, str]:
    """``args``, once every name in it is known: a misspelt filter ("bord=") is refused,
    not silently ignored.

    Raises:
        InvalidQuery: a name that is not a parameter of the endpoint.
    """
    unknown = sorted(set(args) - set(known))
    if unknown:
        takes = f"known: {', '.join(sorted(known))}" if known else "this endpoint takes none"
        raise InvalidQuery(f"unknown parameter {unknown[0]!r} ({takes})", unknown[0])
    return args


def json_args(parsed: Any, kinds: dict[str, type]) -> dict[str, str]:
    """The parameters of a decoded JSON body (``widget.bodies.parsed_json``), type-checked,
    in the query string's form (``"limit": 5`` -> ``"5"``), so one set of validators checks
    both.

    Raises:
        InvalidQuery: not an object, an unknown name or a wrong type.
    """
    if not isinstance(parsed, dict):
        raise InvalidQuery('the body must be a JSON object, e.g. {"q": "..."}')
    args = known_only({str(name): value for name, value in parsed.items()}, kinds)
    converted = {}
    for name, value in args.items():
        kind = kinds[name]
        if value is None:
            continue
        # bool is an int to Python; a JSON true is no limit.
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InvalidQuery(
                f"{name} must be a JSON {_JSON_NAMES[kind]}, not {json_spelling(value)}", name
            )
        if kind is str and not _is_encodable(value):
            # JSON may escape half a UTF-16 pair ("\\ud800"): no text, and no index takes it.
            raise InvalidQuery(f"{name} holds an unpaired surrogate (\\ud800-\\udfff), not text")
        converted[name] = str(value).lower() if kind is bool else str(value)
    return converted


def _is_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_JSON_NAMES = {str: "string", int: "whole number", bool: "boolean (true or false)"}


def integer(args: Mapping[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    """The whole number ``name`` in ASCII digits, with a minus sign only where ``minimum``
    is negative; ``default`` when it is missing or empty.

    Raises:
        InvalidQuery: anything else, or a number outside ``minimum``..``maximum``.
    """
    value = args.get(name)
    if value is None or value == "":
        return default
    if not WHOLE_NUMBER.fullmatch(value):
        raise InvalidQuery(f"{name} must be a whole number, not {json_spelling(value)}", name)
    out_of_range = InvalidQuery(
        f"{name} must be between {minimum} and {maximum}, not {value}", name
    )
    if value.startswith("-") and minimum >= 0:
        raise out_of_range  # "-0" too: no minus where there are no negatives
    try:
        number = int(value)
    except ValueError as e:  # more digits than Python reads (sys.get_int_max_str_digits)
        raise out_of_range from e
    if not minimum <= number <= maximum:
        raise out_of_range
    return number


def boolean(args: Mapping[str, str], name: str) -> bool | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise InvalidQuery(f"{name} must be true or false, not {json_spelling(value)}", name)


def choice(args: Mapping[str, str], name: str, allowed: Collection[str]) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise InvalidQuery(f"unknown {name} {json_spelling(value)}", name)
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
            f"{name} must be a date (YYYY-MM-DD) or ISO 8601 time, not {json_spelling(text)}",
            name,
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
