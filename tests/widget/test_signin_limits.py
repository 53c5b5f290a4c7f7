"""Sign-in limits of the agents' page on a real Redis: failed sign-ins per address and per
user name back off with 429 before any password is checked, a right password works after
the wait, password checks stay within their budget, and it all holds without Redis too."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.conftest import engine_on
from tests.test_cli import _wait_for
from widget.agent_access import password_entry
from widget.app import create_app

FREE = 3
MARIA = password_entry("maria", "s3cret!")
KEY = "signin-test-key-0123456789"


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def signin_app(sample_engine: Engine, data_dir: Path, **overrides: Any) -> Flask:
    settings: dict[str, Any] = {
        "agent_auth": "password",
        "agent_users": (MARIA,),
        "signin_free_failures": FREE,
        "signin_backoff_max_seconds": 2.0,
        "signin_checks_per_second": 0,
        "rate_limit_per_second": 0,
        **overrides,
    }
    return create_app(engine=engine_on(sample_engine, data_dir, **settings))


def sign_in(client: FlaskClient, user: str, password: str, address: str = "10.1.1.1") -> Any:
    return client.get(
        "/agent", headers=basic(user, password), environ_base={"REMOTE_ADDR": address}
    )


def test_guesses_get_429_after_the_free_failures_and_the_right_password_works_after_the_wait(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = signin_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    statuses = [sign_in(client, "maria", f"guess{n}").status_code for n in range(FREE + 3)]
    # The free failures, the one that starts the first wait, then refusals.
    assert statuses == [401] * (FREE + 1) + [429, 429]
    refused = sign_in(client, "maria", "s3cret!")  # right, but refused unchecked
    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1"
    assert "too many failed sign-ins" in refused.get_json()["error"]
    time.sleep(1.05)
    assert sign_in(client, "maria", "s3cret!").status_code == 200


def test_the_wait_doubles_with_each_further_failure_up_to_the_maximum(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = signin_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    waits = []
    for n in range(FREE + 4):
        answer = sign_in(client, "maria", f"guess{n}")
        while answer.status_code == 429:
            waits.append(int(answer.headers["Retry-After"]))
            time.sleep(int(answer.headers["Retry-After"]))
            answer = sign_in(client, "maria", f"guess{n}")
        assert answer.status_code == 401
    assert waits == [1, 2, 2]  # 1 s, 2 s, then the maximum of 2 s


def test_one_user_name_is_limited_across_addresses_and_one_address_across_names(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = signin_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    spread = [sign_in(client, "maria", "x", f"10.2.0.{n}").status_code for n in range(FREE + 2)]
    assert spread == [401] * (FREE + 1) + [429]
    names = [sign_in(client, f"user{n}", "x", "10.3.0.1").status_code for n in range(FREE + 2)]
    assert names == [401] * (FREE + 1) + [429]
    # Another address with another name is not held up by either.
    assert sign_in(client, "someone", "x", "10.4.0.1").status_code == 401


def test_failures_are_shared_by_workers_through_redis_and_names_are_not_kept_in_clear(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    # Two apps of one service (the same settings), as two gunicorn workers are.
    first = signin_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    second = signin_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    for n in range(FREE + 1):
        assert sign_in(first, "maria", f"guess{n}").status_code == 401
    assert sign_in(second, "maria", "guess").status_code == 429
    keys = redis.Redis.from_url(redis_url).keys("askfind:*signin*")
    assert keys and not any(b"maria" in key for key in keys)
    assert any(hashlib.sha256(b"maria").hexdigest()[:24].encode() in key for key in keys)


def test_without_redis_each_process_limits_on_its_own(
    sample_engine: Engine, tmp_path: Path
) -> None:
    # A port nothing listens on: Redis is configured but away.
    client = signin_app(sample_engine, tmp_path, redis_url="redis://127.0.0.1:9/0").test_client()
    statuses = [sign_in(client, "maria", f"guess{n}").status_code for n in range(FREE + 2)]
    assert statuses == [401] * (FREE + 1) + [429]
    time.sleep(1.05)
    assert sign_in(client, "maria", "s3cret!").status_code == 200


def test_an_agent_signed_in_already_is_not_locked_out_by_guesses_at_their_name(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = signin_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    assert sign_in(client, "maria", "s3cret!", "10.5.0.1").status_code == 200
    for n in range(FREE + 2):
        sign_in(client, "maria", f"guess{n}", "10.6.0.1")
    assert sign_in(client, "maria", "guess", "10.7.0.1").status_code == 429  # the name waits
    # The right password was checked a moment ago: it is remembered, and passes unchecked.
    assert sign_in(client, "maria", "s3cret!", "10.5.0.1").status_code == 200


def test_a_right_password_clears_its_user_name_but_not_the_address(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = signin_app(
        sample_engine, tmp_path, redis_url=redis_url, signin_free_failures=5
    ).test_client()
    for n in range(4):
        assert sign_in(client, "maria", f"guess{n}", f"10.8.0.{n}").status_code == 401
    assert sign_in(client, "maria", "s3cret!", "10.9.0.1").status_code == 200
    # maria starts afresh: five more failures are free again, from other addresses.
    for n in range(5):
        assert sign_in(client, "maria", f"again{n}", f"10.10.0.{n}").status_code == 401


def test_password_checks_stay_within_the_services_budget(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    client = signin_app(
        sample_engine, tmp_path, redis_url=redis_url, signin_checks_per_second=0.5
    ).test_client()
    # A burst of one check (twice the rate, at least one): the next check waits 2 s.
    assert sign_in(client, "maria", "x", "10.11.0.1").status_code == 401
    busy = sign_in(client, "maria", "s3cret!", "10.11.0.2")
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "2"
    assert "sign-in is busy" in busy.get_json()["error"]
    time.sleep(2.05)
    assert sign_in(client, "maria", "s3cret!", "10.11.0.2").status_code == 200


def test_wrong_api_keys_are_limited_and_a_valid_key_always_passes(
    sample_engine: Engine, tmp_path: Path, redis_url: str
) -> None:
    digest = hashlib.sha256(KEY.encode()).hexdigest()
    client = signin_app(
        sample_engine, tmp_path, redis_url=redis_url, agent_auth="api-key", api_keys=(digest,)
    ).test_client()
    wrong = [sign_in(client, "x", f"wrong{n}").status_code for n in range(FREE + 2)]
    assert wrong == [401] * (FREE + 1) + [429]
    assert sign_in(client, "x", KEY).status_code == 200
    assert client.get("/agent", environ_base={"REMOTE_ADDR": "10.1.1.1"}).status_code == 401


@pytest.mark.parametrize("path", ["/api/agent/threads/nope"])
def test_the_agent_api_is_limited_like_the_page(
    sample_engine: Engine, tmp_path: Path, redis_url: str, path: str
) -> None:
    client = signin_app(sample_engine, tmp_path, redis_url=redis_url).test_client()
    answers = [client.get(path, headers=basic("maria", f"g{n}")) for n in range(FREE + 2)]
    assert [answer.status_code for answer in answers] == [401] * (FREE + 1) + [429]
    # A code besides the English text, for the agents' page to say it in its language.
    assert answers[0].get_json()["code"] == "sign_in_required"
    assert answers[-1].get_json()["code"] == "too_many_sign_ins"
    assert answers[-1].headers["Retry-After"]


# --- under gunicorn: many workers, one Redis -------------------------------------------


@pytest.fixture
def gunicorn_url(sample_path: Path, tmp_path: Path, redis_url: str) -> Iterator[str]:
    """``askfind serve`` (gunicorn, two workers) of the sample community, with maria as a
    password user, limits in Redis and waits of at most 2 s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    env.update(
        {
            "ASKFIND_DATA_DIR": str(tmp_path / "d"),
            "ASKFIND_REDIS_URL": redis_url,
            "ASKFIND_AGENT_AUTH": "password",
            "ASKFIND_AGENT_USERS": MARIA,
            "ASKFIND_SIGNIN_BACKOFF_MAX_SECONDS": "2",
        }
    )
    askfind = [sys.executable, "-m", "widget.cli"]
    indexed = subprocess.run(
        [*askfind, "index", str(sample_path), "--no-progress"], env=env, timeout=600
    )
    assert indexed.returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The logs go to a file: a pipe nobody reads fills up and stops the server.
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [*askfind, "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=log,
            text=True,
        )
    try:
        _wait_for(f"http://127.0.0.1:{port}/readyz")
        _every_worker_ready(f"http://127.0.0.1:{port}/readyz", server)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    assert "Traceback" not in log_path.read_text()


