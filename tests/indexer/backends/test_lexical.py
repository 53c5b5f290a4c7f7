"""The embedded backend's BM25 index: which positions its top k are, and how many of the
query's clauses each matched, against brute force over the same postings."""

from __future__ import annotations

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
