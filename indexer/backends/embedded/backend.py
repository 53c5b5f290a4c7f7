"""The embedded backend: askfind with no services, on local files (DESIGN.md decision 3).

Layout under ``<data_dir>/index``::

    CURRENT                 name of the generation that serves, replaced atomically
    gen-000007/store.sqlite the store of record (SQLite, WAL)
    gen-000007/snapshot-42/ memory-mapped search structures as of change 42

A full rebuild writes a new generation and only then points CURRENT at it, so a rebuild
that dies midway leaves the previous index serving. Upserts and deletes go to the live
generation's store; every process (each gunicorn worker) notices them through SQLite's
``data_version`` and serves them from an in-memory delta segment until the next snapshot.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import numpy as np

from indexer.analysis.analyzer import AnalyzedQuery
from indexer.backends.base import (
    Filters,
    Hit,
    IndexedThread,
    IndexStats,
    Signals,
    field_boosts,
)
from indexer.backends.embedded import generations
from indexer.backends.embedded.generations import CURRENT
from indexer.backends.embedded.segment import Segment, epoch_seconds
from indexer.backends.embedded.store import Store
from indexer.backends.embedded.vectors import VectorIndex
from indexer.errors import IndexNotFound, RebuildInProgress
from indexer.settings import Settings
from indexer.threads import Thread

log = logging.getLogger(__name__)

REBUILD_LOCK = ".rebuild.lock"
STORE = "store.sqlite"
SNAPSHOT_KEY = "snapshot"
# Rebuild the snapshot once the delta holds this many threads (or this share of the index):
# the delta is rebuilt in memory by every reader on every change, so it must stay small.
COMPACT_MIN_THREADS = 2000
COMPACT_SHARE = 0.05
# Signals kept in memory per process: candidates repeat from keystroke to keystroke, and
# reading a query's ~200 from SQLite was an eighth of a suggestion's CPU at 100,000 threads.
# About 300 bytes each; emptied when full.
SIGNALS_CACHE_SIZE = 50_000


@dataclass
class _Generation:
    """The live state of one generation as this process sees it."""

    path: Path
    store: Store
    snapshot_name: str
    snapshot: Segment
    delta: Segment
    applied_seq: int
    data_version: int
    changed: set[str] = field(default_factory=set)
    # Replaced, never cleared, on every change: a reader that read the store before the
    # change fills the old dictionary, which nobody reads again.
    signals_cache: dict[str, Signals] = field(default_factory=dict)


class EmbeddedBackend:
    """Backend over SQLite + memory-mapped NumPy/faiss structures in ``data_dir``."""

    def __init__(self, settings: Settings, dimension: int) -> None:
        self.settings = settings
        self.dimension = dimension
        self.index_dir = settings.data_dir / "index"
        self._lock = threading.RLock()
        self._generation: _Generation | None = None
        self._current_stat: tuple[int, int] | None = None
        self._boards: tuple[tuple[str, int], frozenset[str]] | None = None

    # --- searching -------------------------------------------------------------------

    def lexical_top_k(self, query: AnalyzedQuery, k: int, filters: Filters) -> list[Hit]:
        if query.is_empty:
            return []
        generation = self._live()
        boosts = field_boosts(self.settings)
        limit = self.settings.prefix_max_expansions
        hits = [
            hit
            for segment in (generation.snapshot, generation.delta)
            for hit in segment.lexical_top_k(query, k, filters, boosts, limit)
        ]
        return sorted(hits, key=lambda hit: -hit.score)[:k]

    def vector_top_k(self, vector: np.ndarray, k: int, filters: Filters) -> list[Hit]:
        generation = self._live()
        rescored = self.settings.ann_rescored
        hits = [
            hit
            for segment in (generation.snapshot, generation.delta)
            for hit in segment.vector_top_k(vector, k, filters, rescored)
        ]
        return sorted(hits, key=lambda hit: -hit.score)[:k]

    def get_threads(self, ids: Sequence[str]) -> dict[str, Thread]:
        return self._live().store.threads(ids)

    def signals(self, ids: Sequence[str]) -> dict[str, Signals]:
        generation = self._live()
        cache = generation.signals_cache  # taken before the store is read (see there)
        found = {thread_id: cache[thread_id] for thread_id in ids if thread_id in cache}
        missing = [thread_id for thread_id in ids if thread_id not in found]
        if missing:
            fresh = generation.store.signals(missing)
            if len(cache) + len(fresh) > SIGNALS_CACHE_SIZE:
                cache.clear()
            cache.update(fresh)
            found.update(fresh)
        return found

    def vector_scores(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        generation = self._live()
        scores: dict[str, float] = {}
        for segment in (generation.snapshot, generation.delta):
            scores.update(segment.vector_scores(vector, ids))
        return scores

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        generation = self._readable_or_none()
        return generation.store.content_hashes(ids) if generation else {}

    def indexed(self, ids: Sequence[str]) -> dict[str, IndexedThread]:
        generation = self._readable_or_none()
        return generation.store.indexed(ids) if generation else {}

    def boards(self) -> frozenset[str]:
        generation = self._live_or_none()
        if generation is None:
            return frozenset()
        key = (generation.path.name, generation.applied_seq)
        if self._boards is None or self._boards[0] != key:
            self._boards = (key, generation.store.boards())
        return self._boards[1]

    def iter_ids(self) -> Iterator[str]:
        generation = self._live_or_none()
        return generation.store.ids() if generation else iter(())

    def stats(self) -> IndexStats:
        generation = self._live_or_none()
        if generation is None:
            return IndexStats(threads=0, version="empty", details={"backend": "embedded"})
        return IndexStats(
            threads=generation.store.count(),
            version=f"{generation.path.name}:{generation.applied_seq}",
            details={
                "backend": "embedded",
                "generation": generation.path.name,
                "snapshot": generation.snapshot_name,
                "delta_threads": len(generation.delta.ids),
                "vector_search": _vector_search(generation.snapshot.vectors),
            },
        )

    # --- writing ---------------------------------------------------------------------

    def upsert(self, threads: Sequence[IndexedThread]) -> None:
        if not threads:
            return
        with self._lock:
            generation = self._live_or_none() or self._create_empty_generation()
            generation.store.upsert(threads)
            self._after_write(generation)

    def delete(self, ids: Sequence[str]) -> int:
        with self._lock:
            generation = self._live_or_none()
            if generation is None:
                return 0
            removed = generation.store.delete(ids)
            self._after_write(generation)
            return removed

    def compact(self) -> None:
        """Fold the delta into a new snapshot (a bulk rebuild of the search structures)."""
        with self._lock:
            generation = self._live()
            name = _build_snapshot(
                generation.path,
                generation.store,
                self.settings,
                self.dimension,
                generation.snapshot.vectors,
            )
            generation.store.set_meta(SNAPSHOT_KEY, name)
            self._generation = None  # reopen with the new snapshot
            generations.remove_old_snapshots(generation.path, keep=name)

    def rebuild(self) -> EmbeddedRebuild:
        return EmbeddedRebuild(self)

    def close(self) -> None:
        with self._lock:
            if self._generation is not None:
                self._generation.store.close()
                self._generation = None

    # --- generations -----------------------------------------------------------------

    def _live(self) -> _Generation:
        generation = self._live_or_none()
        if generation is None:
            raise IndexNotFound(
                f"no index in {self.index_dir}: run `askfind index` or `askfind demo` first"
            )
        return generation

    def _readable_or_none(self) -> _Generation | None:
        """The serving generation, or None where there is none this version can read (one
        written by another version of askfind): a rebuild then starts from scratch."""
        try:
            return self._live_or_none()
        except IndexNotFound:
            return None

    def _live_or_none(self) -> _Generation | None:
        """The serving generation, reloaded if another process rebuilt or changed it."""
        with self._lock:
            stat = generations.stat(self.index_dir / CURRENT)
            if stat != self._current_stat or self._generation is None:
                self._open_current(stat)
            elif self._generation.store.data_version() != self._generation.data_version:
                self._catch_up(self._generation)
            return self._generation

    def _open_current(self, stat: tuple[int, int] | None) -> None:
        if self._generation is not None:
            self._generation.store.close()
            self._generation = None
        self._current_stat = stat
        if stat is None:
            return
        name = (self.index_dir / CURRENT).read_text().strip()
        path = self.index_dir / name
        store = Store(path / STORE)
        snapshot_name = store.get_meta(SNAPSHOT_KEY)
        if snapshot_name is None:
            store.close()
            raise IndexNotFound(f"generation {path} has no snapshot")
        snapshot = Segment.load(path / snapshot_name)
        stored = snapshot.vectors.vectors.shape[1]
        if len(snapshot.ids) and stored != self.dimension:
            store.close()
            raise IndexNotFound(
                f"the index in {self.index_dir} holds vectors of {stored} dimensions and the "
                f"embedding model gives {self.dimension} (another embedding_model): rebuild it "
                "with `askfind index`"
            )
        if snapshot.created is None:
            # Written before snapshots kept creation times: read them from the store.
            ids = list(snapshot.ids)
            times = store.created_times(ids)
            snapshot.created = epoch_seconds(times.get(thread_id) for thread_id in ids)
        generation = _Generation(
            path=path,
            store=store,
            snapshot_name=snapshot_name,
            snapshot=snapshot,
            delta=self._empty_segment(),
            applied_seq=int(snapshot_name.rsplit("-", 1)[1]),
            data_version=store.data_version(),
        )
        self._generation = generation
        self._catch_up(generation)

    def _catch_up(self, generation: _Generation) -> None:
        """Apply changes logged since this process last looked: mask them out of the
        snapshot and rebuild the delta segment from their current rows."""
        generation.data_version = generation.store.data_version()
        generation.signals_cache = {}
        snapshot_name = generation.store.get_meta(SNAPSHOT_KEY)
        if snapshot_name != generation.snapshot_name:
            self._current_stat = None  # a compaction happened: reopen from scratch
            self._open_current(generations.stat(self.index_dir / CURRENT))
            return
        changes = generation.store.changes_since(generation.applied_seq)
        if not changes:
            return
        generation.applied_seq = changes[-1][0]
        fresh = {thread_id for _, thread_id, _ in changes}
        generation.changed.update(fresh)
        # Those changed before are marked already.
        for position in generation.snapshot.ids.positions(list(fresh)):
            if position is not None:
                generation.snapshot.alive[position] = False
        generation.delta = Segment.build(
            generation.store.rows(sorted(generation.changed)),
            self.dimension,
            k1=self.settings.bm25_k1,
            b=self.settings.bm25_b,
            compressed=False,
            reference=generation.snapshot.lexical,
        )

    def _after_write(self, generation: _Generation) -> None:
        self._catch_up(generation)
        total = len(generation.snapshot.ids) + len(generation.delta.ids)
        if len(generation.delta.ids) > max(COMPACT_MIN_THREADS, COMPACT_SHARE * total):
            self.compact()

    def _empty_segment(self) -> Segment:
        return Segment.build([], self.dimension, self.settings.bm25_k1, self.settings.bm25_b, False)

    def _create_empty_generation(self) -> _Generation:
        with self.rebuild() as rebuild:
            rebuild.commit()
        return self._live()


class EmbeddedRebuild:
    """A new generation being written; published only by ``commit``."""

    def __init__(self, backend: EmbeddedBackend) -> None:
        self._backend = backend
        index_dir = backend.index_dir
        index_dir.mkdir(parents=True, exist_ok=True)
        # One rebuild at a time: a second one would take the first for abandoned.
        self._lock_file = open(index_dir / REBUILD_LOCK, "w")  # noqa: SIM115 - held until exit
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            self._lock_file.close()
            raise RebuildInProgress(f"another rebuild of {index_dir} is running") from e
        generations.remove_abandoned_generations(index_dir)
        self.path = index_dir / f"gen-{generations.next_generation_number(index_dir):06d}"
        self.path.mkdir()
        self._store = Store(self.path / STORE, create=True)
        self._committed = False

    def __enter__(self) -> EmbeddedRebuild:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if not self._committed:
            self._store.close()
            shutil.rmtree(self.path, ignore_errors=True)
        self._lock_file.close()  # releases the lock

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        return self._backend.content_hashes(ids)

    def add(self, threads: Sequence[IndexedThread]) -> None:
        self._store.upsert(threads, log_changes=False)

    def carry_over(self, ids: Sequence[str]) -> None:
        live = self._backend._live_or_none()
        if live is None:
            raise IndexNotFound("nothing to carry over: there is no live index")
        self._store.copy_from(live.store.path, ids)

    def commit(self) -> None:
        """Build the search structures, then make this generation the live one."""
        settings, dimension = self._backend.settings, self._backend.dimension
        live = self._backend._readable_or_none()
        previous = live.snapshot.vectors if live is not None else None
        name = _build_snapshot(self.path, self._store, settings, dimension, previous)
        self._store.set_meta(SNAPSHOT_KEY, name)
        self._store.close()
        generations.publish(self._backend.index_dir, self.path.name)
        self._committed = True
        generations.remove_old_generations(self._backend.index_dir, keep=self.path.name)


def _build_snapshot(
    path: Path,
    store: Store,
    settings: Settings,
    dimension: int,
    previous: VectorIndex | None = None,
) -> str:
    """Write a snapshot of the store's current contents; returns its folder name.

    ``previous``: the live snapshot's vectors, whose codes serve again if the vectors
    are the same (``VectorIndex.build``)."""
    seq = store.last_seq()
    name = f"snapshot-{seq}"
    scratch = path / f".{name}.tmp"
    shutil.rmtree(scratch, ignore_errors=True)
    count = store.count()
    segment = Segment.build(
        store.rows(),
        dimension,
        k1=settings.bm25_k1,
        b=settings.bm25_b,
        compressed=count >= settings.ann_min_threads,
        previous_vectors=previous,
        expected=count,
    )
    segment.save(scratch)
    generations.fsync_tree(scratch)
    final = path / name
    shutil.rmtree(final, ignore_errors=True)
    os.replace(scratch, final)
    return name


def _vector_search(vectors: VectorIndex) -> str:
    """How the vector leg searches this snapshot, for the index's stats."""
    if vectors.scan is not None:
        return "compact scan"
    return "exact (8-bit codes)" if vectors.compressed else "exact"
