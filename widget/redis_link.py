"""One process's link to Redis: used while it answers, skipped while it does not.

Redis is optional (DESIGN.md decision 5): the cache and the rate limits fall back to
in-process state whenever it is absent, slow or dead. The request path never waits for
Redis longer than ``redis_timeout``, and after a failure it does not try again for
``redis_retry_seconds``: a dead Redis costs one refused connection per process and
retry period, not one per request. The first request after that period tries again on
fresh connections, so the service reconnects on its own when Redis returns.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from widget import metrics

log = logging.getLogger(__name__)

T = TypeVar("T")
# Connections per process: gunicorn's threads per worker, plus the feedback refresher.
MAX_CONNECTIONS = 16


class RedisLink:
    """A Redis client behind a circuit breaker, or nothing when no ``redis_url`` is set."""

    def __init__(self, url: str, timeout: float, retry_seconds: float) -> None:
        self.url = url
        self._timeout = timeout
        self._retry_seconds = retry_seconds
        self._lock = threading.Lock()
        self._client: redis.Redis | None = self._connect() if url else None
        self._down_until = 0.0
        self.last_error: str | None = None
        metrics.REDIS_UP.set(1 if url else 0)

    @property
    def configured(self) -> bool:
        return bool(self.url)

    @property
    def available(self) -> bool:
        """True unless Redis is unconfigured or failed within the retry period."""
        return self._client is not None and time.monotonic() >= self._down_until

    def status(self) -> str:
        """The state for /readyz: ok, unavailable (configured but failing) or disabled."""
        if not self.configured:
            return "disabled"
        return "unavailable" if self.last_error else "ok"

    def run(self, command: Callable[[redis.Redis], T], fallback: T) -> T:
        """Run ``command`` on Redis, or return ``fallback`` if Redis is away or fails."""
        if time.monotonic() < self._down_until:
            return fallback
        return self._attempt(command, fallback)

    def ping(self) -> bool:
        """Ask Redis now, retry period or not (readiness checks)."""
        return self._attempt(lambda client: bool(client.ping()), False)

    def _attempt(self, command: Callable[[redis.Redis], T], fallback: T) -> T:
        """Run ``command`` now, noting a failure (a retry period begins) or a recovery."""
        client = self._client
        if client is None:
            return fallback
        try:
            result = command(client)
        except redis.RedisError as e:
            self._failed(e)
            return fallback
        if self.last_error is not None:
            self._recovered()
        return result

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()

    def _connect(self) -> redis.Redis:
        return redis.Redis.from_url(
            self.url,
            socket_timeout=self._timeout,
            socket_connect_timeout=self._timeout,
            # No retries inside the client: a failed command falls back at once, and the
            # breaker decides when to try again.
            retry=Retry(NoBackoff(), 0),
            retry_on_timeout=False,
            max_connections=MAX_CONNECTIONS,
            health_check_interval=0,
        )

    def _failed(self, error: redis.RedisError) -> None:
        metrics.BACKEND_ERRORS.labels(backend="redis").inc()
        with self._lock:
            self._down_until = time.monotonic() + self._retry_seconds
            if self.last_error is None:
                log.warning(
                    "Redis at %s is unavailable (%s): caching and rate limiting in-process "
                    "until it returns",
                    _safe_url(self.url),
                    error,
                )
            self.last_error = f"{type(error).__name__}: {error}"
            metrics.REDIS_UP.set(0)
            # The pool's other connections died with the server: start afresh next time,
            # rather than failing once per stale connection after Redis returns.
            old, self._client = self._client, self._connect()
        if old is not None:
            old.connection_pool.disconnect(inuse_connections=False)

    def _recovered(self) -> None:
        with self._lock:
            if self.last_error is None:
                return
            log.info("Redis at %s is back: shared cache and limits again", _safe_url(self.url))
            self.last_error = None
            metrics.REDIS_UP.set(1)


def _safe_url(url: str) -> str:
    """The URL without a password, for logs."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
