"""The rules in force, as ranking applies them: hide, expand, put pinned threads first.

A pin applies to a query in either of two ways (docs/curation.md):

- by terms: the query holds every term of one of the pin's example questions, analysed
  as askfind analyses any query (stems, compounds, both languages); the word still being
  typed counts for any term it begins ("Stör" for "Störung");
- by meaning: the query's embedding is at least ``pin_similarity`` close (cosine) to
  one of the examples' embeddings, which the ranking's own model computes.

An applying pin puts its thread first whether or not the search found it, above the
confidence floor (an operator chose it); incident pins go before other pins, newer rules
before older ones. The pinned thread must still be one the request may see (the
filters, visibility included) and not hidden.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import numpy as np

from indexer.analysis.analyzer import AnalyzedQuery, Analyzer
from indexer.curation import synonyms
from indexer.curation.rules import Hidden, Pin, Rule, Synonyms
from indexer.ranking import Ranked

# The confidence of a pinned thread: shown whatever the floor, as sure as it gets.
PINNED_CONFIDENCE = 1.0


@dataclass(frozen=True, slots=True)
class PinMatcher:
    """A pin with its examples analysed and embedded once, when the rules are read."""

    rule_id: int
    pin: Pin
    examples: tuple[AnalyzedQuery, ...]
    vectors: np.ndarray  # one unit row per example

    def applies(self, query: AnalyzedQuery, vector: np.ndarray | None, similarity: float) -> bool:
        if self.pin.lang is not None and self.pin.lang not in query.languages:
            return False
        if any(_holds_terms(query, example) for example in self.examples):
            return True
        if vector is None or not len(self.vectors):
            return False
        return bool(np.max(self.vectors @ vector) >= similarity)


@dataclass(frozen=True, slots=True)
class Curation:
    """A snapshot of the rules in force; ``revision`` names it (it changes with any rule)."""

    revision: str
    pins: tuple[PinMatcher, ...] = ()
    hidden: frozenset[str] = frozenset()
    synonym_groups: tuple[Synonyms, ...] = ()
    pin_similarity: float = 1.0

    @classmethod
    def of(
        cls,
        rules: Sequence[Rule],
        analyzer: Analyzer,
        embed: Callable[[str], np.ndarray],
        pin_similarity: float,
    ) -> Curation:
        """The snapshot of ``rules``: pins' examples analysed and embedded here, once."""
        revision = hashlib.sha256(repr([(r.id, r.version) for r in rules]).encode()).hexdigest()
        pins = []
        # Incidents first, then newer rules before older ones: the order pins are shown in.
        for rule in sorted(rules, key=lambda r: (not _is_incident(r), -r.id)):
            if isinstance(rule.body, Pin):
                queries = rule.body.queries
                examples = tuple(analyzer.query(q, partial=False) for q in queries)
                vectors = np.vstack([embed(analyzer.for_embedding(q)) for q in queries])
                pins.append(PinMatcher(rule.id, rule.body, examples, vectors))
        return cls(
            revision=revision[:16],
            pins=tuple(pins),
            hidden=frozenset(r.body.thread for r in rules if isinstance(r.body, Hidden)),
            synonym_groups=tuple(r.body for r in rules if isinstance(r.body, Synonyms)),
            pin_similarity=pin_similarity,
        )

    def version(self, now: datetime) -> str:
        """What answers depend on at ``now``: the rules, and which pins are in force
        (a pin starting or ending changes answers without any rule changing)."""
        active = [pin.rule_id for pin in self.pins if pin.pin.active(now)]
        return f"{self.revision}:{','.join(map(str, active))}"

    def expand(
        self, query: AnalyzedQuery, text: str, partial: bool, analyzer: Analyzer
    ) -> AnalyzedQuery:
        """``query`` with the synonym groups of its languages applied (``synonyms``)."""
        if not self.synonym_groups:
            return query
        return synonyms.expand(query, text, partial, self.synonym_groups, analyzer)

    def has_pins(self, now: datetime) -> bool:
        return any(pin.pin.active(now) for pin in self.pins)

    def pinned(self, query: AnalyzedQuery, vector: np.ndarray | None, now: datetime) -> list[str]:
        """The threads pinned for this query at ``now``, in the order they are shown."""
        found: dict[str, None] = {}
        for matcher in self.pins:
            if (
                matcher.pin.active(now)
                and matcher.pin.thread not in self.hidden
                and matcher.applies(query, vector, self.pin_similarity)
            ):
                found[matcher.pin.thread] = None
        return list(found)


def put_first(ranked: list[Ranked], pinned: Sequence[str]) -> list[Ranked]:
    """``ranked`` with the ``pinned`` threads first, in their order, shown whatever the
    floor; a pinned thread the search did not find is added (with no score of its own)."""
    if not pinned:
        return ranked
    found = {r.id: r for r in ranked}
    first = [
        replace(found[thread_id], confidence=PINNED_CONFIDENCE)
        if thread_id in found
        else Ranked(thread_id, 0.0, 0.0, PINNED_CONFIDENCE, 0)
        for thread_id in pinned
    ]
    shown = set(pinned)
    return first + [r for r in ranked if r.id not in shown]


def _is_incident(rule: Rule) -> bool:
    return isinstance(rule.body, Pin) and rule.body.incident


def _holds_terms(query: AnalyzedQuery, example: AnalyzedQuery) -> bool:
    """Whether the query holds a term of every clause of the example (the word being
    typed standing for any term it begins)."""
    if not example.clauses:
        return False
    terms = set(query.terms)
    starts = query.prefix.starts if query.prefix else ()
    if query.prefix:
        terms.update(query.prefix.exact)
    # str.startswith(()) is False: without a prefix only whole terms count.
    return all(
        any(term in terms or term.startswith(starts) for term in clause)
        for clause in example.clauses
    )
