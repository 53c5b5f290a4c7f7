"""Tests of the thread format: validation where records enter, and the round trip back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.errors import InvalidRecord
from indexer.threads import (
    MAX_COUNT,
    MAX_ID_CHARS,
    MIN_COUNT,
    Answer,
    Thread,
    parse_timestamp,
    thread_from_record,
)

FULL_RECORD: dict[str, Any] = {
    "id": " t-1 ",
    "title": "  Router startet jede Nacht neu ",
    "body": "<p>Seit dem Update startet die Box neu.</p>",
    "url": "https://community.example/t/1",
    "board": "Internet",
    "tags": ["router", " ", " wlan "],
    "lang": "DE",
    "created_at": "2024-03-01T10:00:00Z",
    "updated_at": "2024-03-02T11:30:00",
    "kudos": -3,
    "views": 3400,
    "replies": 7,
    "solved": True,
    "accepted_answer": {"id": 17, "body": "Firmware zurücksetzen.", "author": "Micha", "kudos": 12},
    "answers": [
        {"body": "Bei mir auch.", "id": "18"},
        {"body": "   "},
        {"body": "Hast du es mit LAN probiert?", "url": "https://community.example/t/1#19"},
    ],
    "duplicate_of": "t-0",
    "unknown_field": {"is": "ignored"},
}


def test_full_record_becomes_a_normalised_thread() -> None:
    assert thread_from_record(FULL_RECORD) == Thread(
        id="t-1",
        title="Router startet jede Nacht neu",
        body="<p>Seit dem Update startet die Box neu.</p>",
        url="https://community.example/t/1",
        board="Internet",
        tags=("router", "wlan"),
        lang="de",
        created_at="2024-03-01T10:00:00+00:00",
        updated_at="2024-03-02T11:30:00+00:00",
        kudos=-3,
        views=3400,
        replies=7,
        solved=True,
        accepted_answer=Answer(
            body="Firmware zurücksetzen.", id="17", author="Micha", url=None, kudos=12
        ),
        answers=(
            Answer(body="Bei mir auch.", id="18"),
            Answer(body="Hast du es mit LAN probiert?", url="https://community.example/t/1#19"),
        ),
        duplicate_of="t-0",
    )


def test_minimal_record_gets_the_documented_defaults() -> None:
    assert thread_from_record({"id": "a", "title": "WLAN weg"}) == Thread(id="a", title="WLAN weg")


@pytest.mark.parametrize(
    ("accepted", "solved", "expected"),
    [
        ({"body": "Neustart hilft."}, None, True),
        (None, None, False),
        ({"body": "   "}, None, False),  # an empty accepted answer is no solution
        ({"body": "Neustart hilft."}, False, False),  # an explicit flag wins
        (None, True, True),
    ],
)
def test_solved_is_inferred_from_the_accepted_answer_unless_given(
    accepted: dict[str, Any] | None, solved: bool | None, expected: bool
) -> None:
    record = {"id": "a", "title": "t", "accepted_answer": accepted, "solved": solved}
    assert thread_from_record(record).solved is expected


def test_id_of_exactly_the_maximum_length_is_accepted() -> None:
    thread_id = "x" * MAX_ID_CHARS
    assert thread_from_record({"id": thread_id, "title": "t"}).id == thread_id


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([], "expected a JSON object, got list"),
        ("id", "expected a JSON object, got str"),
        (None, "expected a JSON object, got NoneType"),
        ({"title": "t"}, "missing required field 'id'"),
        ({"id": None, "title": "t"}, "missing required field 'id'"),
        ({"id": "a"}, "missing required field 'title'"),
        ({"id": 7, "title": "t"}, "id must be a string, not int"),
        ({"id": "  ", "title": "t"}, "id is empty"),
        ({"id": "a", "title": ""}, "title is empty"),
        ({"id": "x" * (MAX_ID_CHARS + 1), "title": "t"}, "id is longer than 200 characters"),
        ({"id": "a", "title": "t", "body": 5}, "body must be a string, not int"),
        ({"id": "a", "title": "t", "views": "many"}, 'views must be an integer, not "many"'),
        ({"id": "a", "title": "t", "views": -1}, "views must be >= 0, not -1"),
        ({"id": "a", "title": "t", "replies": True}, "replies must be an integer, not true"),
        ({"id": "a", "title": "t", "kudos": 1.5}, "kudos must be an integer, not 1.5"),
        ({"id": "a", "title": "t", "solved": "yes"}, 'solved must be true or false, not "yes"'),
        ({"id": "a", "title": "t", "solved": 1}, "solved must be true or false, not 1"),
        (
            {"id": "a", "title": "t", "created_at": "gestern"},
            'created_at is not an ISO 8601 timestamp: "gestern"',
        ),
        (
            {"id": "a", "title": "t", "updated_at": "2024-13-01"},
            'updated_at is not an ISO 8601 timestamp: "2024-13-01"',
        ),
        ({"id": "a", "title": "t", "tags": "router"}, "tags must be a list of strings"),
        ({"id": "a", "title": "t", "tags": ["router", 5]}, "tags must be a list of strings"),
        (
            {"id": "a", "title": "t", "lang": "german"},
            'lang must be an ISO 639-1 code, not "german"',
        ),
        ({"id": "a", "title": "t", "lang": 7}, "lang must be an ISO 639-1 code, not 7"),
        ({"id": "a", "title": "t", "answers": "none"}, "answers must be a list"),
        ({"id": "a", "title": "t", "answers": [5]}, "answers[0] must be an object or null"),
        ({"id": "a", "title": "t", "answers": [{}]}, "answers[0].body must be a string"),
        (
            {"id": "a", "title": "t", "answers": [{"body": "ok"}, {"body": "x", "id": 1.5}]},
            "answers[1].id must be a string or a number",
        ),
        (
            {"id": "a", "title": "t", "accepted_answer": "Neustart"},
            "accepted_answer must be an object or null",
        ),
        (
            {"id": "a", "title": "t", "accepted_answer": {"body": "x", "kudos": "viele"}},
            'kudos must be an integer, not "viele"',
        ),
        ({"id": "a", "title": "t", "duplicate_of": 3}, "duplicate_of must be a string, not int"),
        # Issue 16: counts a 64-bit integer cannot hold stopped whole indexing runs.
        (
            {"id": "h", "title": "t", "kudos": 99999999999999999999999999},
            f"kudos is out of range: a 64-bit integer, at most {MAX_COUNT:,}",
        ),
        (
            {"id": "h", "title": "t", "views": MAX_COUNT + 1},
            f"views is out of range: a 64-bit integer, at most {MAX_COUNT:,}",
        ),
        (
            {"id": "h", "title": "t", "accepted_answer": {"body": "x", "kudos": MIN_COUNT - 1}},
            f"kudos is out of range: a 64-bit integer, at most {MAX_COUNT:,}",
        ),
    ],
)
def test_invalid_record_is_rejected_with_a_message_that_names_the_problem(
    record: Any, message: str
) -> None:
    with pytest.raises(InvalidRecord) as raised:
        thread_from_record(record)
    assert str(raised.value) == message


def test_the_64_bit_bounds_themselves_are_counts() -> None:
    thread = thread_from_record({"id": "a", "title": "t", "kudos": MIN_COUNT, "views": MAX_COUNT})
    assert (thread.kudos, thread.views) == (MIN_COUNT, MAX_COUNT)


@pytest.mark.parametrize("answers", [False, 0, "", {}])
def test_answers_of_a_wrong_falsy_type_are_rejected(answers: Any) -> None:
    with pytest.raises(InvalidRecord, match="answers must be a list"):
        thread_from_record({"id": "a", "title": "t", "answers": answers})


def test_where_a_record_enters_its_lang_must_be_a_language() -> None:
    record = {"id": "a", "title": "t", "lang": "xx"}
    with pytest.raises(InvalidRecord, match=r'^lang must be an ISO 639-1 code, not "xx"$'):
        thread_from_record(record, entering=True)
    # A language other than the configured ones is what the thread is in: kept.
    assert thread_from_record({**record, "lang": " FR"}, entering=True).lang == "fr"
    assert thread_from_record({**record, "lang": None}, entering=True).lang is None  # detected
    # What the index already holds is read back as it was written.
    assert thread_from_record(record).lang == "xx"


def test_bad_timestamp_keeps_the_parse_error_as_its_cause() -> None:
    with pytest.raises(InvalidRecord) as raised:
        thread_from_record({"id": "a", "title": "t", "created_at": "31.12.2023"})
    assert isinstance(raised.value.__cause__, ValueError)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-03-01T10:00:00Z", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        ("2024-03-01T10:00:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
        (" 2024-03-01 ", datetime(2024, 3, 1, tzinfo=UTC)),
        (
            "2024-03-01T10:00:00+02:00",
            datetime(2024, 3, 1, 10, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_parse_timestamp_reads_iso_8601_and_takes_a_missing_zone_as_utc(
    text: str, expected: datetime
) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == expected.utcoffset()


def test_to_record_gives_back_an_equivalent_record() -> None:
    thread = thread_from_record(FULL_RECORD)
    record = thread.to_record()
    assert record["tags"] == ["router", "wlan"]
    assert record["answers"] == [
        {
            "body": "Bei mir auch.",
            "id": "18",
            "author": None,
            "url": None,
            "kudos": 0,
            "created_at": None,
        },
        {
            "body": "Hast du es mit LAN probiert?",
            "id": None,
            "author": None,
            "url": "https://community.example/t/1#19",
            "kudos": 0,
            "created_at": None,
        },
    ]
    assert (record["type"], record["state"]) == ("thread", "open")
    assert thread_from_record(record) == thread


def test_a_record_without_type_or_state_is_an_open_thread() -> None:
    """Old input still indexes: the fields added for issue 18 are optional."""
    thread = thread_from_record({"id": "a", "title": "t"})
    assert (thread.kind, thread.state, thread.is_article) == ("thread", "open", False)


def test_type_and_state_are_read_case_blind_and_kept() -> None:
    record = {"id": "a", "title": "t", "type": "Article", "state": " ARCHIVED "}
    thread = thread_from_record(record)
    assert (thread.kind, thread.state, thread.is_article) == ("article", "archived", True)
    assert thread_from_record(thread.to_record()) == thread


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"id": "a", "title": "t", "type": "faq"}, "type must be one of thread, article"),
        ({"id": "a", "title": "t", "state": "locked"}, "state must be one of open, closed"),
        ({"id": "a", "title": "t", "state": 1}, "state must be one of open, closed, archived"),
    ],
)
def test_an_unknown_type_or_state_is_refused(record: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidRecord, match=message):
        thread_from_record(record)


def test_a_solution_is_dated_by_its_own_time_else_the_last_change_else_the_question() -> None:
    base = {"id": "a", "title": "t", "created_at": "2024-01-01T00:00:00Z"}
    answer = {"body": "Neu starten."}
    assert thread_from_record(base).solution_at is None
    assert thread_from_record({**base, "accepted_answer": answer}).solution_at == (
        "2024-01-01T00:00:00+00:00"
    )
    updated = {**base, "updated_at": "2024-05-01T00:00:00Z", "accepted_answer": answer}
    assert thread_from_record(updated).solution_at == "2024-05-01T00:00:00+00:00"
    dated = {**updated, "accepted_answer": {**answer, "created_at": "2024-02-01T00:00:00Z"}}
    assert thread_from_record(dated).solution_at == "2024-02-01T00:00:00+00:00"


def test_with_changes_returns_a_changed_copy_and_leaves_the_original() -> None:
    thread = Thread(id="a", title="t")
    changed = thread.with_changes(title="neu", kudos=4)
    assert (changed.id, changed.title, changed.kudos) == ("a", "neu", 4)
    assert (thread.title, thread.kudos) == ("t", 0)


# --- properties --------------------------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
FIELDS = [
    "id", "title", "body", "url", "board", "tags", "lang", "created_at", "updated_at",
    "kudos", "views", "replies", "solved", "accepted_answer", "answers", "duplicate_of",
]  # fmt: skip
# Records shaped like the thread format, with any JSON value in any field: this reaches
# the checks behind "id" and "title" far more often than arbitrary dictionaries would.
RECORD_LIKE = st.fixed_dictionaries(
    {"id": JSON_VALUES | st.text(min_size=1), "title": JSON_VALUES | st.text(min_size=1)},
    optional={name: JSON_VALUES for name in FIELDS[2:]},
)
TIMESTAMPS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(datetime.isoformat)
COUNTS = st.integers(min_value=MIN_COUNT, max_value=MAX_COUNT)  # what the index can store
ANSWERS = st.fixed_dictionaries(
    {"body": st.text(min_size=1).filter(str.strip)},
    optional={"id": st.text() | st.integers(), "author": st.text(), "kudos": COUNTS},
)
VALID_RECORDS = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=MAX_ID_CHARS).filter(str.strip),
        "title": st.text(min_size=1).filter(str.strip),
    },
    optional={
        "body": st.text(),
        "tags": st.lists(st.text()),
        "lang": st.sampled_from(["de", "en", "DE", "fr"]),
        "created_at": TIMESTAMPS,
        "kudos": COUNTS,
        "views": st.integers(min_value=0, max_value=MAX_COUNT),
        "solved": st.booleans(),
        "accepted_answer": st.none() | ANSWERS,
        "answers": st.lists(ANSWERS, max_size=3),
        "duplicate_of": st.text(),
    },
)


@settings(max_examples=300, deadline=None, database=None)
@given(JSON_VALUES | RECORD_LIKE)
def test_thread_from_record_raises_nothing_but_invalid_record(record: Any) -> None:
    try:
        thread = thread_from_record(record)
    except InvalidRecord:
        return
    assert isinstance(thread, Thread)
    assert thread.id and thread.id == thread.id.strip()


@settings(max_examples=300, deadline=None, database=None)
@given(VALID_RECORDS)
def test_a_valid_thread_survives_the_round_trip_through_its_record(record: dict[str, Any]) -> None:
    thread = thread_from_record(record)
    assert thread_from_record(thread.to_record()) == thread


@pytest.mark.parametrize(
    ("value", "groups"),
    [
        (None, ()),
        ("public", ()),
        ("staff", ("staff",)),
        ([" staff ", "moderators", "staff"], ("moderators", "staff")),
    ],
)
def test_visibility_is_public_or_the_groups_allowed(value: object, groups: tuple) -> None:
    parsed = thread_from_record({"id": "x", "title": "t", "visibility": value})
    assert parsed.visibility == groups
    record = parsed.to_record()
    assert record["visibility"] == (list(groups) if groups else "public")
    assert thread_from_record(record) == parsed


@pytest.mark.parametrize("value", [[], [" "], ["public", "staff"], 7, [1], {"groups": ["a"]}])
def test_a_visibility_that_names_no_group_is_refused_not_made_public(value: object) -> None:
    with pytest.raises(InvalidRecord, match="visibility"):
        thread_from_record({"id": "x", "title": "t", "visibility": value})


# --- bounded threads (issue 16, item 10) --------------------------------------------------


def test_a_thread_within_bounds_is_returned_as_it_is() -> None:
    from indexer.threads import bounded_thread

    small = thread_from_record(
        {"id": "s", "title": "t", "body": "b" * 1000, "answers": [{"body": "a" * 999}]}
    )
    assert bounded_thread(small, 1000) is small


def test_each_text_of_a_long_thread_is_cut_and_ends_in_the_mark() -> None:
    from indexer.threads import CUT_MARK, TITLE_MAX_CHARS, bounded_thread

    long = thread_from_record(
        {
            "id": "l",
            "title": "T" * 5000,
            "body": "Anfang " + "b" * 10_000,
            "accepted_answer": {"body": "Lösung " + "s" * 10_000, "author": "mod"},
            "answers": [{"body": "x" * 600}, {"body": "y" * 600}, {"body": "z" * 600}],
        }
    )
    cut = bounded_thread(long, 1000)
    assert len(cut.title) == TITLE_MAX_CHARS and cut.title.endswith(CUT_MARK)
    assert len(cut.body) == 1000 and cut.body.startswith("Anfang ") and cut.body.endswith("…")
    assert cut.accepted_answer is not None and cut.accepted_answer.author == "mod"
    assert len(cut.accepted_answer.body) == 1000 and cut.accepted_answer.body.endswith("…")
    # The answers share one budget: the first whole, the second cut, the third dropped.
    assert [len(answer.body) for answer in cut.answers] == [600, 400]
    assert cut.answers[1].body.endswith(CUT_MARK)
    assert (cut.id, cut.kudos, cut.solved) == (long.id, long.kudos, long.solved)
