"""Building an embedded segment: its vectors in the rows' order, whether the caller knew
how many rows would come, guessed too few, or too many."""

from __future__ import annotations

import numpy as np
import pytest

from indexer.backends.embedded.segment import Segment
from indexer.backends.embedded.store import StoredRow


def rows(count: int) -> list[StoredRow]:
    vectors = np.random.default_rng(count).standard_normal((count, 8)).astype(np.float32)
    return [
        StoredRow(f"t{i}", {"title": [f"w{i % 7}"]}, vectors[i], "b", "de", i % 2 == 0)
        for i in range(count)
    ]


@pytest.mark.parametrize("expected", [0, 1, 99, 150, 1000])
def test_the_vectors_are_the_rows_in_order_whatever_was_expected(expected: int) -> None:
    given = rows(150)
    segment = Segment.build(given, 8, k1=1.2, b=0.75, compressed=False, expected=expected)
    assert list(segment.ids) == [row.id for row in given]
    assert np.array_equal(segment.vectors.vectors, np.vstack([row.vector for row in given]))


def test_no_rows_make_an_empty_segment() -> None:
    segment = Segment.build([], 8, k1=1.2, b=0.75, compressed=False, expected=5)
    assert list(segment.ids) == [] and segment.vectors.vectors.shape == (0, 8)
