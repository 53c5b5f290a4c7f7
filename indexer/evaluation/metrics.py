"""Ranking metrics, binary relevance. Each takes a ranked list of ids and the relevant set."""

from __future__ import annotations

import math
from collections.abc import Sequence, Set


def average_precision(ranked: Sequence[str], relevant: Set[str]) -> float:
    """Mean of precision at each relevant position; 0 when nothing is relevant.

    This is SemEval-2016 Task 3's MAP component: a query without any relevant
    candidate counts as 0, and relevant items missing from the list count as misses.
    """
    if not relevant:
        return 0.0
    hits = 0
    total = 0.0
    for position, item in enumerate(ranked, start=1):
        if item in relevant:
            hits += 1
            total += hits / position
    return total / len(relevant)


def recall_at(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    """Share of the relevant items found in the top k."""
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / len(relevant)


def capped_recall_at(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    """Recall@k with the denominator capped at k (BEIR's R_cap@k, Thakur et al. 2021).

    With more relevant items than k, plain recall@k cannot reach 1; capped recall can,
    so a perfect ranking scores 100 whatever the number of relevant items.
    """
    if not relevant:
        return 0.0
    return len(set(ranked[:k]) & relevant) / min(k, len(relevant))


def reciprocal_rank_at(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    """1 / rank of the first relevant item within the top k, else 0."""
    for position, item in enumerate(ranked[:k], start=1):
        if item in relevant:
            return 1.0 / position
    return 0.0


def ndcg_at(ranked: Sequence[str], relevant: Set[str], k: int) -> float:
    """Normalised discounted cumulative gain with binary gains (Järvelin & Kekäläinen 2002)."""
    if not relevant:
        return 0.0
    gain = sum(
        1.0 / math.log2(position + 1)
        for position, item in enumerate(ranked[:k], start=1)
        if item in relevant
    )
    ideal = sum(1.0 / math.log2(position + 1) for position in range(1, min(k, len(relevant)) + 1))
    return gain / ideal
