"""Rate limits per client on a real Redis: a burst passes, a flood gets 429 with Retry-After,
clients and kinds of request are counted apart, and limits hold without Redis too."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.conftest import engine_on
from tests.widget.helpers import API_KEY, writable_app
from widget.app import create_app
from widget.limits import client_of, retry_after
from widget.pseudonyms import KEY_FILE

BURST = 3
EVENT = {"type": "asked_anyway", "session": "s-0123456789", "query": "wlan"}


def limited_app(sample_engine: Engine, data_dir: Path, **overrides: Any) -> Flask:
    overrides = {"rate_limit_per_second": 1.0, "rate_limit_burst": BURST, **overrides}
    return writable_app(sample_engine, data_dir, **overrides)


def statuses(client: FlaskClient, count: int, **headers: str) -> list[int]:
    return [
        client.get("/api/suggest", query_string={"q": "wlan"}, headers=headers).status_code
        for _ in range(count)
    ]


def assert_refused(client: FlaskClient) -> None:
    """The next suggestion is refused: 429, a JSON error and one second to wait."""
    refused = client.get("/api/suggest", query_string={"q": "wlan"})
    assert refused.status_code == 429
    assert "too many requests" in refused.get_json()["error"]
    assert refused.headers["Retry-After"] == "1"


def test_a_burst_passes_and_then_429_with_retry_after(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = limited_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    assert statuses(client, BURST) == [200] * BURST
    assert_refused(client)
    time.sleep(1.05)  # one request's worth of rate
    assert statuses(client, 2) == [200, 429]


def test_the_limit_is_shared_by_workers_through_redis(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    first = limited_app(sample_engine, tmp_path, redis_url=redis_url)
    overrides = first.extensions["askfind.engine"].settings.model_dump()
    overrides.pop("data_dir")
    second = create_app(engine=engine_on(sample_engine, tmp_path, **overrides))
    assert statuses(first.test_client(), BURST) == [200] * BURST
    assert statuses(second.test_client(), 1) == [429]


def test_clients_behind_a_trusted_proxy_are_counted_apart(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = limited_app(sample_engine, tmp_path, redis_url=redis_url, proxy_hops=1).test_client()
    assert statuses(client, BURST + 1, **{"X-Forwarded-For": "203.0.113.7"})[-1] == 429
    assert statuses(client, 1, **{"X-Forwarded-For": "203.0.113.8"}) == [200]


def test_forwarded_addresses_are_ignored_without_a_trusted_proxy(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = limited_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    spoofed = [
        statuses(client, 1, **{"X-Forwarded-For": f"198.51.100.{n}"})[0] for n in range(BURST + 1)
    ]
    assert spoofed[-1] == 429


def test_api_key_clients_have_their_own_limit(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = limited_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    assert statuses(client, BURST + 1)[-1] == 429
    assert statuses(client, 1, **{"X-API-Key": API_KEY}) == [200]
    # A wrong key does not buy a new limit: it counts against the address.
    assert statuses(client, 1, **{"X-API-Key": "wrong"}) == [429]


def test_reads_and_events_are_limited_apart(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = limited_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    assert statuses(client, BURST + 1)[-1] == 429
    event = client.post(
        "/api/events",
        data=json.dumps(EVENT),
        content_type="text/plain",
        headers={"Origin": "http://localhost"},
    )
    assert event.status_code == 202


def test_pages_health_and_metrics_are_not_limited(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = limited_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    for _ in range(BURST + 2):
        assert client.get("/healthz").status_code == 200
        assert client.get("/embed.js").status_code == 200


def test_limits_hold_in_process_while_redis_is_dead(
    sample_engine: Engine, tmp_path: Path, private_redis: Any
) -> None:
    client = limited_app(
        sample_engine, tmp_path, redis_url=private_redis.url, redis_retry_seconds=60
    ).test_client()
    private_redis.kill()
    assert statuses(client, BURST) == [200] * BURST
    assert_refused(client)


def test_refused_suggest_requests_count_against_the_limit_too(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    # /api/suggest makes its limit check in the view; a request that fails before
    # (here: no q) is counted when it ends, and the one too many is a 429.
    client = limited_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    bad = [client.get("/api/suggest").status_code for _ in range(BURST + 1)]
    assert bad == [400] * BURST + [429]
    assert_refused(client)


def test_a_cached_suggestion_costs_one_redis_command(
    sample_engine: Engine, tmp_path: Path, private_redis: Any
) -> None:
    # The limit check reads the cached answer in the same round trip: no GET of its own.
    client = limited_app(
        sample_engine, tmp_path, redis_url=private_redis.url, rate_limit_burst=100
    ).test_client()
    first = client.get("/api/suggest", query_string={"q": "wlan"})
    redis_client = redis.Redis.from_url(private_redis.url)
    redis_client.config_resetstat()
    again = client.get("/api/suggest", query_string={"q": "wlan"})
    assert again.headers["X-Cache"] == "hit" and again.data == first.data
    calls = {
        name.removeprefix("cmdstat_"): stats["calls"]
        for name, stats in redis_client.info("commandstats").items()
    }
    calls.pop("config|resetstat", None)
    # One call of the script; Redis counts the commands it runs too: TIME, the client's
    # GET and SET, and the cached answer's GET (a separate lookup would make it two).
    assert calls == {"evalsha": 1, "time": 1, "get": 2, "set": 1}


def test_a_zero_rate_turns_limits_off(sample_engine: Engine, tmp_path: Path) -> None:
    client = limited_app(sample_engine, tmp_path, rate_limit_per_second=0.0).test_client()
    assert set(statuses(client, BURST * 3)) == {200}


@pytest.mark.parametrize(
    ("address", "key_id", "client"),
    [
        ("203.0.113.9", None, "addr:203.0.113.9"),
        ("2001:db8:1:2:3:4:5:6", None, "net:2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::1", None, "net:2001:db8:1:2::/64"),
        ("::ffff:203.0.113.9", None, "addr:203.0.113.9"),
        ("203.0.113.9", "abc123", "key:abc123"),
        (None, None, "addr:None"),
    ],
)
def test_who_counts_as_one_client(address: str | None, key_id: str | None, client: str) -> None:
    assert client_of(address, key_id) == client


def test_retry_after_is_whole_seconds_of_at_least_one() -> None:
    assert [retry_after(s) for s in (0.001, 1.0, 1.2, 7.9)] == [1, 1, 2, 8]


def test_redis_keeps_a_keyed_digest_of_the_address_never_the_address(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = limited_app(sample_engine, tmp_path, redis_url=redis_url, proxy_hops=1).test_client()
    assert statuses(client, BURST + 1, **{"X-Forwarded-For": "203.0.113.77"})[-1] == 429
    with redis.Redis.from_url(redis_url) as server:
        keys = [key.decode() for key in server.scan_iter("askfind:*:limit:*")]
    assert keys and not any("203.0.113.77" in key for key in keys), keys
    digest = hmac.new(
        (tmp_path / KEY_FILE).read_bytes(), b"203.0.113.77", hashlib.sha256
    ).hexdigest()[:24]
    assert any(key.endswith(f"addr:{digest}") for key in keys), keys
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_a_configured_pseudonym_key_is_the_one_used_and_none_is_made(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    """Hosts sharing a Redis configure one key, so that a client counts the same on each."""
    key = "one key for the cluster"
    app = limited_app(
        sample_engine, tmp_path, redis_url=redis_url, proxy_hops=1, client_pseudonym_key=key
    )
    assert statuses(app.test_client(), 1, **{"X-Forwarded-For": "198.51.100.201"}) == [200]
    digest = hmac.new(key.encode(), b"198.51.100.201", hashlib.sha256).hexdigest()[:24]
    with redis.Redis.from_url(redis_url) as server:
        assert list(server.scan_iter(f"askfind:*:limit:*:addr:{digest}"))
    assert not (tmp_path / KEY_FILE).exists()
