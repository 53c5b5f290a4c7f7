"""Content gaps: the questions customers asked that the community does not answer, grouped
by meaning, each group with the threads that come nearest (``askfind gaps``,
``GET /api/admin/gaps``).

Two lists (``indexer.analytics.questions`` says how a session's events become questions):

- *no match*: questions whose settled text was shown nothing (nothing cleared the
  confidence floor);
- *poor match*: questions shown suggestions, none opened or found helpful, and asked anyway.

Every settled question of the period is embedded (by the engine's query embedder) and
grouped with :func:`indexer.analytics.clustering.greedy_groups` at the cosine
``gap_similarity``: the questions that were answered take part too, so a meaning that
customers mostly find, and only now and then ask anyway, is not a gap. A group is a gap
when at least ``min_sessions`` of its sessions, and at least ``GAP_SHARE`` of those whose
outcome is known (not those that saw suggestions and left without a word), ended in no
match or poor match; it goes to the list of the larger of the two.

A group's id is made from its most typical question, so it stays the same from one
report to the next as long as that question does: the id a curation action (pinning a
candidate) can refer to. Every text that leaves this module is redacted.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np

from indexer.analytics.clustering import greedy_groups, most_typical
from indexer.analytics.events import StoredEvent
from indexer.analytics.questions import (
    FOUND,
    LEFT,
    NO_MATCH,
    POOR_MATCH,
    Question,
    settled_questions,
)
from indexer.errors import InvalidQuery
from indexer.privacy import redact
from indexer.search import SearchRequest, SearchService

# A group is a gap when at least this share of its sessions found nothing useful: below
# it, most customers asking this find their answer.
GAP_SHARE = 0.5
MIN_SESSIONS = 3
EXAMPLES = 3
CANDIDATES = 3
ID_PREFIX = "gap-"


@dataclass(frozen=True, slots=True)
class Candidate:
    """A thread that comes nearest to a group's question, whatever its confidence."""

    id: str
    title: str
    url: str | None
    score: float
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "score": round(self.score, 4),
            "confidence": round(self.confidence, 4),
        }


@dataclass(frozen=True, slots=True)
class GapGroup:
    """Questions of one meaning that customers did not find answered."""

    id: str
    kind: str  # NO_MATCH or POOR_MATCH
    question: str  # the most typical question, redacted
    lang: str | None
    searches: int  # impressions of all its questions, prefixes included
    sessions: int
    no_match_sessions: int
    poor_match_sessions: int
    found_sessions: int
    phrasings: list[tuple[str, int]]  # its settled texts, redacted, most asked first
    candidates: list[Candidate]

    @property
    def gap_sessions(self) -> int:
        return self.no_match_sessions + self.poor_match_sessions

    def to_dict(self) -> dict[str, Any]:
        thread_ids = [candidate.id for candidate in self.candidates]
        examples = [text for text, _ in self.phrasings[:EXAMPLES]]
        return {
            "id": self.id,
            "kind": self.kind,
            "question": self.question,
            "lang": self.lang,
            "searches": self.searches,
            "sessions": self.sessions,
            "gap_sessions": self.gap_sessions,
            "no_match_sessions": self.no_match_sessions,
            "poor_match_sessions": self.poor_match_sessions,
            "found_sessions": self.found_sessions,
            "examples": [
                {"query": text, "questions": count} for text, count in self.phrasings[:EXAMPLES]
            ],
            "candidates": [candidate.to_dict() for candidate in self.candidates],
            # What a one-click curation action needs (the curation API takes it from here).
            "actions": {
                "pin": {"query": self.question, "lang": self.lang, "thread_ids": thread_ids},
                "synonyms": {
                    "lang": self.lang,
                    "phrases": examples,
                },
            },
        }


@dataclass(frozen=True, slots=True)
class GapReport:
    since: datetime | None
    until: datetime | None
    questions: int
    groups: int  # groups of meaning among all questions, gaps or not
    similarity: float
    no_match: list[GapGroup]
    poor_match: list[GapGroup]

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "questions": self.questions,
            "groups": self.groups,
            "similarity": self.similarity,
            "no_match": [group.to_dict() for group in self.no_match],
            "poor_match": [group.to_dict() for group in self.poor_match],
        }


EmbedMany = Callable[[Sequence[str]], np.ndarray]
FindCandidates = Callable[[str], list[Candidate]]


