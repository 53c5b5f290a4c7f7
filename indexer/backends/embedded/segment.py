"""A segment: the search structures over a fixed set of threads (lexical, vectors, filters).

An embedded index generation is served from two segments: the snapshot, built in bulk and
memory-mapped from disk, and the delta, built in memory from the threads upserted since.
Threads changed after the snapshot are masked out of it (``alive``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from indexer.analysis.analyzer import AnalyzedQuery
from indexer.backends.base import EVERY_GROUP, Filters, Hit
from indexer.backends.embedded.arrays import load_array
from indexer.backends.embedded.ids import ThreadIds
from indexer.backends.embedded.lexical import LexicalIndex
from indexer.backends.embedded.store import StoredRow
from indexer.backends.embedded.vectors import VectorIndex
from indexer.threads import parse_timestamp

NO_CODE = -1
CREATED_FILE = "created.npy"
VISIBILITY_FILE = "visibility.json"


@dataclass
class Segment:
    """Threads at positions 0..n-1 and everything needed to search them."""

    ids: ThreadIds
    lexical: LexicalIndex
    vectors: VectorIndex
    boards: np.ndarray  # int32 code per position, NO_CODE when none
    langs: np.ndarray
    solved: np.ndarray  # bool
    board_codes: dict[str, int]
    lang_codes: dict[str, int]
    # created_at as seconds since the epoch, NaN when unknown (date-range filters). None in
    # a snapshot written before it was kept: the backend fills it in from the store.
    created: np.ndarray | None = None
    # Restricted threads: the positions each group may see (a thread in none is public).
    group_positions: dict[str, np.ndarray] = field(default_factory=dict)
    alive: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.alive = np.ones(len(self.ids), dtype=bool)
        self.public = np.ones(len(self.ids), dtype=bool)
        for positions in self.group_positions.values():
            self.public[positions] = False

    # --- building --------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        rows: Iterable[StoredRow],
        dimension: int,
        k1: float,
        b: float,
        compressed: bool,
        reference: LexicalIndex | None = None,
        previous_vectors: VectorIndex | None = None,
        expected: int = 0,
    ) -> Segment:
        """A segment of ``rows``; ``expected`` of them, as far as the caller knows.

        The vectors go straight into one matrix sized for ``expected`` rows (grown if
        more come): collected one array at a time and stacked, they had been held twice,
        4 GB at a million threads on top of a rebuild's other needs."""
        ids: list[str] = []
        matrix = np.empty((expected, dimension), dtype=np.float32)
        boards: list[str | None] = []
        langs: list[str | None] = []
        solved: list[bool] = []
        created: list[str | None] = []
        groups: dict[str, list[int]] = {}

        def documents() -> Iterator[Mapping[str, list[str]]]:
            """Each row's words, for the lexical index, which reads them one at a time
            and keeps none; the rest of the row is kept here."""
            nonlocal matrix
            for row in rows:
                for group in row.visibility:
                    groups.setdefault(group, []).append(len(ids))
                if len(ids) == len(matrix):
                    matrix = np.resize(matrix, (max(2 * len(matrix), 64), dimension))
                matrix[len(ids)] = row.vector
                ids.append(row.id)
                boards.append(row.board)
                langs.append(row.lang)
                solved.append(row.solved)
                created.append(row.created_at)
                yield row.terms

        lexical = LexicalIndex.build(documents(), k1=k1, b=b, reference=reference)
        matrix = matrix[: len(ids)]
        board_codes = _codes(boards)
        lang_codes = _codes(langs)
        return cls(
            ids=ThreadIds.of(ids),
            lexical=lexical,
            vectors=VectorIndex.build(matrix, compressed=compressed, previous=previous_vectors),
            boards=np.array([board_codes.get(x, NO_CODE) for x in boards], dtype=np.int32),
            langs=np.array([lang_codes.get(x, NO_CODE) for x in langs], dtype=np.int32),
            solved=np.array(solved, dtype=bool),
            board_codes=board_codes,
            lang_codes=lang_codes,
            created=epoch_seconds(created),
            group_positions={g: np.array(p, dtype=np.int64) for g, p in groups.items()},
        )

    # --- searching -------------------------------------------------------------------

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Mask of live positions passing the filters; None when every position is allowed."""
        mask: np.ndarray | None = None if self.alive.all() else self.alive
        if filters.board is not None:
            mask = _and(mask, self.boards == self.board_codes.get(filters.board, -2))
        if filters.lang is not None:
            mask = _and(mask, self.langs == self.lang_codes.get(filters.lang, -2))
        if filters.solved is not None:
            mask = _and(mask, self.solved == filters.solved)
        # NaN (no created_at) compares false: a thread of unknown age is outside any range.
        if filters.created_from is not None and self.created is not None:
            mask = _and(mask, self.created >= filters.created_from.timestamp())
        if filters.created_to is not None and self.created is not None:
            mask = _and(mask, self.created <= filters.created_to.timestamp())
        visible = self.visible_to(filters.viewer_groups)
        return mask if visible is None else _and(mask, visible)

    def visible_to(self, viewer_groups: frozenset[str] | None) -> np.ndarray | None:
        """Mask of the positions a viewer may see; None when they may see every one."""
        if viewer_groups is EVERY_GROUP or not self.group_positions:
            return None
        visible = self.public.copy()
        for group in viewer_groups & self.group_positions.keys():
            visible[self.group_positions[group]] = True
        return visible

    def lexical_top_k(
        self,
        query: AnalyzedQuery,
        k: int,
        filters: Filters,
        boosts: Mapping[str, float],
        prefix_limit: int,
    ) -> list[Hit]:
        if not self.ids:
            return []
        positions, scores, matched = self.lexical.top_k(
            query, boosts, prefix_limit, k, self.allowed(filters)
        )
        return [
            Hit(thread_id, float(s), int(m))
            for thread_id, s, m in zip(self.ids.at(positions), scores, matched, strict=True)
        ]

    def vector_top_k(
        self, vector: np.ndarray, k: int, filters: Filters, rescored: int
    ) -> list[Hit]:
        if not self.ids:
            return []
        positions, scores = self.vectors.top_k(vector, k, self.allowed(filters), rescored)
        return [
            Hit(thread_id, float(s))
            for thread_id, s in zip(self.ids.at(positions), scores, strict=True)
        ]

    def vector_scores(self, vector: np.ndarray, ids: Iterable[str]) -> dict[str, float]:
        """Exact cosines of those ids that are live in this segment."""
        wanted = list(ids)
        found = [
            (thread_id, p)
            for thread_id, p in zip(wanted, self.ids.positions(wanted), strict=True)
            if p is not None and self.alive[p]
        ]
        if not found:
            return {}
        scores = self.vectors.cosines([p for _, p in found], vector)
        return {thread_id: float(s) for (thread_id, _), s in zip(found, scores, strict=True)}

    # --- persistence -----------------------------------------------------------------

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.lexical.save(folder / "lexical")
        self.vectors.save(folder / "vectors")
        np.save(folder / "boards.npy", self.boards)
        np.save(folder / "langs.npy", self.langs)
        np.save(folder / "solved.npy", self.solved)
        if self.created is not None:
            np.save(folder / CREATED_FILE, self.created)
        groups = {group: p.tolist() for group, p in self.group_positions.items()}
        (folder / VISIBILITY_FILE).write_text(json.dumps(groups, ensure_ascii=False))
        self.ids.save(folder)
        meta = {"board_codes": self.board_codes, "lang_codes": self.lang_codes}
        (folder / "segment.json").write_text(json.dumps(meta, ensure_ascii=False))

    @classmethod
    def load(cls, folder: Path) -> Segment:
        meta = json.loads((folder / "segment.json").read_text())
        ids = ThreadIds.load(folder)
        return cls(
            ids=ThreadIds.of(meta["ids"]) if ids is None else ids,
            lexical=LexicalIndex.load(folder / "lexical"),
            vectors=VectorIndex.load(folder / "vectors"),
            boards=load_array(folder / "boards.npy"),
            langs=load_array(folder / "langs.npy"),
            solved=load_array(folder / "solved.npy"),
            board_codes=meta["board_codes"],
            lang_codes=meta["lang_codes"],
            created=load_array(folder / CREATED_FILE)
            if (folder / CREATED_FILE).is_file()
            else None,
            group_positions={
                group: np.array(positions, dtype=np.int64)
                for group, positions in json.loads((folder / VISIBILITY_FILE).read_text()).items()
            },
        )


def epoch_seconds(timestamps: Iterable[str | None]) -> np.ndarray:
    """ISO 8601 timestamps as seconds since the epoch (float64), NaN for None."""
    return np.array(
        [parse_timestamp(value).timestamp() if value else np.nan for value in timestamps],
        dtype=np.float64,
    )


def _codes(values: Iterable[str | None]) -> dict[str, int]:
    return {value: code for code, value in enumerate(sorted({v for v in values if v}))}


def _and(mask: np.ndarray | None, condition: np.ndarray) -> np.ndarray:
    return condition if mask is None else mask & condition
