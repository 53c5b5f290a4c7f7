"""A segment's thread ids: the id at each position, and the position of each id, in arrays
the workers share.

As a Python list of strings and a dict back to positions, a million ids took 130 MB in
every worker (69 MB for the strings, 60 for the dict), a tenth of what a worker held at a
million threads, and a JSON list of them took a third of a second to parse whenever a
worker opened the index. Here they are one UTF-8 buffer with the offset of each id, and
the ids' 64-bit hashes sorted with their positions; all four are files mapped read-only,
so the page cache holds them once for every worker. A position's id is a slice of the
buffer; an id's position a binary search for its hash, confirmed against the buffer.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from indexer.backends.embedded.arrays import load_array

FILES = ("ids.text.npy", "ids.offsets.npy", "ids.hashes.npy", "ids.by_hash.npy")


def id_hash(thread_id: str) -> int:
    """A hash of an id that is the same in every process (``hash`` is salted per process)."""
    digest = hashlib.blake2b(thread_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class ThreadIds(Sequence[str]):
    """Thread ids at positions 0..n-1 (see the module)."""

    def __init__(
        self, text: np.ndarray, offsets: np.ndarray, hashes: np.ndarray, by_hash: np.ndarray
    ) -> None:
        self._text = text  # uint8: every id's UTF-8, one after the other
        self._offsets = offsets  # int64, n + 1: where each id starts (and the end)
        self._hashes = hashes  # uint64, sorted: each id's ``id_hash``
        self._by_hash = by_hash  # int64: the position of the id of each sorted hash
        # Slicing a memoryview costs a tenth of slicing the array (0.25 against 2.5 us).
        self._view = memoryview(text)

    @classmethod
    def of(cls, ids: Iterable[str]) -> ThreadIds:
        given = list(ids)
        encoded = [thread_id.encode("utf-8") for thread_id in given]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        text = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        hashes = np.array([id_hash(thread_id) for thread_id in given], dtype=np.uint64)
        order = np.argsort(hashes, kind="stable")
        return cls(text, offsets, hashes[order], order.astype(np.int64))

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, position: int) -> str:  # type: ignore[override]
        if not -len(self) <= position < len(self):
            raise IndexError(position)
        return self.at([position % len(self)])[0]

    def __iter__(self) -> Iterator[str]:
        text = self._text.tobytes().decode("utf-8")
        if len(text) == len(self._text):  # ASCII: character offsets are byte offsets
            offsets = self._offsets.tolist()
            return (text[a:b] for a, b in itertools.pairwise(offsets))
        return iter(self.at(np.arange(len(self))))

    def at(self, positions: Sequence[int] | np.ndarray) -> list[str]:
        """The ids at ``positions`` (a search's hits: one call for all of them)."""
        where = np.asarray(positions, dtype=np.int64)
        starts, ends = self._offsets[where].tolist(), self._offsets[where + 1].tolist()
        view = self._view
        return [view[a:b].tobytes().decode("utf-8") for a, b in zip(starts, ends, strict=True)]

    def positions(self, thread_ids: Sequence[str]) -> list[int | None]:
        """The position of each of ``thread_ids``, None for those not here."""
        if not len(self) or not thread_ids:
            return [None] * len(thread_ids)
        wanted = np.array([id_hash(thread_id) for thread_id in thread_ids], dtype=np.uint64)
        at = np.minimum(np.searchsorted(self._hashes, wanted), len(self._hashes) - 1)
        first = self._by_hash[at]
        same_hash = self._hashes[at] == wanted
        named = iter(self.at(first[same_hash]))
        found: list[int | None] = []
        for thread_id, candidate, hashed, start in zip(
            thread_ids, first.tolist(), same_hash.tolist(), at.tolist(), strict=True
        ):
            if not hashed:
                found.append(None)
            elif next(named) == thread_id:
                found.append(candidate)
            else:  # another id with the same hash: look at the others that have it
                found.append(self._after_collision(thread_id, start))
        return found

    def position(self, thread_id: str) -> int | None:
        """The position of ``thread_id``, or None when it is not here."""
        return self.positions([thread_id])[0]

    def _after_collision(self, thread_id: str, start: int) -> int | None:
        at = start + 1
        while at < len(self._hashes) and self._hashes[at] == self._hashes[start]:
            candidate = int(self._by_hash[at])
            if self.at([candidate])[0] == thread_id:
                return candidate
            at += 1
        return None

    def save(self, folder: Path) -> None:
        for name, values in zip(
            FILES, (self._text, self._offsets, self._hashes, self._by_hash), strict=True
        ):
            np.save(folder / name, values)

    @classmethod
    def load(cls, folder: Path) -> ThreadIds | None:
        """The ids saved in ``folder``, mapped; None when it has none (a segment saved
        before they were kept this way)."""
        if not all((folder / name).is_file() for name in FILES):
            return None
        return cls(*(load_array(folder / name, mmap_mode="r") for name in FILES))
