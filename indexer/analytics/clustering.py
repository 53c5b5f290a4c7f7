"""Grouping texts by meaning: greedy clustering of unit vectors at a cosine threshold.

Leader clustering (Hartigan, *Clustering Algorithms*, 1975, ch. 3), with the leader a
running centroid: items are taken heaviest first, and each joins the group whose centroid
is nearest if the cosine reaches the threshold, else starts a group of its own. One pass,
O(items x groups), no pairwise matrix: a year of a community's questions (tens of
thousands of distinct texts) fits in memory, which average-linkage clustering's n² matrix
would not. Taking the heaviest first makes the most asked phrasing of a meaning its seed,
so a group does not drift towards a rare neighbour, and makes the result deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Groups grow by this many rows at a time in the centroid matrix.
GROWTH = 256


def greedy_groups(
    vectors: np.ndarray, weights: Sequence[float], threshold: float
) -> list[list[int]]:
    """Group the rows of ``vectors`` (unit vectors) whose cosine to a group's centroid
    reaches ``threshold``.

    ``weights``: how much each row counts (how often its text was asked); the heaviest
    rows seed the groups and pull their centroids. Returns the groups as lists of row
    indices, each list heaviest first, the groups in the order they were seeded.
    """
    count = len(vectors)
    if count == 0:
        return []
    order = sorted(range(count), key=lambda i: -weights[i])
    sums = np.zeros((GROWTH, vectors.shape[1]), dtype=np.float64)
    centroids = np.zeros_like(sums)
    groups: list[list[int]] = []
    for row in order:
        vector = vectors[row].astype(np.float64)
        if groups:
            cosines = centroids[: len(groups)] @ vector
            best = int(np.argmax(cosines))
            if cosines[best] >= threshold:
                groups[best].append(row)
                sums[best] += weights[row] * vector
                centroids[best] = sums[best] / (np.linalg.norm(sums[best]) or 1.0)
                continue
        if len(groups) == len(sums):
            sums = np.vstack([sums, np.zeros_like(sums[:GROWTH])])
            centroids = np.vstack([centroids, np.zeros_like(centroids[:GROWTH])])
        sums[len(groups)] = weights[row] * vector
        centroids[len(groups)] = vector
        groups.append([row])
    return groups


def most_typical(vectors: np.ndarray, weights: Sequence[float], members: Sequence[int]) -> int:
    """The member nearest to the group's weighted centroid: its most typical text."""
    rows = vectors[list(members)].astype(np.float64)
    centroid = np.asarray([weights[i] for i in members], dtype=np.float64) @ rows
    return members[int(np.argmax(rows @ centroid))]
