"""BM25 over analysed fields, as precomputed per-term weights in compressed sparse rows.

Scoring is "eager" (as in bm25s, Lù 2024): the BM25 weight of every (term, thread) pair
is computed when the index is built, so a query only gathers and adds the rows of its
terms: a few NumPy operations, a millisecond or two at 100,000 threads, where SQLite FTS5
needed tens (measured while designing this module). Each field keeps its own statistics
(document frequency, average length), as Lucene and therefore Elasticsearch do, and the
field boosts are applied at query time.

BM25 (Robertson & Zaragoza 2009) with Lucene's idf, which is never negative:
    idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
    w(t, d) = idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avglen))
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.analysis.analyzer import AnalyzedQuery, PrefixTerm
from indexer.backends.base import FIELDS
from indexer.backends.embedded.arrays import load_array

# Scores sampled to find the bar that the best few clear (see ``best_positions``), from
# indexes of 10 samples' size up: at 100,000 threads the sample cost more than it saved.
SELECTION_SAMPLE = 20_000
SAMPLED_FROM_STRIDE = 10
# Alternatives whose postings hold less than 1/this of the threads are added from the
# postings alone, through a scratch array (``LexicalIndex._add_best``).
SCRATCH_SHARE = 10


@dataclass(frozen=True, slots=True)
class FieldPostings:
    """One field's postings: row t of the CSR holds the threads containing term t."""

    indptr: np.ndarray  # int64, len(vocabulary) + 1
    docs: np.ndarray  # int32 thread positions
    weights: np.ndarray  # float32 BM25 weights
    average_length: float

    def document_frequency(self, term_id: int) -> int:
        return int(self.indptr[term_id + 1] - self.indptr[term_id])


