"""The embedded backend's vector index: the compact codes, written and read back with the
8-bit codes mapped from the file, propose what the exact scan finds."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np

from indexer.backends.embedded.vectors import (
    GRAPH_FILE,
    MIN_SCANNED,
    TRAINING_SAMPLE,
    VectorIndex,
)

# With codes, cosines come from the 8-bit ones: each component within half a step of its
# range / 255. For these random 64-dimensional rows that is 0.004 at most (measured); for
# the USE vectors of real threads 0.001.
CODES_TOLERANCE = 5e-3


def unit_rows(count: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((count, 64)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int, allowed=None) -> list[int]:
    scores = vectors @ query
    if allowed is not None:
        scores[~allowed] = -np.inf
    return [int(p) for p in np.argsort(-scores, kind="stable")[:k]]


def test_the_codes_read_back_answer_as_built_and_as_the_exact_scan(tmp_path: Path) -> None:
    vectors = unit_rows(3000, seed=1)
    built = VectorIndex.build(vectors, compressed=True)
    built.save(tmp_path / "vectors")
    loaded = VectorIndex.load(tmp_path / "vectors")
    assert loaded.scan is not None and loaded.codes is not None
    assert VectorIndex(loaded.vectors).codes is None
    overlap = []
    for query in unit_rows(50, seed=2):
        # A third of the index rescored: random rows without any structure are the 4-bit
        # codes' worst case (real threads' vectors: 1,000 of a million suffice).
        from_file, _ = loaded.top_k(query, 100, None, rescored=1000)
        as_built, _ = built.top_k(query, 100, None, rescored=1000)
        truth = exact_top(vectors, query, 100)
        assert list(from_file) == list(as_built)
        overlap.append(len(set(from_file) & set(truth)) / 100)
        assert from_file[0] == truth[0]  # the nearest is never missed
        positions, scores = loaded.top_k(query, 10, None, rescored=1000)
        assert np.allclose(scores, vectors[positions] @ query, rtol=0, atol=CODES_TOLERANCE)
    assert np.mean(overlap) > 0.95


def test_rescoring_fewer_candidates_finds_fewer_of_the_exact_top(tmp_path: Path) -> None:
    """``rescored`` is the knob between recall and speed: it must reach the search."""
    vectors = unit_rows(3000, seed=11)
    index = VectorIndex.build(vectors, compressed=True)
    queries = unit_rows(30, seed=12)

    def recall(rescored: int) -> float:
        found = [set(index.top_k(q, 100, None, rescored)[0]) for q in queries]
        truths = [set(exact_top(vectors, q, 100)) for q in queries]
        return float(np.mean([len(f & t) / 100 for f, t in zip(found, truths, strict=True)]))

    assert recall(100) < recall(1000) - 0.05


def test_vectors_beside_the_codes_are_stored_in_half_the_bytes(tmp_path: Path) -> None:
    vectors = unit_rows(1000, seed=8)
    VectorIndex.build(vectors, compressed=True).save(tmp_path / "codes")
    VectorIndex.build(vectors, compressed=False).save(tmp_path / "full")
    compact, full = VectorIndex.load(tmp_path / "codes"), VectorIndex.load(tmp_path / "full")
    assert compact.vectors.dtype == np.float16 and full.vectors.dtype == np.float32
    assert compact.vectors.nbytes * 2 == full.vectors.nbytes
    query = unit_rows(1, seed=9)[0]
    positions, scores = compact.top_k(query, 20, None, rescored=200)
    assert scores.dtype == np.float32
    assert np.abs(scores - vectors[positions] @ query).max() < CODES_TOLERANCE
    exact_positions, _ = full.top_k(query, 20, None, rescored=200)
    assert exact_positions[0] == positions[0]


def test_the_search_keeps_to_the_allowed_positions_however_few(tmp_path: Path) -> None:
    vectors = unit_rows(2000, seed=3)
    VectorIndex.build(vectors, compressed=True).save(tmp_path / "vectors")
    loaded = VectorIndex.load(tmp_path / "vectors")
    query = unit_rows(1, seed=4)[0]
    # A third allowed: the scan reads three times as deep and drops the others.
    third = np.zeros(len(vectors), dtype=bool)
    third[::3] = True
    positions, _ = loaded.top_k(query, 20, third, rescored=200)
    assert len(positions) == 20 and all(position % 3 == 0 for position in positions)
    assert len(set(positions) & set(exact_top(vectors, query, 20, third))) >= 18
    # 30 of 2,000 allowed (under 1 in 50): their codes are scored exactly.
    few = np.zeros(len(vectors), dtype=bool)
    few[np.random.default_rng(5).choice(len(vectors), 30, replace=False)] = True
    positions, _ = loaded.top_k(query, 20, few, rescored=200)
    by_codes = loaded.cosines(None, query)
    by_codes[~few] = -np.inf
    assert set(positions) == set(np.argsort(-by_codes)[:20].tolist())
    # Fewer allowed than asked for: all of them; none allowed: nothing.
    three = np.zeros(len(vectors), dtype=bool)
    three[[5, 50, 500]] = True
    assert sorted(loaded.top_k(query, 20, three, rescored=200)[0]) == [5, 50, 500]
    nothing = np.zeros(len(vectors), dtype=bool)
    assert len(loaded.top_k(query, 20, nothing, rescored=200)[0]) == 0


def test_an_index_too_small_to_train_a_scan_scores_its_codes_exactly(tmp_path: Path) -> None:
    vectors = unit_rows(MIN_SCANNED - 1, seed=13)
    VectorIndex.build(vectors, compressed=True).save(tmp_path / "vectors")
    loaded = VectorIndex.load(tmp_path / "vectors")
    assert loaded.compressed and loaded.scan is None
    query = unit_rows(1, seed=14)[0]
    positions, scores = loaded.top_k(query, 50, None, rescored=10)
    assert len(set(positions) & set(exact_top(vectors, query, 50))) >= 48
    assert np.allclose(scores, vectors[positions] @ query, rtol=0, atol=CODES_TOLERANCE)


def test_a_rebuild_over_the_same_vectors_reuses_the_codes_read_from_disk(tmp_path: Path) -> None:
    vectors = unit_rows(2000, seed=5)
    VectorIndex.build(vectors, compressed=True).save(tmp_path / "old")
    live = VectorIndex.load(tmp_path / "old")  # mapped, as the live snapshot is
    same = VectorIndex.build(vectors.copy(), compressed=True, previous=live)
    assert same.codes is live.codes and same.scan is live.scan
    same.save(tmp_path / "new")
    again = VectorIndex.load(tmp_path / "new")
    query = unit_rows(1, seed=6)[0]
    assert list(again.top_k(query, 50, None, 200)[0]) == list(live.top_k(query, 50, None, 200)[0])

    changed = vectors.copy()
    changed[7] = unit_rows(1, seed=7)[0]
    rebuilt = VectorIndex.build(changed, compressed=True, previous=live)
    assert rebuilt.codes is not live.codes and rebuilt.scan is not live.scan
    assert VectorIndex.build(vectors[:-1], compressed=True, previous=live).codes is not live.codes


def test_with_codes_the_cosines_come_from_them_not_the_stored_vectors(tmp_path: Path) -> None:
    vectors = unit_rows(2000, seed=8)
    VectorIndex.build(vectors, compressed=True).save(tmp_path / "v")
    loaded = VectorIndex.load(tmp_path / "v")
    unreadable = VectorIndex(np.full_like(vectors, np.nan), loaded.codes, loaded.scan)
    query = unit_rows(1, seed=9)[0]
    positions, scores = unreadable.top_k(query, 20, None, rescored=200)
    assert np.allclose(scores, vectors[positions] @ query, rtol=0, atol=CODES_TOLERANCE)
    lexical_candidates = [3, 1500, 17]
    cosines = unreadable.cosines(lexical_candidates, query)
    assert np.allclose(cosines, vectors[lexical_candidates] @ query, rtol=0, atol=CODES_TOLERANCE)
    every = unreadable.cosines(None, query)
    assert np.allclose(every, vectors @ query, rtol=0, atol=CODES_TOLERANCE)
    assert list(positions) == list(loaded.top_k(query, 20, None, rescored=200)[0])


def test_a_snapshot_written_with_an_hnsw_graph_serves_from_its_codes_until_rebuilt(
    tmp_path: Path,
) -> None:
    """Snapshots before 2026-12-07 hold their 8-bit codes inside an HNSW graph."""
    vectors = unit_rows(2000, seed=15)
    folder = tmp_path / "old"
    folder.mkdir()
    np.save(folder / "vectors.npy", vectors.astype(np.float16))
    graph = faiss.IndexHNSWSQ(64, faiss.ScalarQuantizer.QT_8bit, 32, faiss.METRIC_INNER_PRODUCT)
    graph.train(vectors)
    graph.add(vectors)
    faiss.write_index(graph, str(folder / GRAPH_FILE))
    del graph
    old = VectorIndex.load(folder)
    assert old.compressed and old.scan is None
    query = unit_rows(1, seed=16)[0]
    positions, scores = old.top_k(query, 30, None, rescored=200)
    assert len(set(positions) & set(exact_top(vectors, query, 30))) >= 29
    assert np.allclose(scores, vectors[positions] @ query, rtol=0, atol=CODES_TOLERANCE)
    rebuilt = VectorIndex.build(vectors, compressed=True, previous=old)
    assert rebuilt.scan is not None and rebuilt.codes is not old.codes


def test_the_8_bit_codes_cover_every_vector_not_only_the_training_sample() -> None:
    """The 4-bit codes are trained on a sample; the 8-bit codes' range must hold the rest
    too, or a vector outside the sample's range gets its cosines from clipped codes."""
    vectors = unit_rows(TRAINING_SAMPLE + 5000, seed=17)
    outliers = np.arange(len(vectors) - 64, len(vectors))
    vectors[outliers] = np.eye(64, dtype=np.float32)  # one component of 1: far outside
    index = VectorIndex.build(vectors, compressed=True)
    for dimension, position in enumerate(outliers):
        axis = np.eye(64, dtype=np.float32)[dimension]
        assert abs(index.cosines([position], axis)[0] - 1.0) < CODES_TOLERANCE