def _every_worker_ready(url: str, server: subprocess.Popen[str], seconds: float = 300) -> None:
    """Wait until /readyz answers a burst of concurrent requests: one answer says nothing
    of a second worker still loading the model, which would hold its share of the
    guesses for as long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and server.poll() is None:
        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(lambda _: _answers_in(url, 2.0), range(16)))
        if all(answers):
            return
    pytest.fail("the workers did not all become ready")


def _answers_in(url: str, seconds: float) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=seconds) as answer:
            return answer.status == 200
    except OSError:
        return False


def get(url: str, user: str, password: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=basic(user, password))
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as refused:
        return refused.code, dict(refused.headers), refused.read()


def test_400_guesses_from_32_clients_get_429_and_the_right_password_works_after_the_wait(
    gunicorn_url: str,
) -> None:
    agent = f"{gunicorn_url}/agent"
    with ThreadPoolExecutor(max_workers=32) as pool:
        # The probe's reproduction: a new user name each guess, and some at maria's.
        names = [f"x{n}" if n % 4 else "maria" for n in range(400)]
        answers = list(pool.map(lambda name: get(agent, name, "guess"), names))
    statuses = Counter(status for status, _, _ in answers)
    assert set(statuses) <= {401, 429, 503}, statuses
    # Five free failures, one more that starts the wait, and one each time a wait ends
    # while the guesses last: never hundreds of password checks.
    assert statuses[401] <= 20, statuses
    assert statuses[429] >= 350, statuses
    refusals = [(headers, body) for status, headers, body in answers if status == 429]
    for headers, body in refusals:
        assert 1 <= int(headers["Retry-After"]) <= 2
        assert "too many failed sign-ins" in json.loads(body)["error"]
    # The right password, once the address and the name have waited: on the page, and on
    # the agents' API (perhaps another worker, which has not seen the password yet).
    assert get_after_waiting(agent, "maria", "s3cret!") == 200
    assert get_after_waiting(f"{gunicorn_url}/api/agent/threads/nope", "maria", "s3cret!") == 404


def get_after_waiting(url: str, user: str, password: str) -> int:
    """The status of a GET that honours 429's Retry-After (a few times at most)."""
    for _ in range(5):
        status, headers, _ = get(url, user, password)
        if status != 429:
            return status
        time.sleep(int(headers["Retry-After"]))
    return status
