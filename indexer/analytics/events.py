"""The widget's analytics events and their validation where they enter.

An event says what a customer saw or did while typing a question:

- ``impression``: the suggestions shown for a settled query (``results``: thread ids in
  rank order; empty when nothing cleared the confidence floor: a content gap);
- ``click``: a suggestion was opened (``thread``, ``rank`` counted from 1);
- ``asked_anyway``: the customer went on to ask their question;
- ``helpful``: the answer to "did this answer your question?" (``thread``, ``helpful``).

Every event carries the ``session`` (a random id of one page view, not a person) and the
``query`` as typed. Validation is strict and explicit, like a JSON schema: unknown fields,
wrong types and oversized values are refused with a message naming the field.

A query is text someone searched for: a control character in it is refused as
``/api/suggest`` refuses it in ``q`` (one check, ``indexer.threads``), and so is a blank
one, but in a helpful vote. The widget (``embed.js``) sends an impression only for a
text of ``minChars`` (3) characters or more, a click only on a suggestion found for a
text, "asked anyway" only for a title typed; but a vote's query is the text on show when
the customer answers, blank once they cleared the box after opening the thread in a new
tab. Such a vote counts in the report, and ranking's feedback, which is per query,
leaves it out (``indexer.analytics.feedback``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from indexer.errors import InvalidEvent, RepeatedKey, UnreadableJson
from indexer.json_input import json_spelling, parse_json
from indexer.threads import control_character_problem, lone_surrogate_at

EVENT_TYPES = ("impression", "click", "asked_anyway", "helpful")
COMMON_FIELDS = {"type", "session", "query", "lang", "board"}
FIELDS_OF_TYPE = {
    "impression": {"results"},
    "click": {"thread", "rank"},
    "asked_anyway": set(),
    "helpful": {"thread", "rank", "helpful"},
}
REQUIRED_OF_TYPE = {
    "impression": {"results"},
    "click": {"thread", "rank"},
    "asked_anyway": set(),
    "helpful": {"thread", "helpful"},
}
SESSION_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
# The page's language (the widget's UI language), which need not be an indexed one.
LANG_PATTERN = re.compile(r"[a-z]{2,3}")
MAX_ID_CHARS = 200
MAX_BOARD_CHARS = 200
MAX_RESULTS = 20
# The events whose query may be blank (see above).
BLANK_QUERY_ALLOWED = frozenset({"helpful"})


@dataclass(frozen=True, slots=True)
class Event:
    """One validated event, as the widget sent it (the query not yet redacted)."""

    type: str
    session: str
    query: str
    lang: str | None = None
    board: str | None = None
    thread: str | None = None
    rank: int | None = None
    helpful: bool | None = None
    results: tuple[str, ...] = ()


def received_stamp(when: datetime) -> str:
    """How the stores keep the time an event was received: UTC to the millisecond, as
    text that sorts as the times do (SQLite compares it as text, Elasticsearch parses it)."""
    return when.astimezone(UTC).isoformat(timespec="milliseconds")


def received_before(until: datetime) -> str:
    """The stamp that the events received before ``until`` are stored below.

    Stamps keep milliseconds only, so an event received in ``until``'s own millisecond,
    but before it, carries that millisecond's stamp: the bound is the next millisecond.
    Cut at ``until``'s own stamp instead, a report up to now would miss the event sent a
    moment before it was asked for.
    """
    past = until.microsecond % 1000
    if past:
        with suppress(OverflowError):  # the calendar's last millisecond: none comes after
            until += timedelta(microseconds=1000 - past)
    return received_stamp(until)


@dataclass(frozen=True, slots=True)
class EventLimits:
    """The bounds an event must keep; the service takes them from its settings."""

    max_bytes: int
    max_query_chars: int


def parse_event(body: bytes, limits: EventLimits) -> Event:
    """Decode and validate one event from a request body (a JSON object).

    Raises:
        InvalidEvent: the body is too large, not UTF-8 JSON, or not a valid event.
    """
    if len(body) > limits.max_bytes:
        raise InvalidEvent(f"the event is larger than {limits.max_bytes} bytes")
    try:
        data = parse_json(body, unique_keys=True)
    except RepeatedKey as e:
        raise InvalidEvent(f"the event gives the key {json_spelling(e.key)} more than once") from e
    except UnreadableJson as e:
        raise InvalidEvent(f"the body is not UTF-8 JSON: {e}") from e
    return validate_event(data, limits)


def validate_event(data: Any, limits: EventLimits) -> Event:
    """Check a decoded event against the schema above and return it typed.

    Raises:
        InvalidEvent: naming the first field that is missing, unknown or invalid.
    """
    if not isinstance(data, Mapping):
        raise InvalidEvent("an event must be a JSON object")
    kind = data.get("type")
    if kind not in EVENT_TYPES:
        raise InvalidEvent(f"type must be one of {', '.join(EVENT_TYPES)}, not {kind!r}")
    allowed = COMMON_FIELDS | FIELDS_OF_TYPE[kind]
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise InvalidEvent(f"{unknown[0]!r} is not a field of {_an(kind)} event")
    for name in sorted({"session", "query"} | REQUIRED_OF_TYPE[kind]):
        if data.get(name) is None:
            raise InvalidEvent(f"{_an(kind)} event needs {name!r}")

    session = _string(data, "session", 64)
    if not SESSION_PATTERN.fullmatch(session):
        raise InvalidEvent("session must be 8 to 64 letters, digits, '-' or '_'")
    lang = _optional_string(data, "lang", 3)
    if lang is not None and not LANG_PATTERN.fullmatch(lang):
        raise InvalidEvent(f"lang must be an ISO 639-1 code like 'de', not {lang!r}")
    return Event(
        type=kind,
        session=session,
        query=_query(data, kind, limits.max_query_chars),
        lang=lang,
        board=_optional_string(data, "board", MAX_BOARD_CHARS),
        thread=_optional_string(data, "thread", MAX_ID_CHARS, non_empty=True),
        rank=_optional_rank(data),
        helpful=_optional_bool(data, "helpful"),
        results=_results(data),
    )


def _an(kind: str) -> str:
    """The event type with its article: "an impression", "a click"."""
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}"


def _query(data: Mapping[str, Any], kind: str, max_chars: int) -> str:
    """The query as typed: text without control characters, and not blank unless the
    event may have a blank one (``BLANK_QUERY_ALLOWED``)."""
    query = _string(data, "query", max_chars)
    control = control_character_problem(query, "query")
    if control:
        raise InvalidEvent(control)
    if not query.strip() and kind not in BLANK_QUERY_ALLOWED:
        raise InvalidEvent(f"query must not be empty in {_an(kind)} event: it is what was typed")
    return query


def _string(data: Mapping[str, Any], name: str, max_chars: int, non_empty: bool = False) -> str:
    value = data[name]
    if not isinstance(value, str):
        raise InvalidEvent(f"{name} must be a string")
    if lone_surrogate_at(value) is not None:
        raise InvalidEvent(f"{name} holds a lone surrogate, which is not text")
    if len(value) > max_chars:
        raise InvalidEvent(f"{name} is longer than {max_chars} characters")
    if non_empty and not value:
        raise InvalidEvent(f"{name} must not be empty")
    return value


def _optional_string(
    data: Mapping[str, Any], name: str, max_chars: int, non_empty: bool = False
) -> str | None:
    if data.get(name) is None:
        return None
    return _string(data, name, max_chars, non_empty)


def _optional_rank(data: Mapping[str, Any]) -> int | None:
    value = data.get("rank")
    if value is None:
        return None
    # bool is an int in Python; true is not a rank
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= MAX_RESULTS:
        raise InvalidEvent(f"rank must be a whole number from 1 to {MAX_RESULTS}")
    return value


def _optional_bool(data: Mapping[str, Any], name: str) -> bool | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise InvalidEvent(f"{name} must be true or false")
    return value


def _results(data: Mapping[str, Any]) -> tuple[str, ...]:
    value = data.get("results")
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_RESULTS:
        raise InvalidEvent(f"results must be a list of at most {MAX_RESULTS} thread ids")
    for item in value:
        if not isinstance(item, str) or not 0 < len(item) <= MAX_ID_CHARS:
            raise InvalidEvent(f"results must hold thread ids of 1 to {MAX_ID_CHARS} characters")
        if lone_surrogate_at(item) is not None:
            raise InvalidEvent("results hold a lone surrogate, which is not text")
    return tuple(value)


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """An event as stored: redacted, with when it arrived and from which origin."""

    id: int
    received_at: datetime
    event: Event
    origin: str | None
