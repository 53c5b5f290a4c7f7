"""Dictionary forms of words (simplemma), from tries kept on disk so a process starts fast.

simplemma ships its dictionaries compressed and decodes a language's whole dictionary
(over a million German forms) into a dict on first use: 1.5-2 s, paid again by every
``askfind search`` and every server worker. Here each language's dictionary is turned
once into a marisa-trie file (the structure simplemma's own trie factory uses), and later
processes map that file in about a millisecond. The lemmas are the ones the shipped
dictionaries give; only where they are kept changes. The files live beside the converted
models (``model_cache_dir``), in a folder per simplemma version, and are written aside
and renamed under a file lock, so that workers starting together neither collide nor
read half a file.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import marisa_trie
import simplemma
from simplemma.strategies import DefaultStrategy
from simplemma.strategies.dictionaries import DefaultDictionaryFactory


def cached_lemmatizer(cache_dir: Path) -> simplemma.Lemmatizer:
    """simplemma's lemmatiser over dictionaries kept as tries under ``cache_dir``."""
    folder = cache_dir / "simplemma" / getattr(simplemma, "__version__", "0")
    strategy = DefaultStrategy(dictionary_factory=TrieFiles(folder))
    return simplemma.Lemmatizer(lemmatization_strategy=strategy)


class TrieFiles:
    """A simplemma ``DictionaryFactory``: each language's dictionary as a trie file in
    ``folder``, made from the shipped dictionary the first time the language is asked for."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._opened: dict[str, Mapping[str, str]] = {}
        self._lock = threading.Lock()

    def get_dictionary(self, lang: str) -> Mapping[str, str]:
        """The dictionary of ``lang``.

        Raises:
            ValueError: simplemma has no dictionary for ``lang``.
        """
        found = self._opened.get(lang)
        if found is None:
            with self._lock:
                found = self._opened.get(lang)
                if found is None:
                    found = self._opened[lang] = TrieDictionary(self._file(lang))
        return found

    def _file(self, lang: str) -> Path:
        path = self.folder / f"{lang}.marisa"
        if path.is_file():
            return path
        # Raises ValueError for a language without a dictionary, before any file is made.
        shipped = DefaultDictionaryFactory().get_dictionary(lang)
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / f"{lang}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.is_file():
                trie = marisa_trie.BytesTrie((k, v.encode()) for k, v in shipped.items())
                handle, scratch = tempfile.mkstemp(dir=self.folder, prefix=f".{lang}-")
                os.close(handle)
                try:
                    trie.save(scratch)
                    os.replace(scratch, path)
                finally:
                    Path(scratch).unlink(missing_ok=True)
        return path


class TrieDictionary(Mapping[str, str]):
    """A read-only word -> lemma mapping over a memory-mapped trie file."""

    def __init__(self, path: Path) -> None:
        self._trie = marisa_trie.BytesTrie()
        self._trie.mmap(str(path))

    def __getitem__(self, word: str) -> str:
        values = self._trie.get(word)
        if not values:
            raise KeyError(word)
        return values[0].decode()

    def get(self, word: str, default: str | None = None) -> str | None:  # type: ignore[override]
        values = self._trie.get(word)
        return values[0].decode() if values else default

    def __contains__(self, word: object) -> bool:
        return word in self._trie

    def __iter__(self) -> Iterator[str]:
        return iter(self._trie.iterkeys())

    def __len__(self) -> int:
        return len(self._trie)
