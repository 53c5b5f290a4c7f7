"""Event validation: every valid kind passes typed, everything else is refused by name."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from indexer.analytics.events import (
    Event,
    EventLimits,
    parse_event,
    received_before,
    received_stamp,
)
from indexer.errors import InvalidEvent

LIMITS = EventLimits(max_bytes=2048, max_query_chars=500)
SESSION = "s-0123456789abcdef"


def body(**fields: Any) -> bytes:
    return json.dumps({"session": SESSION, "query": "wlan bricht ab", **fields}).encode()


def test_each_kind_of_event_is_parsed_typed() -> None:
    impression = parse_event(body(type="impression", results=["wlan-002", "wlan-003"]), LIMITS)
    assert impression == Event(
        type="impression", session=SESSION, query="wlan bricht ab", results=("wlan-002", "wlan-003")
    )
    click = parse_event(body(type="click", thread="wlan-002", rank=1, lang="de"), LIMITS)
    assert (click.thread, click.rank, click.lang) == ("wlan-002", 1, "de")
    asked = parse_event(body(type="asked_anyway", board="Router & WLAN"), LIMITS)
    assert (asked.type, asked.board) == ("asked_anyway", "Router & WLAN")
    helpful = parse_event(body(type="helpful", thread="wlan-002", helpful=False), LIMITS)
    assert helpful.helpful is False and helpful.rank is None


def test_an_impression_of_nothing_is_valid_it_is_a_content_gap() -> None:
    assert parse_event(body(type="impression", results=[]), LIMITS).results == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "not UTF-8 JSON"),
        (b"{not json", "not UTF-8 JSON"),
        (b"[1, 2]", "must be a JSON object"),
        (body(type="purchase"), "type must be one of"),
        (body(), "type must be one of"),
        (body(type="click", thread="a", rank=1, extra=1), "'extra' is not a field"),
        (body(type="click", thread="a", rank=1, results=[]), "'results' is not a field"),
        (body(type="click", rank=1), "needs 'thread'"),
        (body(type="helpful", thread="a", helpful=None), "needs 'helpful'"),
        (body(type="impression"), "needs 'results'"),
        (json.dumps({"type": "asked_anyway", "session": SESSION}).encode(), "needs 'query'"),
        (body(type="asked_anyway", session="short"), "session must be"),
        (body(type="asked_anyway", session="has space in it"), "session must be"),
        (body(type="asked_anyway", query=5), "query must be a string"),
        (body(type="asked_anyway", query="x" * 501), "query is longer than 500"),
        (body(type="asked_anyway", lang="DE"), "lang must be an ISO 639-1 code"),
        (body(type="click", thread="a", rank=0), "rank must be a whole number"),
        (body(type="click", thread="a", rank=True), "rank must be a whole number"),
        (body(type="click", thread="a", rank=1.5), "rank must be a whole number"),
        (body(type="click", thread="", rank=1), "thread must not be empty"),
        (body(type="helpful", thread="a", helpful="yes"), "helpful must be true or false"),
        (body(type="impression", results=["a"] * 21), "at most 20 thread ids"),
        (body(type="impression", results=[1]), "thread ids of 1 to 200"),
        (body(type="asked_anyway", board="b" * 201), "board is longer than 200"),
    ],
)
def test_an_invalid_event_is_refused_naming_the_problem(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidEvent, match=message):
        parse_event(raw, LIMITS)


@pytest.mark.parametrize("kind", ["impression", "click", "asked_anyway"])
@pytest.mark.parametrize("query", ["", "   ", "\n\t"])
def test_a_blank_query_is_refused_but_in_a_vote(kind: str, query: str) -> None:
    fields = {"impression": {"results": []}, "click": {"thread": "a", "rank": 1}}
    with pytest.raises(InvalidEvent, match=f"^query must not be empty in an? {kind} event"):
        parse_event(body(type=kind, query=query, **fields.get(kind, {})), LIMITS)
    # The widget votes with the text on show, blank once the box was cleared after a click.
    vote = parse_event(body(type="helpful", thread="a", helpful=True, query=query), LIMITS)
    assert (vote.query, vote.helpful) == (query, True)


@pytest.mark.parametrize("kind", ["impression", "helpful"])
@pytest.mark.parametrize(
    ("query", "code"), [("\x00", "U+0000"), ("wlan\x1b[2J", "U+001B"), ("\x1c", "U+001C")]
)
def test_a_control_character_in_the_query_is_refused_as_in_q(
    kind: str, query: str, code: str
) -> None:
    fields = {"results": []} if kind == "impression" else {"thread": "a", "helpful": True}
    with pytest.raises(InvalidEvent) as refused:
        parse_event(body(type=kind, query=query, **fields), LIMITS)
    assert str(refused.value) == (
        f"query holds the control character {code}, which no text searched for holds"
    )
    # Tab and line breaks are text (a pasted message), as in q.
    assert parse_event(body(type=kind, query="wlan\tab\r\n", **fields), LIMITS).query


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (body(type="impression", query=None), "an impression event needs 'query'"),
        (body(type="asked_anyway", query=None), "an asked_anyway event needs 'query'"),
        (body(type="click", rank=1), "a click event needs 'thread'"),
        (body(type="impression", results=[], rank=1), "'rank' is not a field of an impression"),
    ],
)
def test_messages_give_the_event_type_its_article(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidEvent) as refused:
        parse_event(raw, LIMITS)
    assert str(refused.value).startswith(message)


def test_an_oversized_body_is_refused_before_it_is_parsed() -> None:
    raw = body(type="asked_anyway", query="x" * 400) + b" " * 2048
    with pytest.raises(InvalidEvent, match="larger than 2048 bytes"):
        parse_event(raw, LIMITS)


def test_a_bound_inside_a_millisecond_covers_that_millisecond() -> None:
    moment = datetime(2026, 12, 7, 16, 0, 0, 123_400, tzinfo=UTC)
    assert received_stamp(moment) == "2026-12-07T16:00:00.123+00:00"
    assert received_before(moment) == "2026-12-07T16:00:00.124+00:00"
    assert received_before(moment.replace(microsecond=123_000)) == "2026-12-07T16:00:00.123+00:00"
    last = datetime.max.replace(tzinfo=UTC)  # no next millisecond in the calendar
    assert received_before(last) == "9999-12-31T23:59:59.999+00:00"
