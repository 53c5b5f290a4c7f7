"""Answers of Elasticsearch kept for a moment, to save the search path a request.

``RecentSignals``: the search service asks for the ranking signals of every candidate
right after the two legs found them. The legs' hits can carry those signals as doc
values for almost nothing, where asking again by id is one more request (5 ms of a 30 ms
budget, measured at 100,000 threads). So the legs leave what they read here, and
``signals`` takes it from here while it is fresh: at most ``MAX_AGE_S`` old, as old as
the hits themselves may be (Elasticsearch shows writes after a refresh, every second).

``expansions``: the continuations of a half-typed word (see ``vocabulary``) change only
where a rebuild recounts the vocabulary or an upsert brings a new term. A prefix with
``prefix_max_expansions`` continuations or more keeps its most frequent ones through
any upsert (new terms come in with a frequency of one), so its answer is kept for
``EXPANSION_AGE_S``; a prefix with fewer may gain one with the next upsert, so its answer
is kept no longer than hits are. Typing traffic asks for the same few thousand short
prefixes all the time: 3.4 ms of the lexical leg at 100,000 threads (p50, measured).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterable, Sequence
from typing import Generic, TypeVar

from indexer.backends.base import Signals

MAX_AGE_S = 1.0
# Two searches' worth of candidates per concurrent request, with room to spare.
MAX_ENTRIES = 20_000
EXPANSION_AGE_S = 60.0
MAX_EXPANSIONS = 10_000

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class FreshMap(Generic[K, V]):
    """A small, thread-safe map whose entries expire (each at its own age limit)."""

    def __init__(self, max_age_s: float, max_entries: int) -> None:
        self._max_age = max_age_s
        self._max_entries = max_entries
        self._entries: OrderedDict[K, tuple[float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, items: Iterable[tuple[K, V]], max_age_s: float | None = None) -> None:
        """Keep ``items`` for ``max_age_s`` (default: the map's age limit)."""
        expires = time.monotonic() + (self._max_age if max_age_s is None else max_age_s)
        with self._lock:
            for key, value in items:
                self._entries[key] = (expires, value)
                self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def get(self, keys: Sequence[K]) -> dict[K, V]:
        """The fresh entries among ``keys``."""
        now = time.monotonic()
        with self._lock:
            return {
                key: entry[1]
                for key in keys
                if (entry := self._entries.get(key)) is not None and entry[0] >= now
            }

    def forget(self) -> None:
        """Drop everything (after this process wrote: its own writes show at once)."""
        with self._lock:
            self._entries.clear()


class RecentSignals(FreshMap[str, Signals]):
    """The signals the hits of the last second carried, by thread id."""

    def __init__(self) -> None:
        super().__init__(MAX_AGE_S, MAX_ENTRIES)

    def remember(self, signals: Iterable[Signals]) -> None:
        self.put((item.id, item) for item in signals)

    def recall(self, ids: Sequence[str]) -> dict[str, Signals]:
        return self.get(ids)


class RecentExpansions(FreshMap[Hashable, list[str]]):
    """The continuations of half-typed words, by prefix and limit."""

    def __init__(self) -> None:
        super().__init__(MAX_AGE_S, MAX_EXPANSIONS)

    def remember(self, key: Hashable, terms: list[str], limit: int) -> None:
        self.put([(key, terms)], EXPANSION_AGE_S if len(terms) >= limit else None)

    def recall(self, key: Hashable) -> list[str] | None:
        return self.get([key]).get(key)
