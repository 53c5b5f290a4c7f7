"""Pytest fixtures that run a real Redis (Debian's redis-server) for the tests.

Never a mock: if redis-server is missing, the tests that need it fail and say how to
install it (scripts/test installs it). A test that kills Redis gets a server of its own
(``private_redis``), so the others keep theirs. Imported once, by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from types import ModuleType
from typing import Any

import pytest

from tests.services import load_script


@cache
def redis_script() -> ModuleType:
    """scripts/redis_server.py, imported."""
    return load_script("redis_server.py", "askfind_redis_script")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[Any]:
    """One redis-server on a free port for the whole session."""
    server = redis_script().RedisServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_url(redis_server: Any) -> str:
    """The session's Redis, running and empty at the start of the test."""
    import redis

    redis_server.start()  # no-op unless a test left it dead
    with redis.Redis.from_url(redis_server.url) as client:
        client.flushall()
    return str(redis_server.url)


@pytest.fixture
def private_redis() -> Iterator[Any]:
    """A Redis of this test's own, to kill and restart (``.kill()``, ``.start()``)."""
    server = redis_script().RedisServer().start()
    try:
        yield server
    finally:
        server.stop()
