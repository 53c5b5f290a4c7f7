"""Customers' helpful votes, turned into the feedback that ranking uses (``indexer.feedback``).

Each session counts once per thread: its last vote on that thread, under the query it
typed then. Votes are re-read from the event store every ``feedback_refresh_seconds``,
in the background, while searches go on with the votes read before; the queries'
embeddings are kept from one read to the next, so only new queries are embedded.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from indexer.analytics.events import StoredEvent
from indexer.analytics.report import query_key
from indexer.errors import AskfindError
from indexer.feedback import FeedbackIndex, FeedbackParams, QueryVotes
from indexer.settings import Settings

log = logging.getLogger(__name__)


def helpful_votes(events: Iterable[StoredEvent]) -> list[QueryVotes]:
    """Net votes per (query, thread), from helpful events, one vote per session and thread."""
    latest: dict[tuple[str, str], tuple[str, bool]] = {}
    for stored in events:
        event = stored.event
        if event.type != "helpful" or event.thread is None or event.helpful is None:
            continue
        latest[(event.session, event.thread)] = (query_key(event.query), event.helpful)
    net: Counter[tuple[str, str]] = Counter()
    for (_, thread), (query, helpful) in latest.items():
        if query:
            net[(query, thread)] += 1 if helpful else -1
    return [QueryVotes(query, thread, votes) for (query, thread), votes in sorted(net.items())]


def feedback_index(
    votes: list[QueryVotes],
    embed: Callable[[str], np.ndarray],
    params: FeedbackParams,
    known: Mapping[str, np.ndarray] | None = None,
) -> FeedbackIndex:
    """The votes with their queries embedded (``known`` vectors are reused)."""
    if not votes:
        return FeedbackIndex.empty(params)
    known = known or {}
    vectors = np.vstack([known[v.query] if v.query in known else embed(v.query) for v in votes])
    return FeedbackIndex(votes, vectors, params)


class FeedbackLoader:
    """The current feedback of an event store, refreshed in the background (a FeedbackSource)."""

    def __init__(
        self,
        read_votes: Callable[[], Iterable[StoredEvent]],
        embed: Callable[[str], np.ndarray],
        settings: Settings,
    ) -> None:
        self._read_votes = read_votes
        self._embed = embed
        self._params = FeedbackParams.from_settings(settings)
        self._interval = settings.feedback_refresh_seconds
        self._index = FeedbackIndex.empty(self._params)
        self._vectors: dict[str, np.ndarray] = {}
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()
        self._refreshing = False

    @property
    def version(self) -> str:
        self._refresh_if_due()
        return self._index.version

    def boosts(self, query_vector: np.ndarray) -> Mapping[str, float]:
        self._refresh_if_due()
        return self._index.boosts(query_vector)

    def refresh(self) -> None:
        """Read the votes now (failures keep the votes read before, and are logged)."""
        try:
            votes = helpful_votes(self._read_votes())
            index = feedback_index(votes, self._embed, self._params, self._vectors)
        except AskfindError as e:
            log.warning("feedback not refreshed: %s", e)
            return
        finally:
            with self._lock:
                self._loaded_at = time.monotonic()
                self._refreshing = False
        self._vectors = {v.query: index.vector_of(i) for i, v in enumerate(votes)}
        self._index = index

    def _refresh_if_due(self) -> None:
        if self._params.boost <= 0 or time.monotonic() - self._loaded_at < self._interval:
            return
        if self._interval == 0:
            self.refresh()
            return
        with self._lock:
            if self._refreshing:
                return
            self._refreshing = True
        threading.Thread(target=self.refresh, name="askfind-feedback", daemon=True).start()
