"""The suggestion cache on a real Redis: hits, keys that follow the index, and a service that
keeps answering while Redis is killed and uses it again when it returns."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.conftest import engine_on
from tests.widget.helpers import AUTH, writable_app
from widget.app import create_app
from widget.cache import IndexVersion, LocalCache, with_query
from widget.params import normalise_query

QUESTION = "eSIM auf neues iPhone übertragen"


def suggest(client: FlaskClient, text: str = QUESTION, **params: Any) -> Any:
    answer = client.get("/api/suggest", query_string={"q": text, **params})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer


def keys(url: str, pattern: str) -> list[bytes]:
    with redis.Redis.from_url(url) as client:
        return list(client.scan_iter(pattern))


@pytest.fixture
def app(sample_engine: Engine, tmp_path: Path, redis_url: str) -> Flask:
    return writable_app(sample_engine, tmp_path, redis_url=redis_url)


def test_a_repeated_suggestion_is_answered_from_redis(app: Flask, redis_url: str) -> None:
    client = app.test_client()
    first = suggest(client)
    assert first.headers["X-Cache"] == "miss"
    second = suggest(client)
    assert second.headers["X-Cache"] == "hit"
    assert second.get_json() == first.get_json()
    assert second.get_json()["items"][0]["id"] == "sim-003"
    assert len(keys(redis_url, "askfind:*:suggest:*")) == 1
    assert len(keys(redis_url, "askfind:vector:*")) == 1  # the query's embedding, shared


def test_the_key_is_the_normalised_query_with_filters_and_limit(app: Flask) -> None:
    client = app.test_client()
    suggest(client)
    assert suggest(client, f"  {QUESTION.replace(' ', '   ')}\t").headers["X-Cache"] == "hit"
    assert suggest(client, QUESTION, limit=2).headers["X-Cache"] == "miss"
    assert suggest(client, QUESTION, lang="de").headers["X-Cache"] == "miss"
    assert suggest(client, QUESTION.lower()).headers["X-Cache"] == "miss"  # case is kept


def test_workers_share_answers_through_redis(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    """Two apps over the same data dir and Redis stand for two gunicorn workers."""
    first = writable_app(sample_engine, tmp_path, redis_url=redis_url)
    settings = first.extensions["askfind.engine"].settings
    second = create_app(engine=engine_on(sample_engine, tmp_path, **_overrides(settings)))
    assert suggest(first.test_client()).headers["X-Cache"] == "miss"
    assert suggest(second.test_client()).headers["X-Cache"] == "hit"
    other = writable_app(sample_engine, tmp_path / "other", redis_url=redis_url)
    assert suggest(other.test_client()).headers["X-Cache"] == "miss"  # another service


def _overrides(settings: Any) -> dict[str, Any]:
    return {k: v for k, v in settings.model_dump().items() if k != "data_dir"}


def test_a_write_changes_the_key_so_the_new_thread_is_suggested(app: Flask) -> None:
    client = app.test_client()
    text = "Zebrastreifen Glasfasermodem violett"
    assert suggest(client, text).headers["X-Cache"] == "miss"
    assert suggest(client, text).headers["X-Cache"] == "hit"
    thread = {"id": "neu-1", "title": "Glasfasermodem blinkt violett Zebrastreifen", "lang": "de"}
    posted = client.post("/api/threads", json=thread, headers=AUTH)
    assert posted.status_code == 200
    after = suggest(client, text)
    assert after.headers["X-Cache"] == "miss"
    assert after.get_json()["items"][0]["id"] == "neu-1"


def test_a_delete_changes_the_key_so_the_thread_is_no_longer_suggested(app: Flask) -> None:
    client = app.test_client()
    suggest(client)
    cached = suggest(client)
    assert cached.headers["X-Cache"] == "hit" and cached.get_json()["items"][0]["id"] == "sim-003"
    assert client.delete("/api/threads/sim-003", headers=AUTH).status_code == 200
    after = suggest(client)
    assert after.headers["X-Cache"] == "miss"
    assert "sim-003" not in [item["id"] for item in after.get_json()["items"]]


def test_another_process_write_is_seen_within_the_version_interval(
    sample_engine: Engine, tmp_path: Path
) -> None:
    backend = writable_app(sample_engine, tmp_path).extensions["askfind.engine"].backend
    # An interval well above what the write takes on a loaded machine (0.3 s was not).
    version = IndexVersion(backend, interval=2.0)
    before = version.current()
    backend.delete(["wlan-001"])  # as if another worker wrote
    assert version.current() == before  # still the remembered one...
    time.sleep(2.05)
    assert version.current() != before  # ...until the interval has passed


def test_the_service_keeps_answering_while_redis_is_dead_and_uses_it_again(
    sample_engine: Engine, tmp_path: Path, private_redis: Any, caplog: pytest.LogCaptureFixture
) -> None:
    app = writable_app(
        sample_engine, tmp_path, redis_url=private_redis.url, redis_retry_seconds=0.2
    )
    client = app.test_client()
    assert suggest(client).headers["X-Cache"] == "miss"
    assert suggest(client).headers["X-Cache"] == "hit"

    private_redis.kill()
    with caplog.at_level(logging.WARNING, logger="widget.redis_link"):
        started = time.monotonic()
        answers = [suggest(client) for _ in range(3)]
        elapsed = time.monotonic() - started
    assert "Redis at" in caplog.text and "unavailable" in caplog.text
    # In-process cache meanwhile: the first answer is computed, the next ones cached.
    assert [a.headers["X-Cache"] for a in answers] == ["miss", "hit", "hit"]
    assert elapsed < 2.0  # a refused connection, not a wait for timeouts
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["cache"] == {"redis": "unavailable"}
    assert "Redis is unavailable" in ready.get_json()["warnings"][0]

    private_redis.start()
    time.sleep(0.25)  # the retry period
    recovered = suggest(client, "Handy will PUK wo finde ich den")
    assert recovered.headers["X-Cache"] == "miss"
    assert keys(private_redis.url, "askfind:*:suggest:*")  # written to Redis again
    assert suggest(client, "Handy will PUK wo finde ich den").headers["X-Cache"] == "hit"
    ready = client.get("/readyz").get_json()
    assert ready["cache"] == {"redis": "ok"} and ready["warnings"] == []


def test_every_endpoint_answers_without_a_5xx_while_redis_is_dead(
    sample_engine: Engine, tmp_path: Path, private_redis: Any
) -> None:
    app = writable_app(
        sample_engine,
        tmp_path,
        redis_url=private_redis.url,
        redis_retry_seconds=0.2,
        rate_limit_per_second=50.0,
        widget_origins=("http://localhost",),
    )
    client = app.test_client()
    suggest(client)
    private_redis.kill()
    thread = {"id": "chaos-1", "title": "Zebrastreifen im Glasfasermodem während Redis fehlt"}
    event = {"type": "asked_anyway", "session": "s-0123456789", "query": "wlan"}
    answers = {
        "suggest": client.get("/api/suggest", query_string={"q": QUESTION}),
        "search": client.get("/api/search", query_string={"q": QUESTION}),
        "thread": client.get("/api/threads/sim-003"),
        "upsert": client.post("/api/threads", json=thread, headers=AUTH),
        "new thread": client.get("/api/suggest", query_string={"q": thread["title"]}),
        "delete": client.delete("/api/threads/wlan-001", headers=AUTH),
        "event": client.post("/api/events", json=event, headers={"Origin": "http://localhost"}),
        "report": client.get("/api/admin/report", headers=AUTH),
        "readyz": client.get("/readyz"),
        "healthz": client.get("/healthz"),
        "metrics": client.get("/metrics"),
        "page": client.get("/"),
    }
    assert {name: a.status_code for name, a in answers.items() if a.status_code >= 300} == {}
    assert answers["new thread"].get_json()["items"][0]["id"] == "chaos-1"
    assert "askfind_redis_up 0.0" in answers["metrics"].get_data(as_text=True)
    private_redis.start()
    time.sleep(0.25)
    assert suggest(client, "Handy will PUK wo finde ich den").headers["X-Cache"] == "miss"
    assert keys(private_redis.url, "askfind:*:suggest:*")  # shared again
    assert client.get("/readyz").get_json()["warnings"] == []


def test_a_service_without_redis_caches_in_process(sample_engine: Engine, tmp_path: Path) -> None:
    client = writable_app(sample_engine, tmp_path).test_client()
    assert suggest(client).headers["X-Cache"] == "miss"
    assert suggest(client).headers["X-Cache"] == "hit"
    ready = client.get("/readyz").get_json()
    assert ready["cache"] == {"redis": "disabled"} and ready["warnings"] == []


def test_caching_can_be_switched_off(sample_engine: Engine, tmp_path: Path) -> None:
    client = writable_app(sample_engine, tmp_path, cache_ttl_seconds=0).test_client()
    assert [suggest(client).headers["X-Cache"] for _ in range(2)] == ["miss", "miss"]


def test_cached_answers_expire(sample_engine: Engine, tmp_path: Path, redis_url: str) -> None:
    client = writable_app(
        sample_engine, tmp_path, redis_url=redis_url, cache_ttl_seconds=1
    ).test_client()
    suggest(client)
    assert suggest(client).headers["X-Cache"] == "hit"
    time.sleep(1.1)
    assert suggest(client).headers["X-Cache"] == "miss"


def test_local_cache_is_bounded_and_expires() -> None:
    cache = LocalCache(max_entries=2)
    for key in ("a", "b", "c"):
        cache.put(key, key.encode(), ttl_seconds=60)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (None, b"b", b"c")
    cache.put("d", b"d", ttl_seconds=-1)
    assert cache.get("d") is None


def test_normalised_query_keeps_case_and_collapses_space() -> None:
    assert normalise_query("  WLAN \t bricht\u00a0ab  ") == "WLAN bricht ab"
    assert normalise_query("Cafe\u0301") == "Café"
    assert json.dumps(normalise_query("x")) == '"x"'


def test_redis_holds_no_query_in_clear_neither_in_keys_nor_in_answers(
    app: Flask, redis_url: str
) -> None:
    """The reproduction of issue 16: the address was twice in Redis's dump file."""
    client = app.test_client()
    question = "Meine Mail ist lisa.test@example.de Router"
    first, second = suggest(client, question), suggest(client, question)
    assert second.headers["X-Cache"] == "hit"
    assert first.get_json() == second.get_json()
    assert second.get_json()["query"] == question  # put back on the way out
    assert list(second.get_json()) == ["query", "items", "articles"]
    with redis.Redis.from_url(redis_url) as store:
        stored = [key + b"\n" + (store.dump(key) or b"") for key in store.scan_iter()]
        assert stored
        assert not [entry for entry in stored if b"lisa.test" in entry or b"example.de" in entry]
        cached = store.get(keys(redis_url, "askfind:*:suggest:*")[0])
    assert cached is not None and list(json.loads(cached)) == ["items", "articles"]


def test_an_answer_without_items_gets_its_query_back() -> None:
    assert json.loads(with_query('ä "x"', b"{}")) == {"query": 'ä "x"'}
    assert json.loads(with_query("q", b'{"items":[1]}')) == {"query": "q", "items": [1]}
