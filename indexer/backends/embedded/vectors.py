"""Cosine top-K over unit vectors: an exact scan for small indexes, HNSW for large ones.

Exact search over 100,000 x 384 float32 vectors takes 8-13 ms on the 2-core reference
machine (memory-bound: 150 MB per query), most of the 20 ms budget of a suggestion; an
HNSW graph (Malkov & Yashunin 2018, via faiss) answers in well under a millisecond. The
graph proposes candidates, and every cosine of an index with a graph (of the vector
leg's candidates and of the lexical leg's alike) comes from the graph's int8 codes, so
scores are the same whichever leg found a thread. Those cosines are within 0.001 of the
float32 ones (at 100,000 threads of the benchmark, 200 questions x 200 threads), and of
500 as-you-type questions 491 got the same five suggestions in the same order as with
float16 cosines, 497 the same first (the others swap near-ties); in return the workers
never read the stored vectors, 1 GB of memory at a million threads.

The graph is read with its int8 codes mapped from the file (faiss's ``IO_FLAG_MMAP_IFC``),
not copied into each process: the workers share them through the page cache, as they
share the vectors of an index without a graph (``mmap_mode="r"``), and only the graph's
links are each worker's own.
At 100,000 threads that is 23 MB of a worker's own memory instead of 98, and the graph
opens in 14 ms instead of 430 (``scripts/vector-recall`` checks the answers are the same).

Beside a graph the vectors are stored in float16 (at a million threads 1 GB instead of 2
on disk): a rebuild compares them to tell whether the graph can serve again. A small
index without a graph is scanned whole for every query and keeps float32, which the scan
needs.

faiss is imported only where a graph is built or read: a small index (the demo's) never
needs it, and importing it is a twentieth of what a one-off ``askfind search`` waits for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.backends.embedded.arrays import load_array

if TYPE_CHECKING:
    import faiss

HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 200
# How the vectors are stored beside a graph (see above), and without one.
COMPACT_DTYPE = np.float16
FULL_DTYPE = np.float32


class VectorIndex:
    """Unit vectors at positions 0..n-1, with an optional HNSW graph over them."""

    def __init__(self, vectors: np.ndarray, graph: faiss.Index | None = None) -> None:
        self.vectors = vectors
        self.graph = graph

    def same_vectors_as(self, vectors: np.ndarray) -> bool:
        """Whether this index, with a graph, holds exactly ``vectors`` in this order (as
        exactly as it stores them)."""
        return (
            self.graph is not None
            and self.vectors.shape == vectors.shape
            and bool(np.array_equal(self.vectors, vectors.astype(self.vectors.dtype)))
        )

    @property
    def size(self) -> int:
        return int(self.vectors.shape[0])

    @classmethod
    def build(
        cls, vectors: np.ndarray, with_graph: bool, previous: VectorIndex | None = None
    ) -> VectorIndex:
        """The index of ``vectors``, with a graph if ``with_graph``.

        A ``previous`` index over exactly the same vectors lends its graph: a nightly
        rebuild of unchanged threads does not build the graph again (at 100,000 threads
        about a minute of the two cores).
        """
        if with_graph and previous is not None and previous.same_vectors_as(vectors):
            return cls(vectors, previous.graph)
        graph = None
        if with_graph and len(vectors):
            import faiss

            # int8 codes in the graph (a quarter of the memory): it only proposes candidates.
            graph = faiss.IndexHNSWSQ(
                vectors.shape[1],
                faiss.ScalarQuantizer.QT_8bit,
                HNSW_NEIGHBOURS,
                faiss.METRIC_INNER_PRODUCT,
            )
            graph.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            data = np.ascontiguousarray(vectors, dtype=np.float32)
            graph.train(data)
            graph.add(data)
        return cls(vectors, graph)

    def top_k(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None, ef_search: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (positions, cosines) of the best ``k`` allowed vectors, best first.

        ``allowed`` is a boolean mask over positions (None: all allowed).
        """
        if self.size == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self.graph is not None:
            positions = self._graph_candidates(query, k, allowed, ef_search)
        else:
            positions = np.arange(self.size) if allowed is None else np.flatnonzero(allowed)
        if len(positions) == 0:
            return positions.astype(np.int64), np.zeros(0, dtype=np.float32)
        scores = self.cosines(None if len(positions) == self.size else positions, query)
        if len(scores) > k:
            best = np.argpartition(-scores, k - 1)[:k]
            positions, scores = positions[best], scores[best]
        order = np.argsort(-scores, kind="stable")
        return positions[order].astype(np.int64), scores[order].astype(np.float32)

    def cosines(self, positions: np.ndarray | list[int] | None, query: np.ndarray) -> np.ndarray:
        """Cosines (float32) of the vectors at ``positions`` (None: all, in order).

        With a graph, always those of its int8 codes, which its search reads anyway (see
        the module's docstring); without one, those of the stored vectors."""
        if self.graph is not None:
            keys = np.arange(self.size) if positions is None else positions
            rows = self.graph.reconstruct_batch(np.asarray(keys, dtype=np.int64))
        else:
            rows = self.vectors if positions is None else self.vectors[positions]
        return np.asarray(rows, dtype=FULL_DTYPE) @ query

    def _graph_candidates(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None, ef_search: int
    ) -> np.ndarray:
        import faiss

        params = faiss.SearchParametersHNSW()
        params.efSearch = max(ef_search, k)
        if allowed is not None:
            # The selector keeps a reference to the bitmap; both must outlive the search.
            bitmap = np.packbits(allowed, bitorder="little")
            params.sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
        _, found = self.graph.search(query.reshape(1, -1).astype(np.float32), k, params=params)
        return found[0][found[0] >= 0]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        stored = COMPACT_DTYPE if self.graph is not None else FULL_DTYPE
        np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=stored))
        if self.graph is not None:
            import faiss

            faiss.write_index(self.graph, str(folder / "hnsw.faiss"))

    @classmethod
    def load(cls, folder: Path) -> VectorIndex:
        vectors = load_array(folder / "vectors.npy", mmap_mode="r")
        graph_file = folder / "hnsw.faiss"
        if not graph_file.is_file():
            return cls(vectors)
        import faiss

        return cls(vectors, faiss.read_index(str(graph_file), faiss.IO_FLAG_MMAP_IFC))
