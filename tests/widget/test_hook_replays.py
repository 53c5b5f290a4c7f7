"""Issue 16, item 9: a captured webhook delivery cannot be replayed to take a topic out.

Deletes are checked against the community's API (real local stand-ins), deliveries are
remembered by id across workers (the data dir's file, and Redis), and askfind's Khoros
signature carries a time. On both backends.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.community_servers import API_KEY, TOKEN, FakeDiscourse, FakeKhoros, serving
from tests.conftest import engine_on
from tests.services import delete_indices, unique_prefix
from tests.widget.hook_deliveries import (
    DISCOURSE_SECRET,
    KHOROS_SECRET,
    discourse_hook,
    khoros_hook,
    signature,
)
from widget.app import close_app, create_app
from widget.hook_signatures import askfind_signature

TOPIC = {"topic": {"id": 101}}
KHOROS_REPLY = {"event": "message.create", "message": {"id": "1003", "topic": {"id": "1001"}}}
KHOROS_DELETE = {"event": "message.delete", "message": {"id": "1001", "depth": 0}}


@dataclass
class Service:
    """Workers of one askfind (same settings, same data dir) and the communities it follows."""

    discourse: FakeDiscourse
    khoros: FakeKhoros
    worker: Any  # (**overrides) -> a new app ("another worker"), closed after the test

    @property
    def client(self) -> FlaskClient:
        return self.first.test_client()

    def __post_init__(self) -> None:
        self.first: Flask = self.worker()


@pytest.fixture(params=["embedded", "elasticsearch"])
def service(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path) -> Iterator[Service]:
    backend: dict[str, Any] = {"backend": request.param}
    if request.param == "elasticsearch":
        url = request.getfixturevalue("elasticsearch_url")
        backend |= {"elasticsearch_url": url, "elasticsearch_index_prefix": unique_prefix()}
    apps: list[Flask] = []
    discourse, khoros = FakeDiscourse(), FakeKhoros()
    with serving(discourse) as discourse_url, serving(khoros) as khoros_url:

        def worker(data_dir: Path = tmp_path, **overrides: Any) -> Flask:
            settings = {
                "discourse_url": discourse_url,
                "discourse_api_key": API_KEY,
                "discourse_webhook_secret": DISCOURSE_SECRET,
                "khoros_url": khoros_url,
                "khoros_token": TOKEN,
                "khoros_webhook_secret": KHOROS_SECRET,
                "source_retries": 0,
                "rate_limit_per_second": 0.0,
                "log_format": "text",
                **backend,
                **overrides,
            }
            app = create_app(engine=engine_on(engine, data_dir, **settings))
            apps.append(app)
            return app

        try:
            yield Service(discourse, khoros, worker)
        finally:
            for app in apps:
                close_app(app)
            if request.param == "elasticsearch":
                delete_indices(backend["elasticsearch_url"], backend["elasticsearch_index_prefix"])


def title_of(client: FlaskClient, thread_id: str) -> str | None:
    answer = client.get(f"/api/threads/{thread_id}")
    return answer.get_json()["title"] if answer.status_code == 200 else None


def status_and_error(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.get_json().get("error", "")


# --- deletes are checked against the community ---------------------------------------


def test_a_replayed_discourse_delete_of_a_topic_the_forum_still_has_deletes_nothing(
    service: Service,
) -> None:
    client = service.client
    assert discourse_hook(client, "topic_created", TOPIC).status_code == 200
    answer = discourse_hook(client, "topic_destroyed", TOPIC)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["deleted"] == 0
    assert title_of(client, "101") == "WLAN bricht abends ab"
    assert "/t/101.json" in service.discourse.paths()[-3:]  # asked the forum, not the body
    # Once the forum has really deleted it, the same event takes it out.
    del service.discourse.topics["101"]
    gone = discourse_hook(client, "topic_destroyed", TOPIC)
    assert gone.status_code == 200 and gone.get_json()["deleted"] == 1
    assert title_of(client, "101") is None
    again = discourse_hook(client, "topic_destroyed", TOPIC).get_json()
    assert (again["deleted"], again["already_gone"]) == (0, 1)


def test_a_discourse_delete_of_a_topic_the_forum_shows_as_deleted_applies(
    service: Service,
) -> None:
    """An admin's API key still reads a deleted topic: it comes with deleted_at."""
    client = service.client
    discourse_hook(client, "topic_created", TOPIC)
    service.discourse.topics["101"]["deleted_at"] = "2025-01-01T00:00:00Z"
    answer = discourse_hook(client, "topic_destroyed", TOPIC)
    assert answer.get_json()["deleted"] == 1 and title_of(client, "101") is None


def test_a_replayed_khoros_delete_of_a_topic_the_community_still_has_deletes_nothing(
    service: Service,
) -> None:
    client = service.client
    assert khoros_hook(client, KHOROS_REPLY).status_code == 200
    answer = khoros_hook(client, KHOROS_DELETE)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["deleted"] == 0
    assert title_of(client, "1001") == "WLAN bricht abends ab"
    service.khoros.messages = [m for m in service.khoros.messages if m["id"] != "1001"]
    gone = khoros_hook(client, KHOROS_DELETE, signed_at=time.time() + 1)
    assert gone.status_code == 200 and gone.get_json()["deleted"] == 1
    assert title_of(client, "1001") is None


# --- a delivery is applied once -----------------------------------------------------------


