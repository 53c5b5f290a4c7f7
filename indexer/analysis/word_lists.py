"""Word frequency lists (wordfreq) read on first look-up, not when the analyser is built.

Reading wordfreq's large German list takes about a third of a second. The umlaut
restorer and the compound splitter only look words up when a word has an ae/oe/ue or is
long enough to be a compound, so a short query ("WLAN bricht ab") never needs the list,
and ``askfind search`` should not wait for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

_Default = TypeVar("_Default")


class LoadedOnFirstUse(Mapping[str, float]):
    """A read-only mapping that ``load()`` builds when it is first read (once, under a
    lock: the analyser is shared by a server's request threads)."""

    def __init__(self, load: Callable[[], Mapping[str, float]]) -> None:
        self._load = load
        self._data: Mapping[str, float] | None = None
        self._lock = threading.Lock()

    def _loaded(self) -> Mapping[str, float]:
        data = self._data
        if data is None:
            with self._lock:
                if self._data is None:
                    self._data = self._load()
                data = self._data
        return data

    def __getitem__(self, word: str) -> float:
        return self._loaded()[word]

    def get(self, word: str, default: float | _Default = 0.0) -> float | _Default:  # type: ignore[override]
        return self._loaded().get(word, default)

    def __contains__(self, word: object) -> bool:
        return word in self._loaded()

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


def german_frequencies(minimum: float = 0.0) -> LoadedOnFirstUse:
    """wordfreq's large German list (word -> frequency), words below ``minimum`` left out,
    read on first look-up (wordfreq keeps one copy of the list however often it is asked)."""

    def load() -> Mapping[str, float]:
        import wordfreq

        frequencies = wordfreq.get_frequency_dict("de", wordlist="large")
        if not minimum:
            return frequencies
        return {word: f for word, f in frequencies.items() if f >= minimum}

    return LoadedOnFirstUse(load)