class LexicalIndex:
    """Immutable BM25 index over a fixed list of threads (positions 0..size-1)."""

    def __init__(
        self,
        vocabulary: list[str],
        fields: Mapping[str, FieldPostings],
        size: int,
    ) -> None:
        self.vocabulary = vocabulary  # sorted, so a prefix is a contiguous range
        self._term_ids = {term: i for i, term in enumerate(vocabulary)}
        self.fields = dict(fields)
        self.size = size
        self._local = threading.local()
        total = np.zeros(len(vocabulary), dtype=np.int64)
        for postings in self.fields.values():
            total += np.diff(postings.indptr)
        self._total_df = total

    # --- building --------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        documents: Iterable[Mapping[str, Sequence[str]]],
        k1: float,
        b: float,
        reference: LexicalIndex | None = None,
    ) -> LexicalIndex:
        """Index the analysed fields of each document (position = order of iteration).

        The documents are read once, one at a time, and only their postings are kept, in
        compact arrays (12 bytes a posting): holding every document's words and counts at
        once had cost 24 KB of memory a thread, 2.7 GB for a rebuild of 100,000.

        ``reference`` is a larger index whose statistics these few documents should be
        scored with: the delta of recent upserts is weighted as if it were part of the
        main index, so its scores are comparable with the main index's.
        """
        columns = {name: _Columns() for name in FIELDS}
        first_seen: dict[str, int] = {}  # term -> id in order of first appearance
        size = 0
        for size, document in enumerate(documents, start=1):
            for name, column in columns.items():
                counts = Counter(document.get(name, ()))
                column.lengths.append(sum(counts.values()))
                for term, tf in counts.items():
                    column.terms.append(first_seen.setdefault(term, len(first_seen)))
                    column.docs.append(size - 1)
                    column.tfs.append(tf)
        vocabulary = sorted(first_seen)
        # Ids in the order of the sorted vocabulary, so that a prefix is a range of ids.
        sorted_id = np.empty(len(vocabulary), dtype=np.int64)
        sorted_id[[first_seen[term] for term in vocabulary]] = np.arange(len(vocabulary))
        del first_seen
        fields = {
            name: _field_postings(column, sorted_id, vocabulary, k1, b, name, reference, size)
            for name, column in columns.items()
        }
        return cls(vocabulary, fields, size)

    # --- searching -------------------------------------------------------------------

    def top_k(
        self,
        query: AnalyzedQuery,
        boosts: Mapping[str, float],
        prefix_limit: int,
        k: int,
        allowed: np.ndarray | None,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ``k`` best-scoring allowed positions, best first: (positions, BM25 scores,
        number of the query's clauses each matched).

        The scores are added straight into one array, and the clauses matched are counted
        for the ``k`` chosen only. Adding each clause into an array of its own first, and
        counting matches over every position, had cost four passes over the index's
        length a clause (at a million threads, 4 MB each).
        """
        clauses = self._clause_term_ids(query, prefix_limit)
        scores = np.zeros(self.size, dtype=np.float32)
        found_in = [self._add_clause(scores, term_ids, boosts) for term_ids in clauses]
        if allowed is not None:
            scores[~allowed] = 0.0
        order = best_positions(scores, k)
        matched = np.zeros(len(order), dtype=np.int64)
        for clause in found_in:
            matched += clause.holds(order)
        return order, scores[order], matched

    def _clause_term_ids(self, query: AnalyzedQuery, prefix_limit: int) -> list[list[int]]:
        """Each clause's terms that the index knows (clauses it knows none of left out),
        and the continuations of the half-typed word as one more clause."""
        clauses = [
            ids
            for clause in query.clauses
            if (ids := [self._term_ids[t] for t in clause if t in self._term_ids])
        ]
        if query.prefix is not None:
            expansions = self.expand_prefix(query.prefix, prefix_limit)
            if expansions:
                clauses.append(expansions)
        return clauses

    def _add_clause(
        self, scores: np.ndarray, term_ids: list[int], boosts: Mapping[str, float]
    ) -> _Matches:
        """Add one clause's BM25 to ``scores``: per field, its term's weight or, of several
        alternatives, the best (a stem in another language, a continuation of the word
        being typed: a clause counts once). Returns where the clause matched."""
        matches = _Matches()
        for name, boost in boosts.items():
            postings = self.fields.get(name)
            if postings is None or boost == 0:
                continue
            if len(term_ids) == 1:
                start, end = postings.indptr[term_ids[0]], postings.indptr[term_ids[0] + 1]
                if start < end:
                    docs = postings.docs[start:end]
                    # A term's positions are distinct: one fancy-indexed add is exact.
                    scores[docs] += postings.weights[start:end] * boost
                    matches.sorted_positions.append(docs)
                continue
            spans = [
                slice(postings.indptr[term_id], postings.indptr[term_id + 1])
                for term_id in term_ids
                if postings.indptr[term_id] < postings.indptr[term_id + 1]
            ]
            if spans:
                docs = [postings.docs[span] for span in spans]
                weights = [postings.weights[span] for span in spans]
                self._add_best(scores, docs, weights, boost, matches)
        return matches

    def _add_best(
        self,
        scores: np.ndarray,
        docs: list[np.ndarray],
        weights: list[np.ndarray],
        boost: float,
        matches: _Matches,
    ) -> None:
        """Add to each position the best of its weights among the alternatives' postings;
        note in ``matches`` where they are.

        Few postings: the best weights are gathered in this thread's scratch array of every
        thread, and only the positions of the postings are read, added and zeroed again. A
        fresh array of every thread, added in full, had cost about 2 ms a field at a million
        threads whatever the postings (a query of three words in two languages: 23 ms); it
        is still the cheaper way for postings of a tenth of the threads or more. A position
        in several postings is added once (its value gathered before it is written). Both
        ways add the same numbers.
        """
        if sum(len(positions) for positions in docs) * SCRATCH_SHARE >= self.size:
            # Postings of a tenth of the threads or more: one pass over every thread is cheaper.
            dense = np.zeros(self.size, dtype=np.float32)
            for positions, values in zip(docs, weights, strict=True):
                np.maximum.at(dense, positions, values)
            scores += dense * np.float32(boost)
            matches.best_weights.append(dense)
            return
        best = self._scratch()
        touched = np.concatenate(docs)
        try:
            for positions, values in zip(docs, weights, strict=True):
                np.maximum.at(best, positions, values)
            scores[touched] += best[touched] * np.float32(boost)
        finally:
            best[touched] = 0.0
        matches.sorted_positions.extend(docs)

    def _scratch(self) -> np.ndarray:
        """This thread's array of zeros over every position (searches run in threads; 4
        MB a thread at a million threads)."""
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = np.zeros(self.size, dtype=np.float32)
        return scratch

    def expand_prefix(self, prefix: PrefixTerm, limit: int) -> list[int]:
        """Term ids continuing the half-typed word: at most ``limit``, most frequent first."""
        candidates: set[int] = set()
        for start in prefix.starts:
            low = bisect.bisect_left(self.vocabulary, start)
            high = bisect.bisect_left(self.vocabulary, start + "\U0010ffff", lo=low)
            if high - low > limit:
                span = self._total_df[low:high]
                best = np.argpartition(-span, limit - 1)[:limit]
                candidates.update(int(low + i) for i in best)
            else:
                candidates.update(range(low, high))
        candidates.update(self._term_ids[t] for t in prefix.exact if t in self._term_ids)
        if len(candidates) > limit:
            ordered = sorted(candidates, key=lambda i: -int(self._total_df[i]))
            return ordered[:limit]
        return sorted(candidates)

    def field_document_frequency(self, name: str, term: str) -> int:
        term_id = self._term_ids.get(term)
        postings = self.fields.get(name)
        if term_id is None or postings is None:
            return 0
        return postings.document_frequency(term_id)

    # --- persistence -----------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "vocabulary.txt").write_text("\n".join(self.vocabulary), encoding="utf-8")
        arrays: dict[str, np.ndarray] = {"size": np.array([self.size])}
        for name, postings in self.fields.items():
            arrays[f"{name}.indptr"] = postings.indptr
            arrays[f"{name}.docs"] = postings.docs
            arrays[f"{name}.weights"] = postings.weights
            arrays[f"{name}.average_length"] = np.array([postings.average_length])
        for key, values in arrays.items():
            np.save(folder / f"{key}.npy", values)

    @classmethod
    def load(cls, folder: Path) -> LexicalIndex:
        """Load a saved index; the big arrays are memory-mapped and shared between processes."""
        text = (folder / "vocabulary.txt").read_text(encoding="utf-8")
        vocabulary = text.split("\n") if text else []
        fields = {}
        for name in FIELDS:
            fields[name] = FieldPostings(
                indptr=load_array(folder / f"{name}.indptr.npy", mmap_mode="r"),
                docs=load_array(folder / f"{name}.docs.npy", mmap_mode="r"),
                weights=load_array(folder / f"{name}.weights.npy", mmap_mode="r"),
                average_length=float(load_array(folder / f"{name}.average_length.npy")[0]),
            )
        size = int(load_array(folder / "size.npy")[0])
        return cls(vocabulary, fields, size)


def best_positions(scores: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` highest positive ``scores``, best first; of equal scores,
    the lower positions first.

    A common word scores most of a large index (at a million threads, 700,000 positions
    for some questions), and choosing among all of them took 3-5 ms. A strided sample of
    the scores gives a bar that about ``2 k`` of them clear; only those are chosen from,
    or all positive ones when fewer than ``k`` clear it.
    """
    candidates: np.ndarray | None = None
    stride = len(scores) // SELECTION_SAMPLE
    if stride >= SAMPLED_FROM_STRIDE:
        sample = scores[::stride]
        rank = min(len(sample) - 1, 2 * k // stride + 1)
        bar = np.partition(sample, len(sample) - 1 - rank)[len(sample) - 1 - rank]
        if bar > 0:
            candidates = np.flatnonzero(scores >= bar)
            if len(candidates) < k:
                candidates = None
    if candidates is None:
        candidates = np.flatnonzero(scores > 0)
    if len(candidates) > k:
        # Ties at the k-th score go to the lowest positions, whatever the bar let through:
        # in a community of many alike threads they are common.
        values = scores[candidates]
        kth = np.partition(values, len(values) - k)[len(values) - k]
        above = candidates[values > kth]
        candidates = np.concatenate([above, candidates[values == kth][: k - len(above)]])
    return candidates[np.argsort(-scores[candidates], kind="stable")]


@dataclass
class _Matches:
    """Where one clause matched, to count it for the few positions chosen: the sorted
    positions of its terms in each field, or the best weights of its alternatives over
    every position where its scoring made such an array anyway."""

    sorted_positions: list[np.ndarray] = field(default_factory=list)
    best_weights: list[np.ndarray] = field(default_factory=list)

    def holds(self, positions: np.ndarray) -> np.ndarray:
        """Whether the clause matched each of ``positions``."""
        found = np.zeros(len(positions), dtype=bool)
        for docs in self.sorted_positions:
            at = np.minimum(np.searchsorted(docs, positions), len(docs) - 1)
            found |= docs[at] == positions
        for best in self.best_weights:
            found |= best[positions] > 0
        return found


@dataclass
class _Columns:
    """One field's postings while an index is built: (term, document, tf) in the order
    they were read, and each document's length."""

    terms: array = field(default_factory=lambda: array("i"))
    docs: array = field(default_factory=lambda: array("i"))
    tfs: array = field(default_factory=lambda: array("f"))
    lengths: array = field(default_factory=lambda: array("f"))


def _field_postings(
    column: _Columns,
    sorted_id: np.ndarray,
    vocabulary: Sequence[str],
    k1: float,
    b: float,
    name: str,
    reference: LexicalIndex | None,
    size: int,
) -> FieldPostings:
    lengths = np.frombuffer(column.lengths, dtype=np.float32)
    terms = sorted_id[np.frombuffer(column.terms, dtype=np.int32)]
    docs = np.frombuffer(column.docs, dtype=np.int32)
    tfs = np.frombuffer(column.tfs, dtype=np.float32)
    order = np.argsort(terms, kind="stable")
    terms, docs, tfs = terms[order], docs[order], tfs[order]
    indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
    np.add.at(indptr, terms + 1, 1)
    indptr = np.cumsum(indptr)
    df = np.diff(indptr).astype(np.float64)
    count = float(size)
    total_length = float(lengths.sum())
    if reference is not None and name in reference.fields:
        # Score as a part of the reference index: its statistics plus ours.
        reference_postings = reference.fields[name]
        df += np.array(
            [reference.field_document_frequency(name, term) for term in vocabulary],
            dtype=np.float64,
        )
        total_length += reference_postings.average_length * reference.size
        count += reference.size
    average_length = total_length / count if count else 0.0
    idf = np.log1p((count - df + 0.5) / (df + 0.5)).astype(np.float32)
    norm = k1 * (1 - b + b * lengths[docs] / average_length) if average_length else k1
    weights = idf[terms] * tfs * (k1 + 1) / (tfs + norm)
    return FieldPostings(indptr, docs, weights.astype(np.float32), float(average_length))
