"""The rules in force, as ranking applies them: hide, expand, put pinned threads first.

A pin applies to a query in either of two ways (docs/curation.md):

- by terms: the query holds every term of one of the pin's example questions, analysed
  as askfind analyses any query (stems, compounds, both languages); the word still being
  typed counts for any term it begins ("Stör" for "Störung");
- by meaning: the query's embedding is at least ``pin_similarity`` close (cosine) to
  one of the examples' embeddings, which the ranking's own model computes.

An applying pin puts its thread first whether or not the search found it, at least at
the confidence floor (an operator chose it); incident pins go before other pins, newer
rules before older ones. The pinned thread must still be one the request may see (the
filters, visibility included) and not hidden.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import numpy as np

from indexer.analysis.analyzer import AnalyzedQuery, Analyzer
from indexer.curation.rules import Hidden, Pin, Rule, Synonyms
from indexer.curation.synonyms import SynonymTable
from indexer.curation.synonyms import expand as expand_synonyms
from indexer.ranking import Ranked


@dataclass(frozen=True, slots=True)
class PinMatcher:
    """A pin with its examples analysed once, when the rules are read."""

    rule_id: int
    pin: Pin
    examples: tuple[AnalyzedQuery, ...]

    def in_force(self, query: AnalyzedQuery, now: datetime) -> bool:
        """Whether the pin is active now and meant for the query's language."""
        return self.pin.active(now) and (self.pin.lang is None or self.pin.lang in query.languages)


@dataclass(frozen=True, slots=True)
class Curation:
    """A snapshot of the rules in force; ``revision`` names it (it changes with any rule)."""

    revision: str
    pins: tuple[PinMatcher, ...] = ()
    hidden: frozenset[str] = frozenset()
    synonym_table: SynonymTable = field(default_factory=lambda: SynonymTable(()))
    pin_similarity: float = 1.0
    # Every pin's examples embedded (unit rows), and the pin each row belongs to: one
    # product per search compares the query with all of them.
    example_vectors: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    example_pins: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))

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
        pins: list[PinMatcher] = []
        vectors: list[np.ndarray] = []
        owners: list[int] = []
        # Incidents first, then newer rules before older ones: the order pins are shown in.
        for rule in sorted(rules, key=lambda r: (not _is_incident(r), -r.id)):
            if isinstance(rule.body, Pin):
                queries = rule.body.queries
                examples = tuple(analyzer.query(q, partial=False) for q in queries)
                vectors.extend(embed(analyzer.for_embedding(q)) for q in queries)
                owners.extend(len(pins) for _ in queries)
                pins.append(PinMatcher(rule.id, rule.body, examples))
        groups = [r.body for r in rules if isinstance(r.body, Synonyms)]
        return cls(
            revision=revision[:16],
            pins=tuple(pins),
            hidden=frozenset(r.body.thread for r in rules if isinstance(r.body, Hidden)),
            synonym_table=SynonymTable(groups),
            pin_similarity=pin_similarity,
            example_vectors=np.vstack(vectors) if vectors else np.zeros((0, 0), np.float32),
            example_pins=np.asarray(owners, dtype=np.int64),
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
        return expand_synonyms(query, text, partial, self.synonym_table, analyzer)

    def has_pins(self, now: datetime) -> bool:
        return any(pin.pin.active(now) for pin in self.pins)

    def pinned(self, query: AnalyzedQuery, vector: np.ndarray | None, now: datetime) -> list[str]:
        """The threads pinned for this query at ``now``, in the order they are shown."""
        close: set[int] = set()
        if vector is not None and len(self.example_vectors):
            cosines = self.example_vectors @ vector
            close = set(self.example_pins[cosines >= self.pin_similarity].tolist())
        terms = set(query.terms) | set(query.prefix.exact if query.prefix else ())
        starts = query.prefix.starts if query.prefix else ()
        found: dict[str, None] = {}
        for index, matcher in enumerate(self.pins):
            if (
                matcher.in_force(query, now)
                and matcher.pin.thread not in self.hidden
                and (
                    index in close
                    or any(_holds_terms(terms, starts, ex) for ex in matcher.examples)
                )
            ):
                found[matcher.pin.thread] = None
        return list(found)


def put_first(ranked: list[Ranked], pinned: Sequence[str], floor: float) -> list[Ranked]:
    """``ranked`` with the ``pinned`` threads first, in their order; a pinned thread the
    search did not find is added (with no score of its own).

    A pinned thread keeps its own confidence, raised to ``floor`` where below it, so that
    it is shown: the confidence says how likely a thread answers the question, which an
    operator's choice does not change (the widget marks a first thread of high confidence
    "very likely your question"; an outage notice is not that).
    """
    if not pinned:
        return ranked
    found = {r.id: r for r in ranked}
    first = [
        replace(found[thread_id], confidence=max(found[thread_id].confidence, floor))
        if thread_id in found
        else Ranked(thread_id, 0.0, 0.0, floor, 0)
        for thread_id in pinned
    ]
    shown = set(pinned)
    return first + [r for r in ranked if r.id not in shown]


def _is_incident(rule: Rule) -> bool:
    return isinstance(rule.body, Pin) and rule.body.incident


def _holds_terms(terms: set[str], starts: tuple[str, ...], example: AnalyzedQuery) -> bool:
    """Whether a query's ``terms`` hold a term of every clause of the example (``starts``:
    the word being typed, standing for any term it begins)."""
    # str.startswith(()) is False: without a prefix only whole terms count.
    return bool(example.clauses) and all(
        any(term in terms or term.startswith(starts) for term in clause)
        for clause in example.clauses
    )
