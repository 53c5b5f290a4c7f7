"""The embedded backend's vector index: the HNSW graph, written and read back with its
codes mapped from the file, proposes what the exact scan finds."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from indexer.backends.embedded.vectors import VectorIndex

# With a graph, cosines come from its 8-bit codes: each component within half a step of
# its range / 255. For these random 64-dimensional rows that is 0.004 at most (measured);
# for the USE vectors of real threads 0.001.
CODES_TOLERANCE = 5e-3


def unit_rows(count: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, 64)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_the_graph_read_back_answers_as_built_and_as_the_exact_scan(tmp_path: Path) -> None:
    vectors = unit_rows(3000, seed=1)
    built = VectorIndex.build(vectors, with_graph=True)
    built.save(tmp_path / "vectors")
    loaded = VectorIndex.load(tmp_path / "vectors")
    exact = VectorIndex(loaded.vectors)
    assert loaded.graph is not None and exact.graph is None
    queries = unit_rows(50, seed=2)
    overlap = []
    for query in queries:
        from_file, _ = loaded.top_k(query, 100, None, ef_search=128)
        as_built, _ = built.top_k(query, 100, None, ef_search=128)
        truth, _ = exact.top_k(query, 100, None, ef_search=128)
        assert set(from_file) == set(as_built)
        overlap.append(len(set(from_file) & set(truth)) / 100)
        assert from_file[0] == truth[0]  # the nearest is never missed
        positions, scores = loaded.top_k(query, 10, None, ef_search=128)
        assert np.allclose(scores, vectors[positions] @ query, rtol=0, atol=CODES_TOLERANCE)
    assert np.mean(overlap) > 0.95


def test_vectors_beside_a_graph_are_stored_in_half_the_bytes(tmp_path: Path) -> None:
    vectors = unit_rows(1000, seed=8)
    VectorIndex.build(vectors, with_graph=True).save(tmp_path / "graph")
    VectorIndex.build(vectors, with_graph=False).save(tmp_path / "scan")
    compact, full = VectorIndex.load(tmp_path / "graph"), VectorIndex.load(tmp_path / "scan")
    assert compact.vectors.dtype == np.float16 and full.vectors.dtype == np.float32
    assert compact.vectors.nbytes * 2 == full.vectors.nbytes
    query = unit_rows(1, seed=9)[0]
    positions, scores = compact.top_k(query, 20, None, ef_search=64)
    assert scores.dtype == np.float32
    assert np.abs(scores - vectors[positions] @ query).max() < CODES_TOLERANCE
    exact_positions, _ = full.top_k(query, 20, None, ef_search=64)
    assert exact_positions[0] == positions[0]


def test_the_graph_keeps_to_the_allowed_positions(tmp_path: Path) -> None:
    vectors = unit_rows(2000, seed=3)
    VectorIndex.build(vectors, with_graph=True).save(tmp_path / "vectors")
    loaded = VectorIndex.load(tmp_path / "vectors")
    allowed = np.zeros(len(vectors), dtype=bool)
    allowed[::3] = True
    positions, _ = loaded.top_k(unit_rows(1, seed=4)[0], 20, allowed, ef_search=64)
    assert len(positions) == 20 and all(position % 3 == 0 for position in positions)


def test_a_rebuild_over_the_same_vectors_reuses_the_graph_read_from_disk(tmp_path: Path) -> None:
    vectors = unit_rows(2000, seed=5)
    VectorIndex.build(vectors, with_graph=True).save(tmp_path / "old")
    live = VectorIndex.load(tmp_path / "old")  # mapped, as the live snapshot is
    same = VectorIndex.build(vectors.copy(), with_graph=True, previous=live)
    assert same.graph is live.graph
    same.save(tmp_path / "new")
    again = VectorIndex.load(tmp_path / "new")
    query = unit_rows(1, seed=6)[0]
    assert list(again.top_k(query, 50, None, 64)[0]) == list(live.top_k(query, 50, None, 64)[0])

    changed = vectors.copy()
    changed[7] = unit_rows(1, seed=7)[0]
    rebuilt = VectorIndex.build(changed, with_graph=True, previous=live)
    assert rebuilt.graph is not live.graph
    assert VectorIndex.build(vectors[:-1], with_graph=True, previous=live).graph is not live.graph


def test_with_a_graph_the_cosines_come_from_its_codes_not_the_stored_vectors(
    tmp_path: Path,
) -> None:
    vectors = unit_rows(2000, seed=8)
    VectorIndex.build(vectors, with_graph=True).save(tmp_path / "v")
    loaded = VectorIndex.load(tmp_path / "v")
    unreadable = VectorIndex(np.full_like(vectors, np.nan), loaded.graph)
    query = unit_rows(1, seed=9)[0]
    positions, scores = unreadable.top_k(query, 20, None, ef_search=64)
    assert np.allclose(scores, vectors[positions] @ query, rtol=0, atol=CODES_TOLERANCE)
    lexical_candidates = [3, 1500, 17]
    cosines = unreadable.cosines(lexical_candidates, query)
    assert np.allclose(cosines, vectors[lexical_candidates] @ query, rtol=0, atol=CODES_TOLERANCE)
    every = unreadable.cosines(None, query)
    assert np.allclose(every, vectors @ query, rtol=0, atol=CODES_TOLERANCE)
    assert list(positions) == list(loaded.top_k(query, 20, None, ef_search=64)[0])