def build_gaps(
    events: Iterable[StoredEvent],
    embed: EmbedMany,
    find_candidates: FindCandidates,
    similarity: float,
    since: datetime | None = None,
    until: datetime | None = None,
    top: int = 20,
    min_sessions: int = MIN_SESSIONS,
) -> GapReport:
    """The content gaps of these events (already limited to the period).

    ``embed``: the unit vectors of texts, one row each (each distinct settled question is
    embedded once).
    ``find_candidates``: the nearest threads for a group's most typical question, asked
    only for the ``top`` groups of each list.
    """
    questions = settled_questions(events)
    texts = sorted({q.settled for q in questions})
    asked = Counter(q.settled for q in questions)
    weights = [asked[text] for text in texts]
    vectors = embed(texts) if texts else np.zeros((0, 1), np.float32)
    groups = greedy_groups(vectors, weights, similarity)
    group_of = {texts[row]: index for index, rows in enumerate(groups) for row in rows}
    members: list[list[Question]] = [[] for _ in groups]
    for question in questions:
        members[group_of[question.settled]].append(question)

    gaps = []
    for rows, grouped in zip(groups, members, strict=True):
        typical = texts[most_typical(vectors, weights, rows)]
        gap = _gap_group(typical, grouped, min_sessions)
        if gap is not None:
            gaps.append(gap)
    gaps.sort(key=lambda g: (-g.gap_sessions, -g.searches, g.question))
    no_match = [g for g in gaps if g.kind == NO_MATCH][:top]
    poor_match = [g for g in gaps if g.kind == POOR_MATCH][:top]
    return GapReport(
        since=since,
        until=until,
        questions=len(questions),
        groups=len(groups),
        similarity=similarity,
        no_match=[_with_candidates(g, find_candidates) for g in no_match],
        poor_match=[_with_candidates(g, find_candidates) for g in poor_match],
    )


def _gap_group(typical: str, questions: Sequence[Question], min_sessions: int) -> GapGroup | None:
    """The group as a gap, or None when too few of its sessions went without an answer."""
    sessions_by_outcome: dict[str, set[str]] = {}
    for question in questions:
        sessions_by_outcome.setdefault(question.outcome, set()).add(question.session)
    sessions = {q.session for q in questions}
    no_match = len(sessions_by_outcome.get(NO_MATCH, ()))
    poor_match = len(sessions_by_outcome.get(POOR_MATCH, ()))
    # Who saw suggestions and left without a word may have found the answer in them or
    # not: the share counts only the sessions whose outcome is known.
    known = set().union(*(ids for kind, ids in sessions_by_outcome.items() if kind != LEFT))
    if no_match + poor_match < max(min_sessions, GAP_SHARE * len(known)):
        return None
    phrasings = Counter(q.settled for q in questions)
    languages = Counter(q.lang for q in questions if q.lang)
    return GapGroup(
        id=ID_PREFIX + hashlib.sha256(typical.encode("utf-8")).hexdigest()[:12],
        kind=NO_MATCH if no_match >= poor_match else POOR_MATCH,
        question=redact(typical),
        lang=languages.most_common(1)[0][0] if languages else None,
        searches=sum(q.searches for q in questions),
        sessions=len(sessions),
        no_match_sessions=no_match,
        poor_match_sessions=poor_match,
        found_sessions=len(sessions_by_outcome.get(FOUND, ())),
        phrasings=[(redact(text), n) for text, n in phrasings.most_common()],
        candidates=[],
    )


def _with_candidates(group: GapGroup, find_candidates: FindCandidates) -> GapGroup:
    return replace(group, candidates=find_candidates(group.question)[:CANDIDATES])


def nearest_threads(search: SearchService) -> FindCandidates:
    """The public threads ranked first for a question, below the confidence floor too
    (a gap's nearest thread is often one that almost answers it: the one to improve)."""

    def find(text: str) -> list[Candidate]:
        try:
            result = search.search(SearchRequest(text=text, limit=CANDIDATES, partial=False))
        except InvalidQuery:  # a redacted question can be too long or empty
            return []
        return [
            Candidate(
                id=item.thread.id,
                title=item.thread.title,
                url=item.thread.url,
                score=item.ranked.score,
                confidence=item.ranked.confidence,
            )
            for item in result.items
        ]

    return find


def question_vectors(search: SearchService) -> EmbedMany:
    """The vectors ``search`` gives these texts as queries (``query_vector``), embedded as
    a batch: the same vectors (a text gets the same vector as a document and as a query),
    about five times faster than one by one (1.7 ms a question instead of 8 on the demo)."""

    def embed(texts: Sequence[str]) -> np.ndarray:
        return search.embedder.embed_documents([search.analyzer.for_embedding(t) for t in texts])

    return embed


def search_gaps(
    search: SearchService,
    events: Iterable[StoredEvent],
    since: datetime | None = None,
    until: datetime | None = None,
    top: int = 20,
) -> GapReport:
    """The content gaps of these events, with the search service's embedder, candidates
    and ``gap_similarity``."""
    return build_gaps(
        events,
        question_vectors(search),
        nearest_threads(search),
        search.settings.gap_similarity,
        since,
        until,
        top,
    )
