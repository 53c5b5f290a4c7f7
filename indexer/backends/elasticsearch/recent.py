"""Ranking signals that came back with search hits a moment ago.

The search service asks for the signals of every candidate right after the two legs
found them. The legs' hits can carry those signals as doc values for almost nothing,
where asking again by id is one more request (5 ms of a 30 ms budget, measured at
100,000 threads). So the legs leave what they read here, and ``signals`` takes it from
here while it is fresh: at most ``MAX_AGE_S`` old, as old as the hits themselves may be
(Elasticsearch shows writes after a refresh, every second).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from indexer.backends.base import Signals

MAX_AGE_S = 1.0
# Two searches' worth of candidates per concurrent request, with room to spare.
MAX_ENTRIES = 20_000


class RecentSignals:
    """A small, thread-safe, short-lived map of thread id to signals."""

    def __init__(self, max_age_s: float = MAX_AGE_S, max_entries: int = MAX_ENTRIES) -> None:
        self._max_age = max_age_s
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, Signals]] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, signals: Iterable[Signals]) -> None:
        now = time.monotonic()
        with self._lock:
            for item in signals:
                self._entries[item.id] = (now, item)
                self._entries.move_to_end(item.id)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)

    def recall(self, ids: Sequence[str]) -> dict[str, Signals]:
        """The fresh signals among ``ids``."""
        oldest = time.monotonic() - self._max_age
        with self._lock:
            return {
                thread_id: entry[1]
                for thread_id in ids
                if (entry := self._entries.get(thread_id)) is not None and entry[0] >= oldest
            }

    def forget(self) -> None:
        """Drop everything (after this process wrote: its own writes show at once)."""
        with self._lock:
            self._entries.clear()
