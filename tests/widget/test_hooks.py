"""Webhooks: POST /api/hooks/<source>, signed, applied to a real index from the stand-ins."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.community_servers import API_KEY, TOKEN, FakeDiscourse, FakeKhoros, serving
from tests.widget.helpers import writable_app
from tests.widget.hook_deliveries import (
    DISCOURSE_SECRET,
    KHOROS_SECRET,
    discourse_hook,
    khoros_hook,
    signature,
)
from widget.hook_signatures import askfind_signature


@dataclass
class Setup:
    client: FlaskClient
    discourse: FakeDiscourse
    khoros: FakeKhoros


@pytest.fixture
def setup(sample_engine: Engine, tmp_path: Path) -> Iterator[Setup]:
    discourse, khoros = FakeDiscourse(), FakeKhoros()
    with serving(discourse) as discourse_url, serving(khoros) as khoros_url:
        app = writable_app(
            sample_engine,
            tmp_path,
            discourse_url=discourse_url,
            discourse_api_key=API_KEY,
            discourse_webhook_secret=DISCOURSE_SECRET,
            khoros_url=khoros_url,
            khoros_token=TOKEN,
            khoros_webhook_secret=KHOROS_SECRET,
            source_retries=0,
            # The forum closes solved topics (topic 101 is closed): they are suggested.
            excluded_states=("archived",),
        )
        yield Setup(app.test_client(), discourse, khoros)


def title_of(client: FlaskClient, thread_id: str) -> str | None:
    answer = client.get(f"/api/threads/{thread_id}")
    return answer.get_json()["title"] if answer.status_code == 200 else None


def suggested(client: FlaskClient, text: str) -> list[str]:
    answer = client.get("/api/suggest", query_string={"q": text})
    assert answer.status_code == 200
    return [item["id"] for item in answer.get_json()["items"]]


def searched(client: FlaskClient, text: str) -> list[str]:
    answer = client.get("/api/search", query_string={"q": text})
    assert answer.status_code == 200
    return [item["id"] for item in answer.get_json()["items"]]


def counts(answer: Any) -> tuple[str, int, int, int, int]:
    data = answer.get_json()
    return data["result"], data["added"], data["changed"], data["unchanged"], data["deleted"]


# --- Discourse ----------------------------------------------------------------------------


def test_a_created_topic_is_fetched_indexed_and_suggested_at_once(setup: Setup) -> None:
    client = setup.client
    assert title_of(client, "101") is None
    answer = discourse_hook(client, "topic_created", {"topic": {"id": 101, "title": "ignored"}})
    assert answer.status_code == 200, answer.get_json()
    assert counts(answer) == ("applied", 1, 0, 0, 0)
    assert answer.get_json()["ids"] == ["101"]
    # The topic as the forum's API has it, not as the (unverified) body says.
    assert title_of(client, "101") == "WLAN bricht abends ab"
    assert "/t/101.json" in setup.discourse.paths()
    assert "101" in suggested(client, "WLAN Funkkanal Firmware 7.57 abends")


def test_the_same_delivery_twice_changes_nothing_the_second_time(setup: Setup) -> None:
    client = setup.client
    first = discourse_hook(client, "post_created", {"post": {"id": 9003, "topic_id": 101}})
    assert counts(first) == ("applied", 1, 0, 0, 0)
    again = discourse_hook(client, "post_created", {"post": {"id": 9003, "topic_id": 101}})
    assert again.status_code == 200
    assert counts(again) == ("nothing changed", 0, 0, 1, 0)
    assert title_of(client, "101") == "WLAN bricht abends ab"


def test_an_edited_topic_replaces_the_indexed_one(setup: Setup) -> None:
    client = setup.client
    discourse_hook(client, "topic_created", {"topic": {"id": 101}})
    assert "101" not in searched(client, "Xylophonkanal")
    setup.discourse.topics["101"]["title"] = "WLAN bricht abends ab: Xylophonkanal hilft"
    answer = discourse_hook(client, "topic_edited", {"topic": {"id": 101}})
    assert counts(answer) == ("applied", 0, 1, 0, 0)
    assert title_of(client, "101") == "WLAN bricht abends ab: Xylophonkanal hilft"
    assert searched(client, "Xylophonkanal")[:1] == ["101"]
    assert suggested(client, "WLAN bricht abends ab Xylophonkanal hilft")[:1] == ["101"]


def test_a_destroyed_topic_is_deleted_once(setup: Setup) -> None:
    client = setup.client
    discourse_hook(client, "topic_created", {"topic": {"id": 101}})
    del setup.discourse.topics["101"]
    answer = discourse_hook(client, "topic_destroyed", {"topic": {"id": 101}})
    assert counts(answer) == ("applied", 0, 0, 0, 1)
    assert title_of(client, "101") is None
    assert "101" not in suggested(client, "WLAN Funkkanal Firmware 7.57 abends")
    again = discourse_hook(client, "topic_destroyed", {"topic": {"id": 101}})
    assert counts(again) == ("nothing changed", 0, 0, 0, 0)


def test_a_topic_the_forum_no_longer_has_is_deleted(setup: Setup) -> None:
    client = setup.client
    discourse_hook(client, "topic_created", {"topic": {"id": 101}})
    del setup.discourse.topics["101"]
    answer = discourse_hook(client, "topic_edited", {"topic": {"id": 101}})
    assert counts(answer) == ("applied", 0, 0, 0, 1)


def test_a_ping_changes_nothing(setup: Setup) -> None:
    answer = discourse_hook(setup.client, "ping", {"ping": "OK"})
    assert answer.status_code == 200 and counts(answer) == ("nothing changed", 0, 0, 0, 0)


# --- Khoros -------------------------------------------------------------------------------


def test_khoros_messages_update_and_delete_their_topic(setup: Setup) -> None:
    client = setup.client
    reply = {"event": "message.create", "message": {"id": "1003", "topic": {"id": "1001"}}}
    answer = khoros_hook(client, reply)
    assert answer.status_code == 200, answer.get_json()
    assert counts(answer) == ("applied", 1, 0, 0, 0)
    assert title_of(client, "1001") == "WLAN bricht abends ab"
    # The same event again, a second later (the same bytes at once would be a replay: 409).
    again = khoros_hook(client, reply, signed_at=time.time() + 1)
    assert counts(again) == ("nothing changed", 0, 0, 1, 0)
    setup.khoros.messages = [m for m in setup.khoros.messages if m["id"] != "1001"]
    deleted = {"event": "message.delete", "message": {"id": "1001", "depth": 0}}
    assert counts(khoros_hook(client, deleted)) == ("applied", 0, 0, 0, 1)
    assert title_of(client, "1001") is None


def test_a_delivery_that_names_no_message_is_a_400(setup: Setup) -> None:
    answer = khoros_hook(setup.client, {"event": "message.create", "message": {}})
    assert answer.status_code == 400
    assert answer.get_json()["errors"] == ["webhook message.create: a message needs id"]


# --- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Discourse-Event-Signature": signature(b"{}", DISCOURSE_SECRET)},  # another body
        {"X-Discourse-Event-Signature": signature(b'{"topic": {"id": 101}}', "guessed")},
        {"X-Discourse-Event-Signature": ""},
        {"X-Discourse-Event-Signature": "sha1=" + "0" * 40},
        {"X-Discourse-Event-Signature": "sha256=ä"},
    ],
)
def test_a_bad_signature_is_refused_and_nothing_is_stored(
    setup: Setup, headers: dict[str, str]
) -> None:
    answer = discourse_hook(setup.client, "topic_created", {"topic": {"id": 101}}, **headers)
    assert answer.status_code == 403
    assert "signature" in answer.get_json()["error"]
    assert title_of(setup.client, "101") is None
    assert setup.discourse.requests == []  # nothing was fetched on an unsigned say-so


def test_a_khoros_delivery_signed_with_the_discourse_secret_is_refused(setup: Setup) -> None:
    body = json.dumps({"event": "message.create", "message": {"id": "1001"}}).encode()
    stamp = int(time.time())
    answer = setup.client.post(
        "/api/hooks/khoros",
        data=body,
        content_type="application/json",
        headers={"X-Askfind-Signature": askfind_signature(body, DISCOURSE_SECRET, stamp)},
    )
    assert answer.status_code == 403 and title_of(setup.client, "1001") is None


def test_without_a_configured_secret_every_delivery_is_refused(
    sample_engine: Engine, tmp_path: Path
) -> None:
    client = writable_app(sample_engine, tmp_path, discourse_url="http://127.0.0.1:9").test_client()
    answer = discourse_hook(client, "topic_created", {"topic": {"id": 101}})
    assert answer.status_code == 403
    assert "setting discourse_webhook_secret" in answer.get_json()["error"]
    unsigned = client.post("/api/hooks/khoros", data=b"{}", content_type="application/json")
    assert unsigned.status_code == 403 and "khoros_webhook_secret" in unsigned.get_json()["error"]


def test_an_oversized_body_is_a_413(setup: Setup) -> None:
    body = json.dumps({"topic": {"id": 101, "raw": "x" * 2_000_000}}).encode()
    answer = discourse_hook(setup.client, "topic_created", body)
    assert answer.status_code == 413
    assert "larger than" in answer.get_json()["error"]
    assert title_of(setup.client, "101") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"{not json", "not UTF-8 JSON"), (b"\xff\xfe", "not UTF-8 JSON"), (b"[101]", "JSON object")],
)
def test_a_signed_body_that_is_not_a_json_object_is_a_400(
    setup: Setup, body: bytes, message: str
) -> None:
    answer = discourse_hook(setup.client, "topic_created", body)
    assert answer.status_code == 400
    assert message in answer.get_json()["error"]


def test_an_unknown_source_is_a_404(setup: Setup) -> None:
    answer = setup.client.post("/api/hooks/zendesk", data=b"{}", content_type="application/json")
    assert answer.status_code == 404
    assert "discourse, khoros" in answer.get_json()["error"]


def test_when_the_forum_cannot_be_read_the_delivery_fails_and_nothing_changes(
    setup: Setup,
) -> None:
    setup.discourse.failures = [(503, {})] * 3
    answer = discourse_hook(setup.client, "topic_created", {"topic": {"id": 101}})
    assert answer.status_code == 502  # the sender delivers again later
    assert "could not be read" in answer.get_json()["error"]
    assert title_of(setup.client, "101") is None
