"""The suggestion cache: answers of ``/api/suggest`` and query embeddings, in Redis.

An answer is cached under a key made of everything it depends on: the normalised query,
the filters and limit, the index version, the feedback version and the settings. Any
write to the index changes its version, so no cached answer outlives a change to what
it was computed from; nothing has to be deleted. Answers are stored as finished JSON
bytes: a hit costs one Redis GET and no serialisation.

Nothing a customer typed is stored in clear (DESIGN.md decision 7): Redis writes its data
to disk (``--save``), and a query may hold an e-mail address or a phone number. Keys are
SHA-256 digests of what they depend on; an answer is stored without the ``query`` it
echoes, which :func:`with_query` puts back on every read; query embeddings are keyed by
a digest of the text and hold only the vector.

While Redis is away, answers go to a small in-process LRU instead (the fallback of
DESIGN.md decision 5); query embeddings then rely on the model's own in-process cache.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from indexer.backends.base import Backend
from indexer.errors import AskfindError
from widget import metrics
from widget.limits import Admission
from widget.redis_link import RedisLink

KEY_PREFIX = "askfind"
_FAILED = object()
_OBJECT_START = b"{"
_EMPTY_OBJECT = b"{}"


def with_query(query: str, stored: bytes) -> bytes:
    """The answer to send: ``stored`` (a JSON object without the query) with ``"query"``
    first, as the API's answers have it."""
    head = b'{"query":' + json.dumps(query, ensure_ascii=False).encode("utf-8")
    if not stored.startswith(_OBJECT_START):
        raise ValueError("a cached answer must be a JSON object")
    if stored.strip() == _EMPTY_OBJECT:
        return head + b"}"
    return head + b"," + stored[1:]


class LocalCache:
    """A bounded LRU of bytes with a time to live, safe for a worker's threads."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            if found[0] < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return found[1]

    def put(self, key: str, value: bytes, ttl_seconds: float) -> None:
        if self._max_entries == 0:
            return
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_seconds, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)


class SuggestionCache:
    """Finished ``/api/suggest`` answers, in Redis or (while it is away) in this process."""

    def __init__(
        self, link: RedisLink, namespace: str, ttl_seconds: int, local_entries: int
    ) -> None:
        self._link = link
        self._namespace = namespace
        self._ttl = ttl_seconds
        self._local = LocalCache(local_entries)

    @property
    def enabled(self) -> bool:
        return self._ttl > 0

    def key(self, *parts: object) -> str:
        """A cache key for an answer that depends on exactly ``parts``."""
        payload = json.dumps(parts, ensure_ascii=False, separators=(",", ":"))
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        return f"{KEY_PREFIX}:{self._namespace}:suggest:{digest}"

    def get(self, key: str, admission: Admission | None = None) -> bytes | None:
        """The answer cached under ``key``; ``admission``: a rate-limit check that read
        ``key`` from Redis already (then Redis is not asked again)."""
        if not self.enabled:
            return None
        if admission is not None and admission.read:
            found = admission.value
        else:
            found = self._link.run(lambda client: client.get(key), _FAILED)
        if found is _FAILED:
            found = self._local.get(key)
        metrics.CACHE_LOOKUPS.labels(cache="suggest", result="hit" if found else "miss").inc()
        return found  # type: ignore[return-value]

    def put(self, key: str, body: bytes) -> None:
        """Cache ``body``: an answer without the query it answers (see :func:`with_query`)."""
        if not self.enabled:
            return
        stored = self._link.run(lambda client: client.set(key, body, ex=self._ttl), _FAILED)
        if stored is _FAILED:
            self._local.put(key, body, self._ttl)


class RedisVectorCache:
    """Query embeddings shared by every worker through Redis (``QueryVectorCache``).

    Keyed by the model's id (model, runtime, truncation) and the text: a vector is the
    same wherever and whenever it is computed.
    """

    def __init__(self, link: RedisLink, model_id: str, dimension: int, ttl_seconds: int) -> None:
        self._link = link
        self._model = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:16]
        self._dimension = dimension
        self._ttl = ttl_seconds

    def vector(self, text: str, embed: Callable[[str], np.ndarray]) -> np.ndarray:
        if self._ttl <= 0 or not self._link.available:
            return embed(text)
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        key = f"{KEY_PREFIX}:vector:{self._model}:{digest}"
        raw = self._link.run(lambda client: client.get(key), None)
        if isinstance(raw, bytes) and len(raw) == 4 * self._dimension:
            metrics.CACHE_LOOKUPS.labels(cache="vector", result="hit").inc()
            return np.frombuffer(raw, dtype=np.float32)
        metrics.CACHE_LOOKUPS.labels(cache="vector", result="miss").inc()
        vector = embed(text)
        blob = np.asarray(vector, dtype=np.float32).tobytes()
        self._link.run(lambda client: client.set(key, blob, ex=self._ttl), None)
        return vector


class IndexVersion:
    """The live index's version, asked of the backend at most every ``interval`` seconds.

    Asking on every request would cost a backend round trip per cache hit. A write made
    through this process invalidates it at once; one made by another process is seen
    within ``interval`` (then the cache keys change and the answers with them).
    """

    def __init__(self, backend: Backend, interval: float) -> None:
        self._backend = backend
        self._interval = interval
        self._lock = threading.Lock()
        self._value: str | None = None
        self._checked = float("-inf")

    def current(self) -> str:
        """The version; the last one known if the backend cannot be asked right now.

        Raises:
            BackendUnavailable: the backend cannot be asked and no version is known yet.
        """
        if time.monotonic() - self._checked < self._interval and self._value is not None:
            return self._value
        with self._lock:
            if time.monotonic() - self._checked >= self._interval or self._value is None:
                try:
                    self._value = self._backend.stats().version
                except AskfindError:
                    metrics.BACKEND_ERRORS.labels(backend="index").inc()
                    if self._value is None:
                        raise
                self._checked = time.monotonic()
            return self._value

    def invalidate(self) -> None:
        with self._lock:
            self._checked = float("-inf")
