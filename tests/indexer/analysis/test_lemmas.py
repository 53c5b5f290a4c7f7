"""Tests of the lemma dictionaries kept as trie files: simplemma's lemmas, made once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import simplemma

from indexer.analysis.lemmas import cached_lemmatizer

# Malay: one of simplemma's smallest dictionaries, so a test builds its trie in a moment.
LANG = "ms"
WORDS = ["berjalan", "makanan", "dimakan", "perjalanan", "rumah", "xyzzy", "Pelajar"]


def test_the_trie_gives_simplemmas_own_lemmas(tmp_path: Path) -> None:
    lemmatizer = cached_lemmatizer(tmp_path)
    lemmas = [lemmatizer.lemmatize(word, lang=LANG) for word in WORDS]
    assert lemmas == [simplemma.lemmatize(word, lang=LANG) for word in WORDS]
    assert lemmas[0] == "jalan", "the dictionary was not used"


def test_the_trie_is_made_once_and_read_by_later_processes(tmp_path: Path) -> None:
    cached_lemmatizer(tmp_path).lemmatize("berjalan", lang=LANG)
    (made,) = tmp_path.glob(f"simplemma/*/{LANG}.marisa")
    written = made.stat().st_mtime_ns
    assert cached_lemmatizer(tmp_path).lemmatize("berjalan", lang=LANG) == "jalan"
    assert made.stat().st_mtime_ns == written
    # Nothing half-written is left beside it.
    assert not list(made.parent.glob(".*"))


def test_threads_starting_together_make_one_trie(tmp_path: Path) -> None:
    results: list[str] = []
    threads = [
        threading.Thread(
            target=lambda: results.append(cached_lemmatizer(tmp_path).lemmatize("berjalan", LANG))
        )
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["jalan"] * 3
    assert [p.name for p in tmp_path.glob("simplemma/*/*.marisa")] == [f"{LANG}.marisa"]


def test_a_language_without_a_dictionary_is_refused_and_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        cached_lemmatizer(tmp_path).lemmatize("word", lang="zz")
    assert not list(tmp_path.glob("simplemma/*/*"))
