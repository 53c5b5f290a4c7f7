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

    @classmethod
    def of(cls, ids: Iterable[str]) -> ThreadIds:
        encoded = [thread_id.encode("utf-8") for thread_id in ids]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        text = np.frombuffer(b"".join(encoded), dtype=np.uint8)
        hashes = np.array([id_hash(e.decode("utf-8")) for e in encoded], dtype=np.uint64)
        order = np.argsort(hashes, kind="stable")
        return cls(text, offsets, hashes[order], order.astype(np.int64))

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __getitem__(self, position: int) -> str:  # type: ignore[override]
        if not -len(self) <= position < len(self):
            raise IndexError(position)
        position %= len(self)
        start, end = self._offsets[position], self._offsets[position + 1]
        return self._text[start:end].tobytes().decode("utf-8")

    def __iter__(self) -> Iterator[str]:
        text = self._text.tobytes().decode("utf-8")
        if len(text) == len(self._text):  # ASCII: character offsets are byte offsets
            offsets = self._offsets.tolist()
            return (text[a:b] for a, b in itertools.pairwise(offsets))
        return (self[p] for p in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (ThreadIds, list, tuple)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def position(self, thread_id: str) -> int | None:
        """The position of ``thread_id``, or None when it is not here."""
        wanted = np.uint64(id_hash(thread_id))
        at = int(np.searchsorted(self._hashes, wanted))
        while at < len(self._hashes) and self._hashes[at] == wanted:
            position = int(self._by_hash[at])
            if self[position] == thread_id:
                return position
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
