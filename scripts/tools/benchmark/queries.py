"""The texts sent to /api/suggest: as-you-type prefixes of real questions, each sent once."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

QUERY_MIN_CHARS = 6


def query_pool(titles: Sequence[str], exclude: set[str], seed: int) -> list[str]:
    """Distinct as-you-type texts: real titles cut after 2-6 words, some in mid-word.

    No text equals a title in ``exclude`` (the corpus titles), so no query is a verbatim
    thread title, and every text is distinct, so each one misses the query cache once.
    """
    rng = random.Random(seed)
    excluded = {_normal(title) for title in exclude}
    seen: set[str] = set()
    pool = []
    for title in titles:
        words = title.split()
        for cut in range(2, min(6, len(words) - 1) + 1):
            text = " ".join(words[:cut])
            nxt = words[cut]
            if rng.random() < 0.4 and len(nxt) > 3:
                text = f"{text} {nxt[: rng.randint(2, len(nxt) - 1)]}"  # still typing
            key = _normal(text)
            if len(text) >= QUERY_MIN_CHARS and key not in excluded and text not in seen:
                seen.add(text)
                pool.append(text)
    rng.shuffle(pool)
    return pool


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


class QuerySupply:
    """Hands out query texts in order, each once; wraps around (and counts it) when spent."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = list(texts)
        self._next = 0
        self._lock = threading.Lock()
        self.wrapped = 0

    def take(self, count: int) -> list[str]:
        return [self.next() for _ in range(count)]

    def next(self) -> str:
        with self._lock:
            if self._next == len(self._texts):
                self._next = 0
                self.wrapped += 1
            text = self._texts[self._next]
            self._next += 1
            return text

    @property
    def remaining(self) -> int:
        return len(self._texts) - self._next
