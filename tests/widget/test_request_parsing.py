"""How requests are read where they enter: duplicate JSON keys, integers in ASCII digits
only, control characters in q, errors in JSON's spelling, and the headers of /metrics,
OPTIONS and a wrong sign-in to the admin API."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.widget.helpers import API_KEY, AUTH, writable_app
from widget.agent_access import password_entry

PARTNER = "https://help.example.org"


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def post_json(client: FlaskClient, path: str, body: str) -> tuple[int, str]:
    answer = client.post(path, data=body, content_type="application/json", headers=AUTH)
    return answer.status_code, answer.get_json()["error"]


def test_a_key_given_twice_in_a_search_body_is_a_400_naming_it(client: FlaskClient) -> None:
    status, message = post_json(client, "/api/search", '{"q": "WLAN", "q": "DSL"}')
    assert (status, message) == (400, 'the body gives the key "q" more than once')


def test_a_key_given_twice_in_any_json_body_is_a_400_naming_it(
    sample_engine: Engine, tmp_path: Path
) -> None:
    client = writable_app(sample_engine, tmp_path).test_client()
    thread = '{"id": "dup-1", "title": "WLAN", "title": "DSL", "body": "x"}'
    status, message = post_json(client, "/api/threads", thread)
    assert (status, message) == (400, 'the body gives the key "title" more than once')
    # In a nested object too: the answer's body is one of two texts, so neither.
    nested = '{"id": "dup-2", "title": "t", "accepted_answer": {"body": "a", "body": "b"}}'
    assert post_json(client, "/api/threads", nested) == (
        400,
        'the body gives the key "body" more than once',
    )
    # The same key in two objects is no duplicate.
    twice = '[{"id": "dup-3", "title": "t"}, {"id": "dup-4", "title": "t"}]'
    answer = client.post("/api/threads", data=twice, content_type="application/json", headers=AUTH)
    assert answer.status_code == 200, answer.get_json()


def test_a_key_given_twice_in_an_event_is_a_400_naming_it(client: FlaskClient) -> None:
    event = '{"type": "asked_anyway", "session": "s-0123456789", "query": "x", "query": "y"}'
    answer = client.post(
        "/api/events", data=event, content_type="text/plain", headers={"Origin": "http://localhost"}
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"] == 'the event gives the key "query" more than once'
    umlaut = (
        '{"type": "asked_anyway", "session": "s-0123456789", "query": "x", "Größe": 1, "Größe": 2}'
    )
    answer = client.post(
        "/api/events",
        data=umlaut,
        content_type="text/plain",
        headers={"Origin": "http://localhost"},
    )
    assert answer.get_json()["error"] == 'the event gives the key "Größe" more than once'


def test_a_body_that_is_not_utf8_names_the_line_and_byte(client: FlaskClient) -> None:
    latin1 = '{"q": "WLAN",\n "board": "Caf\xe9"}'.encode("latin-1")
    answer = client.post("/api/search", data=latin1, content_type="application/json", headers=AUTH)
    assert (answer.status_code, answer.get_json()["error"]) == (
        400,
        "the body is not UTF-8 JSON: "
        "not UTF-8 text (line 2, byte 15: 0xe9 starts no UTF-8 character)",
    )


@pytest.mark.parametrize("limit", ["1_0", "\uff15", "\u0665", "+5", " 5", "5 ", "0x5", "5.0"])
def test_an_integer_parameter_takes_ascii_digits_only(client: FlaskClient, limit: str) -> None:
    for path in ("/api/suggest", "/api/search"):
        answer = client.get(path, query_string={"q": "WLAN", "limit": limit})
        assert answer.status_code == 400, (path, limit)
        assert answer.get_json() == {
            "error": f"limit must be a whole number, not {json.dumps(limit, ensure_ascii=False)}"
        }
    assert client.get("/api/search", query_string={"q": "WLAN", "limit": "05"}).status_code == 200


@pytest.mark.parametrize("offset", ["-1", "-0", "9" * 5000])
def test_a_minus_or_too_many_digits_where_none_fit_is_out_of_range(
    client: FlaskClient, offset: str
) -> None:
    answer = client.get("/api/search", query_string={"q": "WLAN", "offset": offset})
    assert answer.status_code == 400
    assert answer.get_json()["error"].startswith("offset must be between 0 and ")


def test_an_integer_parameter_of_the_admin_api_takes_ascii_digits_only(
    sample_engine: Engine, tmp_path: Path
) -> None:
    client = writable_app(sample_engine, tmp_path).test_client()
    answer = client.get("/api/admin/report", query_string={"days": "\uff17"}, headers=AUTH)
    assert answer.status_code == 400
    assert answer.get_json() == {"error": 'days must be a whole number, not "\uff17"'}


@pytest.mark.parametrize(
    ("q", "code"),
    [("\x00", "U+0000"), ("WLAN\x00", "U+0000"), ("WLAN\x1b[2J", "U+001B"),
     ("WLAN\x7f", "U+007F"), ("WLAN\x85", "U+0085")],
)  # fmt: skip
def test_control_characters_in_q_are_a_400(client: FlaskClient, q: str, code: str) -> None:
    expected = {"error": f"q holds the control character {code}, which no text searched for holds"}
    for path in ("/api/suggest", "/api/search"):
        answer = client.get(path, query_string={"q": q})
        assert (answer.status_code, answer.get_json()) == (400, expected), (path, q)
    posted = client.post("/api/search", json={"q": q})
    assert (posted.status_code, posted.get_json()) == (400, expected)


def test_tabs_and_newlines_in_q_are_text(client: FlaskClient) -> None:
    message = "Hallo,\r\nmein WLAN bricht\tabends ab.\nWas tun?"
    assert client.post("/api/search", json={"q": message}).status_code == 200
    assert client.get("/api/suggest", query_string={"q": "WLAN\tbricht"}).status_code == 200


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"q": "WLAN", "limit": true}', "limit must be a JSON whole number, not true"),
        ('{"q": "WLAN", "limit": false}', "limit must be a JSON whole number, not false"),
        ('{"q": "WLAN", "limit": "5"}', 'limit must be a JSON whole number, not "5"'),
        ('{"q": "WLAN", "limit": 5.5}', "limit must be a JSON whole number, not 5.5"),
        ('{"q": "WLAN", "limit": [5]}', "limit must be a JSON whole number, not [5]"),
        ('{"q": "WLAN", "solved": "yes"}',
         'solved must be a JSON boolean (true or false), not "yes"'),
        ('{"q": "WLAN", "solved": null, "articles": false}',
         "articles must be a JSON whole number, not false"),
        ('{"q": "WLAN", "solved": 1}', "solved must be a JSON boolean (true or false), not 1"),
        ('{"q": {"text": "WLAN"}}', 'q must be a JSON string, not {"text": "WLAN"}'),
        ('{"q": "WLAN", "lang": "xx"}', 'unknown lang "xx"'),
        ('{"q": "WLAN", "board": "Nirgends"}', 'unknown board "Nirgends"'),
        ('{"q": "WLAN", "from": "gestern"}',
         'from must be a date (YYYY-MM-DD) or ISO 8601 time, not "gestern"'),
    ],
)  # fmt: skip
def test_errors_show_the_offending_value_as_json_spells_it(
    client: FlaskClient, body: str, expected: str
) -> None:
    answer = client.post("/api/search", data=body, content_type="application/json")
    assert (answer.status_code, answer.get_json()) == (400, {"error": expected})


def test_metrics_name_their_charset_once(client: FlaskClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    content_type = answer.headers["Content-Type"]
    assert content_type.startswith("text/plain") and content_type.count("charset") == 1


@pytest.mark.parametrize("path", ["/api/suggest", "/api/search", "/api/threads/wlan-001"])
def test_options_is_a_204_with_allow_and_no_html(client: FlaskClient, path: str) -> None:
    answer = client.options(path)
    assert answer.status_code == 204 and answer.data == b""
    assert "text/html" not in answer.headers.get("Content-Type", "")
    assert {"GET", "HEAD", "OPTIONS"} <= set(answer.headers["Allow"].replace(" ", "").split(","))


def test_a_preflight_is_still_not_granted(client: FlaskClient) -> None:
    """The widget only sends simple GETs; a preflight (a cross-site page asking to send
    more) is answered, never granted (widget.agent, widget.origins)."""
    preflight = {"Origin": PARTNER, "Access-Control-Request-Method": "POST"}
    answer = client.options("/api/search", headers=preflight)
    assert answer.status_code == 204
    assert not [name for name, _ in answer.headers.items() if name.startswith("Access-Control-")]


def test_a_wrong_password_to_the_admin_api_says_so(sample_engine: Engine, tmp_path: Path) -> None:
    client = writable_app(
        sample_engine,
        tmp_path,
        api_keys=(),
        agent_auth="password",
        agent_users=(password_entry("demo", "right"),),
        admin_users=("demo",),
    ).test_client()
    answer = client.get("/api/admin/report", headers=basic("demo", "wrong"))
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Basic")
    message = answer.get_json()["error"]
    assert message.startswith("this user name and password are not valid"), message
    assert "API key" not in message
    assert client.get("/api/admin/report", headers=basic("demo", "right")).status_code == 200
    # Without credentials, a script still learns how to send a key.
    assert "askfind api-key" in client.get("/api/admin/report").get_json()["error"]


def test_a_wrong_key_to_the_admin_api_still_says_the_key_is_wrong(
    sample_engine: Engine, tmp_path: Path
) -> None:
    client = writable_app(sample_engine, tmp_path, admin_users=("maria",)).test_client()
    wrong = {"Authorization": f"Bearer {API_KEY}x"}
    answer = client.get("/api/admin/report", headers=wrong)
    assert answer.status_code == 401
    assert answer.get_json()["error"].startswith("the API key is not valid")
