"""Cosine top-K over unit vectors: an exact scan for small indexes, a compressed scan of
every vector with the best candidates rescored for large ones.

Exact search over 100,000 x 512 float32 vectors is memory-bound (200 MB per query), most
of the 20 ms budget of a suggestion. A large index therefore keeps two compact copies of
its vectors (both via faiss):

- **4-bit product-quantisation codes** (Jégou et al. 2011) laid out for SIMD "fast scan"
  (André et al. 2015): 4 dimensions per code, 64 bytes per 512-dimensional vector. Every
  vector is scored from them, and the best ``rescored`` (1,000) go on.
- **8-bit scalar codes**, one byte per dimension: the candidates' cosines, within 0.001 of
  the float32 ones. Every cosine of a large index comes from them (of the vector leg's
  candidates and the lexical leg's alike), so scores are the same whichever leg found a
  thread, and the workers never read the stored vectors.

Why a scan and not a graph: the HNSW graph this replaced (Malkov & Yashunin 2018) found
95 % of the exact top 100 at 100,000 threads but 75 % at a million (efSearch 640, 10 ms),
because questions are short and threads long, so a question's nearest threads lie
scattered over a graph built from thread to thread. Scanning every code finds 98 % of
the exact top 100 at a million threads in about 6 ms on one core, whatever the data's
shape, is built in half a minute instead of half an hour, and keeps no per-worker links
(``scripts/vector-recall``; docs/benchmarks.md). Filters are applied after the scan,
which reads deeper for them; when few positions are allowed (under 1 in 50) their 8-bit
codes are scanned exactly instead.

The 8-bit codes are mapped from their file (faiss's ``IO_FLAG_MMAP_IFC``), not copied
into each process: the workers share them through the page cache. The 4-bit codes (64 MB
at a million threads) are each worker's own.

Beside the codes the vectors are stored in float16 (at a million threads 1 GB instead of
2 on disk), never read when serving: a rebuild compares them to tell whether the codes
can serve again. A small index is scanned whole for every query and keeps float32.

faiss is imported only where codes are built or read: a small index (the demo's) never
needs it, and importing it is a twentieth of what a one-off ``askfind search`` waits for.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from indexer.backends.embedded.arrays import load_array

if TYPE_CHECKING:
    import faiss

# Dimensions per 4-bit product-quantisation code (more codes: better candidates, slower).
DIMENSIONS_PER_CODE = 4
# faiss's k-means wants 39 training points per centroid, and a 4-bit code has 16: below
# this many vectors the 8-bit codes alone are scanned (a few hundred rows, instantly).
MIN_SCANNED = 39 * 16
TRAINING_SAMPLE = 20_000
# When fewer than 1 in this many positions pass the filters, their 8-bit codes are scored
# exactly rather than the 4-bit scan read ever deeper (equal cost at about 2 % of 1M).
SELECTIVE = 50
# How the vectors are stored beside the codes (see above), and without them.
COMPACT_DTYPE = np.float16
FULL_DTYPE = np.float32
CODES_FILE = "codes.faiss"
SCAN_FILE = "scan.faiss"
# Before 2026-12-07 the 8-bit codes were the storage of an HNSW graph in this file; such
# a snapshot is served from its codes, exactly, until the next rebuild writes the scan.
GRAPH_FILE = "hnsw.faiss"


class VectorIndex:
    """Unit vectors at positions 0..n-1, with compact codes for searching a large index."""

    def __init__(
        self,
        vectors: np.ndarray,
        codes: faiss.IndexScalarQuantizer | None = None,
        scan: faiss.IndexPQFastScan | None = None,
    ) -> None:
        self.vectors = vectors
        self.codes = codes
        self.scan = scan
        # Unfiltered, the scan and the rescoring run in one call (faiss's IndexRefine, 1.5
        # of 10 ms less at a million threads than rescoring decoded rows here).
        self._refined: faiss.IndexRefine | None = None
        if codes is not None and scan is not None:
            import faiss

            self._refined = faiss.IndexRefine(scan, codes)

    @property
    def compressed(self) -> bool:
        return self.codes is not None

    @property
    def size(self) -> int:
        return int(self.vectors.shape[0])

    def same_vectors_as(self, vectors: np.ndarray) -> bool:
        """Whether this index, with all its codes, holds exactly ``vectors`` in this order
        (as exactly as it stores them)."""
        return (
            self.codes is not None
            and (self.scan is not None or len(vectors) < MIN_SCANNED)
            and self.vectors.shape == vectors.shape
            and bool(np.array_equal(self.vectors, vectors.astype(self.vectors.dtype)))
        )

    @classmethod
    def build(
        cls, vectors: np.ndarray, compressed: bool, previous: VectorIndex | None = None
    ) -> VectorIndex:
        """The index of ``vectors``, with codes if ``compressed``.

        A ``previous`` index over exactly the same vectors lends its codes: a nightly
        rebuild of unchanged threads does not encode them again.
        """
        if not compressed or not len(vectors):
            return cls(vectors)
        if previous is not None and previous.same_vectors_as(vectors):
            return cls(vectors, previous.codes, previous.scan)
        import faiss

        dimension = vectors.shape[1]
        data = np.ascontiguousarray(vectors, dtype=np.float32)
        sample = data
        if len(data) > TRAINING_SAMPLE:
            chosen = np.random.default_rng(0).choice(len(data), TRAINING_SAMPLE, replace=False)
            sample = data[np.sort(chosen)]
        codes = faiss.IndexScalarQuantizer(
            dimension, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
        )
        # The 8-bit codes' range is each dimension's minimum and maximum over every vector
        # (one pass): from a sample, 3 % of a million threads had a component clipped, by
        # up to a quarter of the range, and cosines off by far more than 0.001.
        codes.train(data)
        codes.add(data)
        scan = None
        if len(data) >= MIN_SCANNED:
            scan = faiss.IndexPQFastScan(
                dimension, _code_count(dimension), 4, faiss.METRIC_INNER_PRODUCT
            )
            scan.train(sample)
            scan.add(data)
        return cls(vectors, codes, scan)

    def top_k(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None, rescored: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return (positions, cosines) of the best ``k`` allowed vectors, best first.

        ``allowed`` is a boolean mask over positions (None: all allowed); ``rescored``:
        how many candidates of the 4-bit scan get their 8-bit cosines (at least ``k``).
        """
        if self.size == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if allowed is None and self._refined is not None:
            return self._refined_top_k(query, k, rescored)
        if self.codes is not None:
            positions = self._candidates(query, k, allowed, max(k, rescored))
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

        With codes, always those of the 8-bit codes (see the module's docstring); without,
        those of the stored vectors."""
        if self.codes is not None:
            keys = np.arange(self.size) if positions is None else positions
            rows = self.codes.reconstruct_batch(np.asarray(keys, dtype=np.int64))
        else:
            rows = self.vectors if positions is None else self.vectors[positions]
        return np.asarray(rows, dtype=FULL_DTYPE) @ query

    def _refined_top_k(
        self, query: np.ndarray, k: int, rescored: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The scan's best ``rescored``, the best ``k`` of them by their 8-bit cosines."""
        import faiss

        k = min(k, self.size)
        params = faiss.IndexRefineSearchParameters(k_factor=max(k, rescored) / k)
        scores, found = self._refined.search(
            query.reshape(1, -1).astype(np.float32), k, params=params
        )
        kept = found[0] >= 0
        return found[0][kept].astype(np.int64), scores[0][kept].astype(np.float32)

    def _candidates(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None, rescored: int
    ) -> np.ndarray:
        """Positions to rescore: the scan's best ``rescored`` allowed ones, or, for a
        selective filter or an index without a scan, the exact top ``k`` of the codes."""
        import faiss

        searched = query.reshape(1, -1).astype(np.float32)
        passing = self.size if allowed is None else int(np.count_nonzero(allowed))
        if passing == 0:
            return np.zeros(0, dtype=np.int64)
        if self.scan is None or passing * SELECTIVE < self.size:
            params = None
            if allowed is not None:
                # The selector keeps a reference to the bitmap; both must outlive the search.
                bitmap = np.packbits(allowed, bitorder="little")
                params = faiss.SearchParameters()
                params.sel = faiss.IDSelectorBitmap(len(allowed), faiss.swig_ptr(bitmap))
            _, found = self.codes.search(searched, min(k, passing), params=params)
            return found[0][found[0] >= 0]
        # Read deep enough that about ``rescored`` of what the scan finds pass the filters.
        depth = min(self.size, -(-rescored * self.size // passing))
        _, found = self.scan.search(searched, depth)
        found = found[0][found[0] >= 0]
        if allowed is not None:
            found = found[allowed[found]]
        return found[:rescored]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        stored = COMPACT_DTYPE if self.codes is not None else FULL_DTYPE
        np.save(folder / "vectors.npy", np.ascontiguousarray(self.vectors, dtype=stored))
        if self.codes is not None:
            import faiss

            faiss.write_index(self.codes, str(folder / CODES_FILE))
            if self.scan is not None:
                faiss.write_index(self.scan, str(folder / SCAN_FILE))

    @classmethod
    def load(cls, folder: Path) -> VectorIndex:
        vectors = load_array(folder / "vectors.npy", mmap_mode="r")
        codes_file, scan_file, graph_file = (
            folder / CODES_FILE,
            folder / SCAN_FILE,
            folder / GRAPH_FILE,
        )
        if codes_file.is_file():
            import faiss

            codes = faiss.read_index(str(codes_file), faiss.IO_FLAG_MMAP_IFC)
            scan = faiss.read_index(str(scan_file)) if scan_file.is_file() else None
            return cls(vectors, codes, scan)
        if graph_file.is_file():
            import faiss

            graph = faiss.read_index(str(graph_file), faiss.IO_FLAG_MMAP_IFC)
            codes = faiss.downcast_index(graph.storage)
            codes.referenced_objects = [graph]  # the graph owns the codes: keep it alive
            return cls(vectors, codes)
        return cls(vectors)


def _code_count(dimension: int) -> int:
    """4-bit codes per vector: one per ``DIMENSIONS_PER_CODE`` dimensions, or fewer, as
    product quantisation needs the dimensions split evenly."""
    count = max(1, dimension // DIMENSIONS_PER_CODE)
    while dimension % count:
        count -= 1
    return count
