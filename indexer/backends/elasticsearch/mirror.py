"""The vocabulary of the live index, held in each serving process.

Expanding the word being typed was a request to the vocabulary index (``vocabulary``)
before every lexical search whose prefix this process had not expanded within the last
minute: one more round trip on the critical path of most suggestions (2.5 ms of 16 at
p50, 4 of 23 among the slowest tenth, at 100,000 threads on two cores). A process now
keeps the terms and their frequencies in memory (``TermList``) and expands there, the way
``vocabulary.expansion_search`` does: the same terms, the same order.

``VocabularyMirror`` loads the vocabulary in a background thread on first use and then
checks it every ``REFRESH_S`` while it is used: a new vocabulary after a rebuild
(another index behind the alias) is loaded whole, terms added by upserts since (the
vocabulary index's sequence numbers grew) are fetched by sequence number. Until the
first load is done, and where the vocabulary is larger than
``elasticsearch_vocabulary_in_memory``, the backend asks Elasticsearch as before. A word
another process upserts expands here within about ``REFRESH_S``; this process's own
writes drop the copy until it is reloaded, so they expand at once.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan

from indexer.analysis.analyzer import PrefixTerm
from indexer.backends.elasticsearch.vocabulary import FREQUENCY, TERM

log = logging.getLogger(__name__)

REFRESH_S = 0.5
# After failed checks (the cluster away) the next waits twice as long, up to this.
MAX_BACKOFF_S = 30.0
# Nobody expanded a word for this long: the thread stops and the copy is dropped (a
# backend left unused, or a worker without traffic, costs the cluster nothing).
IDLE_S = 60.0
PAGE = 5_000
# Above every character: start + TOP bounds the terms that begin with start.
TOP = "\U0010ffff"


class TermList:
    """Terms in sorted order with their frequencies; a prefix is a contiguous range."""

    def __init__(self, frequencies: Mapping[str, int]) -> None:
        self.terms = sorted(frequencies)
        self.frequencies = np.fromiter(
            (frequencies[term] for term in self.terms), dtype=np.int64, count=len(self.terms)
        )

    def __len__(self) -> int:
        return len(self.terms)

    def with_terms(self, frequencies: Mapping[str, int]) -> TermList:
        """A copy with ``frequencies`` added (or replacing the ones it had)."""
        merged = dict(zip(self.terms, self.frequencies.tolist(), strict=True))
        merged.update(frequencies)
        return TermList(merged)

    def expand(self, prefix: PrefixTerm, limit: int) -> list[str]:
        """At most ``limit`` terms that start with one of the prefix's ``starts`` or equal
        one of its ``exact`` terms: most frequent first, ties in term order (as
        Elasticsearch sorts the vocabulary index)."""
        chosen: set[int] = set()
        for start in prefix.starts:
            low = bisect.bisect_left(self.terms, start)
            high = bisect.bisect_left(self.terms, start + TOP, lo=low)
            chosen.update(self._most_frequent(low, high, limit))
        for term in prefix.exact:
            at = bisect.bisect_left(self.terms, term)
            if at < len(self.terms) and self.terms[at] == term:
                chosen.add(at)
        best = sorted(chosen, key=lambda at: (-self.frequencies[at], self.terms[at]))[:limit]
        return [self.terms[at] for at in best]

    def _most_frequent(self, low: int, high: int, limit: int) -> Iterable[int]:
        """Positions of the ``limit`` most frequent terms in [low, high), ties by term."""
        if high - low <= limit:
            return range(low, high)
        span = self.frequencies[low:high]
        # The limit-th largest frequency: everything above it is in, then ties by term
        # (positions are in term order).
        threshold = np.partition(span, len(span) - limit)[len(span) - limit]
        above = np.flatnonzero(span > threshold)
        tied = np.flatnonzero(span == threshold)[: limit - len(above)]
        return (low + np.concatenate([above, tied])).tolist()


class VocabularyMirror:
    """The vocabulary behind ``alias``, kept current by a background thread."""

    def __init__(
        self,
        client: Elasticsearch,
        alias: str,
        max_terms: int,
        refresh_s: float = REFRESH_S,
        idle_s: float = IDLE_S,
    ) -> None:
        # A failed check is tried again at the next one, not retried at once.
        self._client = client.options(max_retries=0)
        self._alias = alias
        self._max_terms = max_terms
        self._refresh_s = refresh_s
        self._idle_s = idle_s
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._asked = float("-inf")
        self._terms: TermList | None = None
        self._index: str | None = None
        self._seq_no = -1
        # Raised by every forget(): a refresh that began before it does not store.
        self._generation = 0

    def current(self) -> TermList | None:
        """The vocabulary, or None where it is not held (yet): then ask Elasticsearch.

        A call starts the background thread that loads and refreshes the vocabulary
        where none runs: the first call, the first after ``idle_s`` without one (the
        thread then stopped and dropped the copy), the first in a forked child.
        """
        if self._max_terms <= 0:
            return None
        self._asked = time.monotonic()
        thread = self._thread
        if thread is None or not thread.is_alive():
            self._start()
        return self._terms

    @property
    def held(self) -> TermList | None:
        """What is held right now (starts nothing)."""
        return self._terms

    @property
    def running(self) -> bool:
        """Whether the background thread is keeping the copy current."""
        return self._thread is not None and self._thread.is_alive()

    def forget(self) -> None:
        """Drop the copy (after this process wrote): reloaded within ``REFRESH_S``."""
        with self._lock:
            self._terms, self._index, self._seq_no = None, None, -1
            self._generation += 1

    def close(self) -> None:
        self._stop.set()

    def _start(self) -> None:
        with self._lock:
            if self.running or self._stop.is_set():
                return
            self._thread = threading.Thread(target=self._run, name="vocabulary-mirror", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        """Refresh every ``refresh_s`` (less often after failures, up to ``MAX_BACKOFF_S``)
        until closed or not asked for during ``idle_s``."""
        failures = 0
        while not self._stop.is_set():
            if time.monotonic() - self._asked > self._idle_s:
                self.forget()  # no longer kept current: not to be used
                return
            try:
                self.refresh()
                failures = 0
            except Exception as error:  # any failure: keep what is held, try again later
                failures += 1
                log.debug("vocabulary %s not refreshed: %s", self._alias, error)
            self._stop.wait(min(MAX_BACKOFF_S, self._refresh_s * 2**failures))

    def refresh(self) -> None:
        """Bring the copy up to date with the vocabulary index (one request if unchanged)."""
        found = self._live()
        if found is None:
            self.forget()
            return
        index, count, max_seq_no = found
        if count > self._max_terms:
            self.forget()
            return
        with self._lock:
            current, known, seq_no = self._terms, self._index, self._seq_no
            generation = self._generation
        if current is None or index != known:
            loaded, seq_no = self._load(index)
            current = TermList(loaded)
        elif max_seq_no > seq_no:
            added, seq_no = self._added_since(index, seq_no)
            current = current.with_terms(added) if added else current
        else:
            return
        with self._lock:
            if generation == self._generation:
                self._terms, self._index, self._seq_no = current, index, seq_no

    def _live(self) -> tuple[str, int, int] | None:
        """The index behind the alias, its number of terms and highest sequence number."""
        response = self._client.options(ignore_status=404).indices.stats(
            index=self._alias, metric="docs", level="shards"
        )
        if response.meta.status == 404 or not response.get("indices"):
            return None
        (index, stats), *_ = response["indices"].items()
        copies = [copy for shard in stats["shards"].values() for copy in shard]
        primary = next(copy for copy in copies if copy["routing"]["primary"])
        return index, int(primary["docs"]["count"]), int(primary["seq_no"]["max_seq_no"])

    def _load(self, index: str) -> tuple[dict[str, int], int]:
        """Every term of ``index`` with its frequency, and the highest sequence number read."""
        hits = scan(
            self._client,
            index=index,
            query={"query": {"match_all": {}}},
            size=PAGE,
            stored_fields="_none_",
            docvalue_fields=[TERM, FREQUENCY],
            seq_no_primary_term=True,
        )
        return _frequencies(hits)

    def _added_since(self, index: str, seq_no: int) -> tuple[dict[str, int], int]:
        """The terms written to ``index`` after ``seq_no`` (and visible to searches)."""
        added: dict[str, int] = {}
        while True:
            response = self._client.search(
                index=index,
                query={"range": {"_seq_no": {"gt": seq_no}}},
                sort=[{"_seq_no": "asc"}],
                size=PAGE,
                stored_fields="_none_",
                docvalue_fields=[TERM, FREQUENCY],
                seq_no_primary_term=True,
                track_total_hits=False,
            )
            hits = response["hits"]["hits"]
            page, seq_no = _frequencies(hits, seq_no)
            added.update(page)
            if len(hits) < PAGE:
                return added, seq_no


def _frequencies(hits: Iterable[dict[str, Any]], seq_no: int = -1) -> tuple[dict[str, int], int]:
    """Terms and frequencies of vocabulary hits, and the highest sequence number among them."""
    found: dict[str, int] = {}
    for hit in hits:
        fields = hit["fields"]
        found[fields[TERM][0]] = int(fields[FREQUENCY][0])
        seq_no = max(seq_no, int(hit["_seq_no"]))
    return found, seq_no
