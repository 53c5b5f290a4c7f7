"""The embedded backend's BM25 index: which positions its top k are, and how many of the
query's clauses each matched, against brute force over the same postings."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from indexer.analysis.analyzer import AnalyzedQuery, PrefixTerm
from indexer.backends.embedded import lexical
from indexer.backends.embedded.lexical import LexicalIndex, best_positions

BOOSTS = {"title": 2.0, "body": 1.0}
WORDS = ["router", "rot", "blinkt", "wlan", "roaming", "rechnung", "box", "lampe"]


def documents(count: int, seed: int) -> list[dict[str, list[str]]]:
    rng = np.random.default_rng(seed)
    return [
        {
            "title": list(rng.choice(WORDS, size=rng.integers(1, 4))),
            "body": list(rng.choice(WORDS, size=rng.integers(0, 6))),
        }
        for _ in range(count)
    ]


def brute_force_matched(docs: list[dict[str, list[str]]], query: AnalyzedQuery) -> list[int]:
    """Clauses matched per document: a clause's term, or for the prefix one of the words
    it starts, in any field boosted."""
    counts = []
    for doc in docs:
        words = {w for name in BOOSTS for w in doc.get(name, ())}
        count = sum(any(t in words for t in clause) for clause in query.clauses)
        if query.prefix is not None:
            count += any(w.startswith(s) for w in words for s in query.prefix.starts)
        counts.append(count)
    return counts


def test_the_top_k_count_the_clauses_each_matched() -> None:
    docs = documents(400, seed=1)
    index = LexicalIndex.build(docs, k1=1.2, b=0.75)
    query = AnalyzedQuery(
        clauses=(("router",), ("rot", "blinkt")), prefix=PrefixTerm(("r",), ()), languages=()
    )
    positions, scores, matched = index.top_k(query, BOOSTS, 10, k=400, allowed=None)
    expected = brute_force_matched(docs, query)
    assert len(positions) == sum(1 for count in expected if count > 0)
    assert [int(m) for m in matched] == [expected[p] for p in positions]
    assert list(scores) == sorted(scores, reverse=True) and scores[-1] > 0


def test_of_equal_scores_the_lowest_positions_are_chosen() -> None:
    scores = np.zeros(1000, dtype=np.float32)
    scores[[5, 17, 300, 999]] = 2.0
    scores[[40, 41, 42, 43, 44]] = 1.0
    assert list(best_positions(scores, 6)) == [5, 17, 300, 999, 40, 41]
    assert list(best_positions(scores, 100)) == [5, 17, 300, 999, 40, 41, 42, 43, 44]


@pytest.mark.parametrize("seed", range(5))
def test_the_sampled_bar_chooses_what_all_scores_would(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(seed)
    scores = np.zeros(300_000, dtype=np.float32)
    touched = rng.integers(0, len(scores), 200_000)
    scores[touched] = rng.integers(1, 50, len(touched)).astype(np.float32)  # many ties
    sampled = best_positions(scores, 100)
    monkeypatch.setattr(lexical, "SELECTION_SAMPLE", len(scores) * 10)  # never samples
    assert list(sampled) == list(best_positions(scores, 100))


def alternatives_queries(seed: int) -> list[AnalyzedQuery]:
    """Queries whose clauses have alternatives (a stem in each language) and a half-typed
    word, over ``WORDS``."""
    rng = np.random.default_rng(seed)
    queries = []
    for _ in range(20):
        clauses = tuple(
            tuple(rng.choice(WORDS, size=rng.integers(1, 4), replace=False))
            for _ in range(rng.integers(1, 4))
        )
        prefix = (
            PrefixTerm((str(rng.choice(["r", "b", "w", "ro"])),), ())
            if rng.random() < 0.7
            else None
        )
        queries.append(AnalyzedQuery(clauses=clauses, prefix=prefix, languages=()))
    return queries


@pytest.mark.parametrize("seed", range(4))
def test_alternatives_add_the_same_from_their_postings_as_over_every_thread(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The best of a clause's alternatives, gathered in the scratch array from their
    postings alone, gives the very numbers the array of every thread gives, and leaves
    the scratch array clean for the next query."""
    docs = documents(3000, seed)
    index = LexicalIndex.build(docs, k1=1.2, b=0.75)
    queries = alternatives_queries(seed)
    allowed = np.random.default_rng(seed).random(len(docs)) < 0.8
    monkeypatch.setattr(lexical, "SCRATCH_SHARE", 10**9)  # an array of every thread
    expected = [index.top_k(q, BOOSTS, 10, 50, allowed) for q in queries]
    monkeypatch.setattr(lexical, "SCRATCH_SHARE", 0)  # the postings alone
    for _ in range(2):  # a dirty scratch array would change the second round
        for query, (positions, scores, matched) in zip(queries, expected, strict=True):
            got = index.top_k(query, BOOSTS, 10, 50, allowed)
            assert list(got[0]) == list(positions)
            assert np.array_equal(got[1], scores)
            assert list(got[2]) == list(matched)
    assert not index._scratch().any()


def test_searches_in_threads_each_have_their_own_scratch_array(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(lexical, "SCRATCH_SHARE", 0)  # the postings alone
    docs = documents(5000, seed=7)
    index = LexicalIndex.build(docs, k1=1.2, b=0.75)
    queries = alternatives_queries(7) * 10
    alone = [index.top_k(q, BOOSTS, 10, 20, None) for q in queries]
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda q: index.top_k(q, BOOSTS, 10, 20, None), queries))
    for (p1, s1, m1), (p2, s2, m2) in zip(alone, together, strict=True):
        assert list(p1) == list(p2) and np.array_equal(s1, s2) and list(m1) == list(m2)
