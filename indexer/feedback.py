"""Feedback in ranking: threads that customers found helpful for similar queries gain a
small, bounded bonus. Pure functions over plain data, used by ``indexer.ranking``.

A vote is a session's "helpful: yes" (+1) or "no" (-1) on a thread for the query it
typed. For a new query, every earlier query whose embedding is at least
``feedback_similarity`` close counts its net votes towards its threads; a thread with
at least ``feedback_min_sessions`` of them gets

    bonus = feedback_boost * votes / (votes + HALF_SATURATION_VOTES)

which grows with every vote but never reaches ``feedback_boost`` (0.03 by default, the
size of the accepted-solution prior). The bonus only reorders threads the two search
legs already found: feedback can lift a relevant thread past a near neighbour, it cannot
put an unrelated one in front of the customer. Votes against a thread lower its support
and never push it below zero bonus: ranking by relevance stays the floor.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from indexer.settings import Settings

# Votes at which the bonus reaches half of feedback_boost.
HALF_SATURATION_VOTES = 5.0


@dataclass(frozen=True, slots=True)
class FeedbackParams:
    boost: float
    similarity: float
    min_sessions: int

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackParams:
        return cls(
            boost=settings.feedback_boost,
            similarity=settings.feedback_similarity,
            min_sessions=settings.feedback_min_sessions,
        )


@dataclass(frozen=True, slots=True)
class QueryVotes:
    """Net helpful votes (sessions saying yes minus sessions saying no) of one thread for
    one query (grouped as the reports group them)."""

    query: str
    thread: str
    votes: int


def bonus(votes: float, params: FeedbackParams) -> float:
    """The bonus of a thread with this many net votes from similar queries."""
    if params.boost <= 0 or votes < params.min_sessions:
        return 0.0
    return params.boost * votes / (votes + HALF_SATURATION_VOTES)


class FeedbackSource(Protocol):
    """Anything that can tell the feedback bonuses for a query's embedding."""

    @property
    def version(self) -> str:
        """Changes whenever the bonuses could (cached answers are keyed by it)."""
        ...

    def boosts(self, query_vector: np.ndarray) -> Mapping[str, float]: ...


class FeedbackIndex:
    """The votes with their queries' embeddings, searched by cosine for each new query."""

    def __init__(
        self, votes: Sequence[QueryVotes], vectors: np.ndarray, params: FeedbackParams
    ) -> None:
        if len(votes) != len(vectors):
            raise ValueError("one vector per vote is needed")
        self.params = params
        self._threads = [vote.thread for vote in votes]
        self._votes = np.array([vote.votes for vote in votes], dtype=np.float32)
        matrix = np.asarray(vectors, dtype=np.float32)
        self._vectors = matrix.reshape(len(votes), -1) if votes else matrix.reshape(0, 0)
        ordered = sorted((v.query, v.thread, v.votes) for v in votes)
        self.version = hashlib.sha256(repr((ordered, params)).encode()).hexdigest()[:16]

    @classmethod
    def empty(cls, params: FeedbackParams) -> FeedbackIndex:
        return cls([], np.zeros((0, 0), dtype=np.float32), params)

    def __len__(self) -> int:
        return len(self._threads)

    def vector_of(self, row: int) -> np.ndarray:
        """The query embedding of the ``row``-th vote (kept for the next refresh)."""
        return self._vectors[row]

    def boosts(self, query_vector: np.ndarray) -> dict[str, float]:
        """Bonus per thread for a query (threads without one are absent)."""
        if not self._threads or self.params.boost <= 0:
            return {}
        similar = np.flatnonzero(self._vectors @ query_vector >= self.params.similarity)
        support: dict[str, float] = {}
        for row in similar:
            thread = self._threads[row]
            support[thread] = support.get(thread, 0.0) + float(self._votes[row])
        return {
            thread: value
            for thread, votes in support.items()
            if (value := bonus(votes, self.params)) > 0
        }