def test_a_discourse_delivery_id_seen_before_is_refused_by_every_worker(
    service: Service,
) -> None:
    first = discourse_hook(service.client, "topic_created", TOPIC, **{"X-Discourse-Event-Id": "7"})
    assert first.status_code == 200
    fetched = len(service.discourse.requests)
    for app in (service.first, service.worker()):  # this worker, and another one
        again = discourse_hook(
            app.test_client(), "topic_created", TOPIC, **{"X-Discourse-Event-Id": "7"}
        )
        status, message = status_and_error(again)
        assert status == 409 and "received before" in message
    assert len(service.discourse.requests) == fetched  # a replay fetches nothing


def test_a_discourse_delivery_without_an_event_id_is_a_400(service: Service) -> None:
    body = json.dumps(TOPIC).encode()
    answer = service.client.post(
        "/api/hooks/discourse",
        data=body,
        content_type="application/json",
        headers={
            "X-Discourse-Event": "topic_created",
            "X-Discourse-Event-Signature": signature(body, DISCOURSE_SECRET),
        },
    )
    status, message = status_and_error(answer)
    assert status == 400 and "X-Discourse-Event-Id" in message
    assert title_of(service.client, "101") is None


def test_an_exact_khoros_replay_is_refused_by_every_worker(service: Service) -> None:
    body = json.dumps(KHOROS_REPLY).encode()
    headers = {"X-Askfind-Signature": askfind_signature(body, KHOROS_SECRET, int(time.time()))}
    for number, app in enumerate((service.first, service.first, service.worker())):
        answer = app.test_client().post(
            "/api/hooks/khoros", data=body, content_type="application/json", headers=headers
        )
        assert answer.status_code == (200 if number == 0 else 409), answer.get_json()


def test_a_delivery_that_failed_may_be_sent_again(service: Service) -> None:
    service.discourse.failures = [(503, {})]
    headers = {"X-Discourse-Event-Id": "8"}
    failed = discourse_hook(service.client, "topic_created", TOPIC, **headers)
    assert failed.status_code == 502
    retried = discourse_hook(service.client, "topic_created", TOPIC, **headers)
    assert retried.status_code == 200, retried.get_json()
    assert title_of(service.client, "101") == "WLAN bricht abends ab"


def test_workers_on_other_hosts_share_the_delivery_ids_through_redis(
    service: Service, redis_url: str, tmp_path: Path
) -> None:
    """Two data dirs (two hosts) and one Redis: a delivery applied on one is refused on the
    other; without Redis the other host would have applied it."""
    here = service.worker(tmp_path / "host-a", redis_url=redis_url)
    there = service.worker(tmp_path / "host-b", redis_url=redis_url)
    elsewhere = service.worker(tmp_path / "host-c")
    headers = {"X-Discourse-Event-Id": "9"}
    assert discourse_hook(here.test_client(), "ping", {"ping": "OK"}, **headers).status_code == 200
    assert discourse_hook(there.test_client(), "ping", {"ping": "OK"}, **headers).status_code == 409
    alone = discourse_hook(elsewhere.test_client(), "ping", {"ping": "OK"}, **headers)
    assert alone.status_code == 200


# --- askfind's Khoros signature carries a time ---------------------------------------------


@pytest.mark.parametrize(
    ("signed_at", "words"),
    [(-301, "older than 300 s"), (-86400 * 30, "older than 300 s"), (+301, "ahead of")],
)
def test_a_khoros_delivery_signed_too_long_ago_or_ahead_is_refused(
    service: Service, signed_at: int, words: str
) -> None:
    answer = khoros_hook(service.client, KHOROS_REPLY, signed_at=time.time() + signed_at)
    status, message = status_and_error(answer)
    assert status == 403 and words in message and "hook_max_age_seconds" in message
    assert title_of(service.client, "1001") is None
    assert service.khoros.requests == []


def test_the_maximum_age_is_a_setting(service: Service, tmp_path: Path) -> None:
    patient = service.worker(tmp_path / "patient", hook_max_age_seconds=3600)
    answer = khoros_hook(patient.test_client(), KHOROS_REPLY, signed_at=time.time() - 1800)
    assert answer.status_code == 200, answer.get_json()


@pytest.mark.parametrize(
    "header",
    [
        "sha256=" + "0" * 64,  # the old form, without a time
        "t=1700000000",  # no signature
        "v1=" + "0" * 64,  # no time
        "t=abc,v1=" + "0" * 64,
        "t=1,t=2,v1=" + "0" * 64,
    ],
)
def test_a_khoros_signature_not_of_the_timed_form_is_refused(service: Service, header: str) -> None:
    answer = khoros_hook(service.client, KHOROS_REPLY, **{"X-Askfind-Signature": header})
    status, message = status_and_error(answer)
    assert status == 403 and "t=<unix time>,v1=" in message


def test_a_khoros_delivery_with_its_time_changed_is_refused(service: Service) -> None:
    """The time is signed: moving a captured delivery's t forward breaks its signature."""
    body = json.dumps(KHOROS_DELETE).encode()
    captured = askfind_signature(body, KHOROS_SECRET, int(time.time()) - 3600)
    v1 = captured.split(",v1=")[1]
    moved = f"t={int(time.time())},v1={v1}"
    answer = khoros_hook(service.client, body, **{"X-Askfind-Signature": moved})
    status, message = status_and_error(answer)
    assert status == 403 and "does not match" in message


def test_a_khoros_sender_changing_its_secret_may_sign_with_both(service: Service) -> None:
    body = json.dumps(KHOROS_REPLY).encode()
    stamp = int(time.time())
    old = askfind_signature(body, "the-old-secret", stamp).split(",v1=")[1]
    header = f"{askfind_signature(body, KHOROS_SECRET, stamp)},v1={old}"
    answer = khoros_hook(service.client, body, **{"X-Askfind-Signature": header})
    assert answer.status_code == 200, answer.get_json()
