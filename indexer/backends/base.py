"""The backend contract: what every index backend stores and how it answers the two searches.

DESIGN.md decision 2: a backend is two candidate generators (lexical top-K and vector
top-K) plus storage. Everything after that - fusion, priors, duplicate collapsing,
confidence - happens once, in ``indexer.ranking``, for every backend alike.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np

from indexer.analysis.analyzer import AnalyzedQuery
from indexer.settings import Settings
from indexer.threads import OPEN, THREAD, Thread, parse_timestamp

# The analysed text fields of a thread; their BM25 weights are settings.
FIELDS: tuple[str, ...] = ("title", "body", "solution", "answers")


def field_boosts(settings: Settings) -> dict[str, float]:
    """The BM25 weight of each analysed field, as every backend applies it."""
    return {
        "title": settings.title_boost,
        "body": settings.body_boost,
        "solution": settings.solution_boost,
        "answers": settings.answers_boost,
    }


@dataclass(frozen=True, slots=True)
class IndexedThread:
    """A thread ready for a backend: its record plus what analysis and the model made of it."""

    thread: Thread
    terms: Mapping[str, tuple[str, ...]]
    vector: np.ndarray
    content_hash: str


# ``Filters.viewer_groups`` of operators' tools, which see every thread.
EVERY_GROUP = None


@dataclass(frozen=True, slots=True)
class Filters:
    """Restrictions every candidate must meet; None means "any".

    ``created_from`` and ``created_to`` bound ``created_at`` (both inclusive, timezone-aware);
    a thread without ``created_at`` does not pass a date bound.

    ``viewer_groups`` says who is looking (DESIGN.md decision 8): the groups whose
    restricted threads they may see besides the public ones. The default, no group, is
    the public: a filter built without a thought for visibility shows no restricted
    thread. ``EVERY_GROUP`` (None) sees every thread: only for operators' tools.
    """

    board: str | None = None
    lang: str | None = None
    solved: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    viewer_groups: frozenset[str] | None = frozenset()

    @property
    def is_empty(self) -> bool:
        return (
            self.board is None
            and self.lang is None
            and self.solved is None
            and not self.has_date_range
            and self.viewer_groups is EVERY_GROUP
        )

    @property
    def has_date_range(self) -> bool:
        return self.created_from is not None or self.created_to is not None

    def admits(self, signals: Signals) -> bool:
        """Tell whether a thread passes the filters (for threads fetched outside a search)."""
        return (
            (self.board is None or signals.board == self.board)
            and (self.lang is None or signals.lang == self.lang)
            and (self.solved is None or signals.solved == self.solved)
            and (not self.has_date_range or self.admits_created(signals.created_at))
            and self.sees(signals.visibility)
        )

    def sees(self, visibility: Collection[str]) -> bool:
        """Tell whether the viewer may see a thread of this visibility (no groups: public)."""
        if not visibility or self.viewer_groups is EVERY_GROUP:
            return True
        return not self.viewer_groups.isdisjoint(visibility)

    def admits_created(self, created_at: str | None) -> bool:
        """Tell whether a creation time (ISO 8601) lies within the date range."""
        if created_at is None:
            return False
        created = parse_timestamp(created_at)
        return (self.created_from is None or created >= self.created_from) and (
            self.created_to is None or created <= self.created_to
        )


@dataclass(frozen=True, slots=True)
class Signals:
    """What ranking needs to know of a candidate besides its similarity: the community's
    signals and the duplicate link. Cheap to fetch for a few hundred candidates."""

    id: str
    solved: bool = False
    kudos: int = 0
    views: int = 0
    replies: int = 0
    created_at: str | None = None
    duplicate_of: str | None = None
    board: str | None = None
    lang: str | None = None
    # The groups allowed to see the thread (empty: public); last, so that signals packed
    # before it existed (Elasticsearch) read as public, which every thread then was.
    visibility: tuple[str, ...] = ()
    # Added after visibility, for the same reason: a thread or an article (``Thread.kind``),
    # its state (only open ones are suggested), and when its accepted solution was written.
    kind: str = THREAD
    state: str = OPEN
    solution_at: str | None = None

    @classmethod
    def of(cls, thread: Thread) -> Signals:
        return cls(
            id=thread.id,
            solved=thread.solved,
            kudos=thread.kudos,
            views=thread.views,
            replies=thread.replies,
            created_at=thread.created_at,
            duplicate_of=thread.duplicate_of,
            board=thread.board,
            lang=thread.lang,
            visibility=thread.visibility,
            kind=thread.kind,
            state=thread.state,
            solution_at=thread.solution_at,
        )


@dataclass(frozen=True, slots=True)
class Hit:
    """A candidate from one search leg.

    ``score`` is BM25 for the lexical leg and cosine similarity for the vector leg.
    ``matched`` is, for the lexical leg, how many of the query's clauses (terms and the
    prefix) the thread matched.
    """

    id: str
    score: float
    matched: int = 0


@dataclass(frozen=True, slots=True)
class IndexStats:
    """What an index holds, for health checks and reports."""

    threads: int
    version: str
    details: Mapping[str, object] = field(default_factory=dict)


class Rebuild(AbstractContextManager["Rebuild"], Protocol):
    """A full rebuild in progress: threads go into a new index that replaces the live one
    only when the block ends without an exception. Until then the old index keeps serving."""

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """The content hash each of ``ids`` has in what ``carry_over`` copies from."""
        ...

    def add(self, threads: Sequence[IndexedThread]) -> None: ...

    def carry_over(self, ids: Sequence[str]) -> None:
        """Copy these threads, as the live index holds them, into the new index (for
        threads that did not change: no analysis or embedding again)."""
        ...

    def commit(self) -> None: ...


@runtime_checkable
class Backend(Protocol):
    """Storage and candidate generation over analysed threads."""

    def lexical_top_k(self, query: AnalyzedQuery, k: int, filters: Filters) -> list[Hit]:
        """Best ``k`` threads by BM25 over the analysed fields, best first."""
        ...

    def vector_top_k(self, vector: np.ndarray, k: int, filters: Filters) -> list[Hit]:
        """Best ``k`` threads by cosine similarity to a unit vector, best first."""
        ...

    def get_threads(self, ids: Sequence[str]) -> dict[str, Thread]:
        """The stored threads among ``ids`` (missing ids are simply absent)."""
        ...

    def signals(self, ids: Sequence[str]) -> dict[str, Signals]:
        """Ranking signals of the stored threads among ``ids``."""
        ...

    def vector_scores(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity of the given threads to a unit vector (for lexical-only hits)."""
        ...

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """The content hash each of ``ids`` was indexed with (to skip unchanged threads)."""
        ...

    def indexed(self, ids: Sequence[str]) -> dict[str, IndexedThread]:
        """The threads among ``ids`` as indexed: terms, vector, content hash."""
        ...

    def upsert(self, threads: Sequence[IndexedThread]) -> None:
        """Insert or replace threads in the live index."""
        ...

    def delete(self, ids: Sequence[str]) -> int:
        """Remove threads from the live index; returns how many existed."""
        ...

    def rebuild(self) -> Rebuild:
        """Start a full rebuild (see ``Rebuild``)."""
        ...

    def boards(self) -> frozenset[str]:
        """Every board that has at least one thread (to reject unknown board filters)."""
        ...

    def iter_ids(self) -> Iterator[str]:
        """Every thread id in the live index."""
        ...

    def stats(self) -> IndexStats:
        """Size and version of the live index; the version changes with every write."""
        ...

    def close(self) -> None: ...
