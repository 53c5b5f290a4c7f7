"""POST /api/events: validated, accepted only from allowed origins, stored redacted."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.analytics.store import EVENTS_FILE, SqliteEventStore
from indexer.engine import Engine
from tests.conftest import engine_copy
from widget.app import create_app

OWN = "http://localhost"  # the test client's host
PARTNER = "https://help.partner.example"
SESSION = "s-0123456789abcdef"
CLICK = {"type": "click", "session": SESSION, "query": "wlan", "thread": "wlan-002", "rank": 1}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path


@pytest.fixture
def client(sample_engine: Engine, data_dir: Path) -> Iterator[FlaskClient]:
    # Over the sample community: events must name threads the index holds.
    app = create_app(engine=engine_copy(sample_engine, data_dir, widget_origins=(PARTNER,)))
    yield app.test_client()


def post(client: FlaskClient, event: Any, origin: str | None = OWN, **kwargs: Any) -> Any:
    headers = {"Origin": origin} if origin else {}
    data = event if isinstance(event, bytes | str) else json.dumps(event)
    kwargs.setdefault("content_type", "text/plain;charset=UTF-8")  # what sendBeacon sends
    return client.post("/api/events", data=data, headers=headers, **kwargs)


def stored(data_dir: Path) -> list[Any]:
    store = SqliteEventStore(data_dir / EVENTS_FILE)
    try:
        return list(store.read())
    finally:
        store.close()


def test_an_event_from_the_services_own_page_is_stored(client: FlaskClient, data_dir: Path) -> None:
    answer = post(client, CLICK)
    assert answer.status_code == 202 and answer.get_json() == {"stored": 1}
    [event] = stored(data_dir)
    assert (event.event.type, event.event.thread, event.event.rank) == ("click", "wlan-002", 1)
    assert event.origin == OWN


def test_a_configured_widget_origin_may_send_events(client: FlaskClient, data_dir: Path) -> None:
    assert post(client, CLICK, origin=PARTNER, content_type="application/json").status_code == 202
    assert [e.origin for e in stored(data_dir)] == [PARTNER]


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ("https://evil.example", "not in widget_origins"),
        ("null", "not in widget_origins"),
        (None, "no Origin header"),
    ],
)
def test_events_from_other_origins_are_refused(
    client: FlaskClient, data_dir: Path, origin: str | None, message: str
) -> None:
    answer = post(client, CLICK, origin=origin)
    assert answer.status_code == 403 and message in answer.get_json()["error"]
    assert not (data_dir / EVENTS_FILE).exists()


def test_any_origin_is_allowed_with_a_star(sample_engine: Engine, tmp_path: Path) -> None:
    app = create_app(engine=engine_copy(sample_engine, tmp_path, widget_origins=("*",)))
    assert post(app.test_client(), CLICK, origin="https://anywhere.example").status_code == 202


def test_an_invalid_event_is_a_400_naming_the_field(client: FlaskClient, data_dir: Path) -> None:
    answer = post(client, {**CLICK, "rank": "first"})
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "rank must be a whole number from 1 to 20"}
    assert post(client, "{broken").status_code == 400
    assert stored(data_dir) == []


# What reached the report's top and zero-result queries as blank lines and a raw NUL.
GAP = {"type": "impression", "session": "sess-abcdef12", "results": []}


@pytest.mark.parametrize("query", ["", " "])
def test_a_blank_query_is_a_400_and_not_stored(
    client: FlaskClient, data_dir: Path, query: str
) -> None:
    answer = post(client, {**GAP, "query": query})
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": "query must not be empty in an impression event: it is what was typed"
    }
    assert stored(data_dir) == []


def test_a_control_character_in_the_query_is_a_400_as_in_q(
    client: FlaskClient, data_dir: Path
) -> None:
    answer = post(client, {**GAP, "query": "\u0000"})
    assert answer.status_code == 400
    error = "holds the control character U+0000, which no text searched for holds"
    assert answer.get_json() == {"error": f"query {error}"}
    suggest = client.get("/api/suggest", query_string={"q": "\u0000"})  # the same check
    assert suggest.status_code == 400 and suggest.get_json() == {"error": f"q {error}"}
    assert stored(data_dir) == []


def test_a_vote_given_after_the_box_was_cleared_is_stored(
    client: FlaskClient, data_dir: Path
) -> None:
    # embed.js votes with the text on show: blank once the customer cleared the box after
    # opening the thread in a new tab. The vote counts all the same.
    vote = {"type": "helpful", "session": SESSION, "query": "", "thread": "wlan-002",
            "helpful": True}  # fmt: skip
    assert post(client, vote).status_code == 202
    assert [(e.event.type, e.event.query) for e in stored(data_dir)] == [("helpful", "")]


def test_an_oversized_body_is_a_413(client: FlaskClient) -> None:
    answer = post(client, {**CLICK, "query": "x" * 5000})
    assert answer.status_code == 413 and "larger than 4096 bytes" in answer.get_json()["error"]


def test_a_form_post_is_a_415(client: FlaskClient) -> None:
    answer = post(client, "type=click", content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 415


def test_personal_data_in_the_query_is_redacted_before_storing(
    client: FlaskClient, data_dir: Path
) -> None:
    event = {"type": "asked_anyway", "session": SESSION, "query": "Vertrag von max@example.de"}
    assert post(client, event).status_code == 202
    assert [e.event.query for e in stored(data_dir)] == ["Vertrag von [email]"]


def test_personal_data_in_the_board_is_redacted_before_storing(
    client: FlaskClient, data_dir: Path
) -> None:
    event = {"type": "asked_anyway", "session": SESSION, "query": "x", "board": "0171 9876543"}
    assert post(client, event).status_code == 202
    assert [e.event.board for e in stored(data_dir)] == ["[phone]"]


@pytest.mark.parametrize(
    ("event", "field"),
    [
        ({"type": "helpful", "session": SESSION, "query": "wlan", "thread": "gone-1",
          "helpful": True}, "thread"),
        ({**CLICK, "thread": "lisa.test@example.de"}, "thread"),
        ({"type": "impression", "session": SESSION, "query": "wlan",
          "results": ["wlan-001", "no-such-thread"]}, "results[1]"),
    ],
)  # fmt: skip
def test_an_event_naming_a_thread_the_index_lacks_is_a_400_and_not_stored(
    client: FlaskClient, data_dir: Path, event: dict[str, Any], field: str
) -> None:
    answer = post(client, event)
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error.startswith(f"{field}: no thread with this id is in the index")
    assert "example.de" not in error  # the id is not echoed
    assert stored(data_dir) == []
    vote = {"type": "helpful", "session": SESSION, "query": "wlan", "thread": "wlan-001",
            "helpful": True}  # fmt: skip
    assert post(client, vote).status_code == 202
    assert [e.event.thread for e in stored(data_dir)] == ["wlan-001"]


def test_the_read_api_answers_allowed_origins_with_cors(client: FlaskClient) -> None:
    query = {"q": "wlan"}
    allowed = client.get("/api/suggest", query_string=query, headers={"Origin": PARTNER})
    assert allowed.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "Origin" in allowed.headers["Vary"]
    other = client.get("/api/suggest", query_string=query, headers={"Origin": "https://x.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
