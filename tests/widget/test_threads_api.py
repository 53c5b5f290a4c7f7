"""The write API: POST /api/threads and DELETE /api/threads/<id>, behind an API key."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.widget.helpers import API_KEY, AUTH, writable_app
from widget.auth import authenticate, digest_of

NEW = {
    "id": "neu-001",
    "title": "Glasfaseranschluss Zebrastreifen Modem blinkt violett",
    "body": "Seit gestern blinkt das Glasfasermodem violett und nichts geht mehr.",
    "board": "Internet & WLAN",
    "lang": "de",
    "solved": True,
    "accepted_answer": {"body": "Das violette Blinken heißt: Firmware-Update läuft."},
}


@pytest.fixture
def client(sample_engine: Engine, tmp_path: Path) -> FlaskClient:
    return writable_app(sample_engine, tmp_path).test_client()


def post(client: FlaskClient, body: Any, headers: dict[str, str] | None = None) -> Any:
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post(
        "/api/threads",
        data=data,
        content_type="application/json",
        headers=AUTH if headers is None else headers,
    )


def suggested_ids(client: FlaskClient, text: str) -> list[str]:
    answer = client.get("/api/suggest", query_string={"q": text})
    assert answer.status_code == 200
    return [item["id"] for item in answer.get_json()["items"]]


# --- authentication ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "needs an API key"),
        ({"Authorization": "Bearer wrong"}, "not valid"),
        ({"X-API-Key": API_KEY + "x"}, "not valid"),
        ({"Authorization": "Basic !!!"}, "needs an API key"),
    ],
)
def test_writes_without_a_valid_key_are_a_401_with_a_challenge(
    client: FlaskClient, headers: dict[str, str], message: str
) -> None:
    answer = post(client, NEW, headers=headers)
    assert answer.status_code == 401
    assert message in answer.get_json()["error"]
    assert answer.headers["WWW-Authenticate"].lower().startswith("basic realm=")
    assert client.delete("/api/threads/wlan-001", headers=headers).status_code == 401
    assert client.get("/api/threads/neu-001").status_code == 404  # nothing written


def test_without_configured_keys_the_write_api_is_closed(
    sample_engine: Engine, tmp_path: Path
) -> None:
    client = writable_app(sample_engine, tmp_path, api_keys=()).test_client()
    answer = post(client, NEW)
    assert answer.status_code == 401 and "none is configured" in answer.get_json()["error"]


def test_the_key_may_come_as_bearer_header_or_basic_password(client: FlaskClient) -> None:
    basic = base64.b64encode(f"anyone:{API_KEY}".encode()).decode()
    for headers in (AUTH, {"X-API-Key": API_KEY}, {"Authorization": f"Basic {basic}"}):
        assert post(client, NEW, headers=headers).status_code == 200


def test_keys_are_matched_by_digest_and_never_stored(client: FlaskClient) -> None:
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    digests = (digest_of("other"), digest_of(API_KEY))
    request = Request(EnvironBuilder(headers=AUTH).get_environ())
    principal = authenticate(request, digests)
    assert principal is not None and principal.key_id == digest_of(API_KEY)[:12]
    assert authenticate(request, (digest_of("other"),)) is None
    with pytest.raises(ValueError, match="digests"):
        from indexer.settings import Settings

        Settings(api_keys=(API_KEY,))  # a key instead of its digest is refused


# --- upserts -----------------------------------------------------------------------------


def test_a_posted_thread_is_stored_and_suggested_at_once(client: FlaskClient) -> None:
    assert "neu-001" not in suggested_ids(client, "Glasfasermodem blinkt violett")
    answer = post(client, NEW)
    assert answer.status_code == 200
    assert answer.get_json() == {"indexed": 1, "unchanged": 0, "ids": ["neu-001"], "truncated": []}
    assert answer.headers["Cache-Control"] == "no-store"
    stored = client.get("/api/threads/neu-001").get_json()
    assert (stored["title"], stored["solved"]) == (NEW["title"], True)
    assert suggested_ids(client, "Glasfasermodem blinkt violett")[0] == "neu-001"


def test_posting_the_same_thread_again_changes_nothing(client: FlaskClient) -> None:
    assert post(client, NEW).get_json()["indexed"] == 1
    again = post(client, NEW).get_json()
    assert again == {"indexed": 0, "unchanged": 1, "ids": ["neu-001"], "truncated": []}
    changed = post(client, {**NEW, "kudos": 7}).get_json()
    assert (changed["indexed"], changed["unchanged"]) == (1, 0)
    assert client.get("/api/threads/neu-001").get_json()["kudos"] == 7


def test_many_threads_in_one_request(client: FlaskClient) -> None:
    batch = [{**NEW, "id": f"neu-{n:03d}", "title": f"{NEW['title']} {n}"} for n in range(5)]
    answer = post(client, batch)
    assert answer.get_json()["ids"] == [f"neu-{n:03d}" for n in range(5)]
    assert answer.get_json()["indexed"] == 5
    assert all(client.get(f"/api/threads/neu-{n:03d}").status_code == 200 for n in range(5))


def test_one_bad_item_refuses_the_batch_with_an_error_per_item(client: FlaskClient) -> None:
    batch = [NEW, {"id": "x"}, "not a thread", {**NEW, "id": "neu-002", "views": -1}]
    answer = post(client, batch)
    assert answer.status_code == 400
    body = answer.get_json()
    assert "3 of 4 threads are not valid; nothing was written" in body["error"]
    assert [(e["index"], e["id"]) for e in body["errors"]] == [(1, "x"), (2, None), (3, "neu-002")]
    assert "title" in body["errors"][0]["error"]
    assert client.get("/api/threads/neu-001").status_code == 404


@pytest.mark.parametrize(
    ("record", "error"),
    [
        ({"id": "new-2", "title": "x", "lang": "xx"}, 'lang must be an ISO 639-1 code, not "xx"'),
        (
            {"id": "new-2", "title": "x", "duplicate_of": "new-2"},
            "a thread cannot be a duplicate of itself",  # as /api/agent/duplicates says
        ),
    ],
)
def test_a_thread_the_index_cannot_serve_as_given_is_a_400(
    client: FlaskClient, record: dict[str, Any], error: str
) -> None:
    answer = post(client, record)
    assert answer.status_code == 400
    assert answer.get_json()["errors"] == [{"index": 0, "id": "new-2", "error": error}]
    assert client.get("/api/threads/new-2").status_code == 404
    # A configured language, in any case, and a link to another thread are fine.
    fine = post(client, {**record, "lang": " DE", "duplicate_of": "wlan-002"})
    assert fine.status_code == 200, fine.get_json()
    assert client.get("/api/threads/new-2").get_json()["lang"] == "de"


def test_a_batch_giving_an_id_twice_is_refused_whole(client: FlaskClient) -> None:
    batch = [
        {**NEW, "id": "new-1"},
        {"id": "new-3", "title": "first"},
        {"id": "new-3 ", "title": "second"},  # the same id, once trimmed
    ]
    answer = post(client, batch)
    assert answer.status_code == 400
    assert answer.get_json() == {
        "error": "1 of 3 threads are not valid; nothing was written",
        "errors": [
            {
                "index": 2,
                "id": "new-3",
                "error": 'id "new-3" is given at index 1 and again at 2: a batch holds a '
                "thread once",
            }
        ],
    }
    assert client.get("/api/threads/new-3").status_code == 404
    assert client.get("/api/threads/new-1").status_code == 404  # all or nothing


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{broken", 400, "not UTF-8 JSON"),
        (b"\xff\xfe", 400, "not UTF-8 JSON"),
        (b"[]", 400, "empty"),
        (b"42", 400, "a thread (a JSON object) or a list"),
    ],
)
def test_malformed_bodies_are_refused_clearly(
    client: FlaskClient, body: bytes, status: int, message: str
) -> None:
    answer = post(client, body)
    assert answer.status_code == status
    assert message in answer.get_json()["error"]


def test_body_and_batch_limits(sample_engine: Engine, tmp_path: Path) -> None:
    client = writable_app(
        sample_engine, tmp_path, write_max_bytes=2048, write_max_threads=2
    ).test_client()
    too_many = [{**NEW, "id": f"n{n}", "body": ""} for n in range(3)]
    answer = post(client, too_many)
    assert answer.status_code == 413 and "at most 2 threads" in answer.get_json()["error"]
    too_big = post(client, {**NEW, "body": "x" * 4000})
    assert too_big.status_code == 413 and "larger than 2048 bytes" in too_big.get_json()["error"]
    assert post(client, NEW).status_code == 200


def test_deeply_nested_json_is_a_400(client: FlaskClient) -> None:
    answer = post(client, b"[" * 50_000 + b"]" * 50_000)
    assert answer.status_code == 400


def test_only_json_is_accepted(client: FlaskClient) -> None:
    answer = client.post("/api/threads", data="id=1", headers=AUTH)
    assert answer.status_code == 415


# --- deletes -----------------------------------------------------------------------------


def test_a_deleted_thread_is_gone_and_no_longer_suggested(client: FlaskClient) -> None:
    question = "eSIM auf neues iPhone übertragen"
    assert suggested_ids(client, question)[0] == "sim-003"
    answer = client.delete("/api/threads/sim-003", headers=AUTH)
    assert answer.status_code == 200 and answer.get_json() == {"deleted": "sim-003"}
    assert client.get("/api/threads/sim-003").status_code == 404
    assert "sim-003" not in suggested_ids(client, question)
    again = client.delete("/api/threads/sim-003", headers=AUTH)
    assert again.status_code == 404 and "sim-003" in again.get_json()["error"]


def test_ids_with_slashes_are_addressable(client: FlaskClient) -> None:
    assert post(client, {**NEW, "id": "forum/t/123"}).status_code == 200
    assert client.get("/api/threads/forum%2Ft%2F123").get_json()["id"] == "forum/t/123"
    assert client.delete("/api/threads/forum/t/123", headers=AUTH).status_code == 200
