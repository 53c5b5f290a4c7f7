"""Split German compounds into their parts: "Routerkonfiguration" -> router + konfiguration.

The method is Koehn & Knight's frequency-based splitting ("Empirical Methods for Compound
Splitting", EACL 2003): among all ways to cut a word into known words (allowing the
linking morphemes -s-, -es-, -n-, -en-, -e-, -er- between parts), take the one whose
parts have the highest geometric mean of corpus frequencies, and keep the word whole when
the word itself is more frequent than that. Frequencies come from wordfreq's German list,
so the split does not depend on what has been indexed so far: the same word always gives
the same tokens, at index time and at query time, on every backend.

A part may be written without its umlauts ("Kuendigungsbestaetigung", too rare to be
respelled as a whole): a ``respell`` function (``UmlautRestorer.restore``) gives each
candidate part the spelling the word list knows, so the parts are "kündigung" and
"bestätigung", as they are for "Kündigungsbestätigung".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping
from functools import lru_cache

from indexer.analysis.word_lists import german_frequencies

# Fugenelemente, the linking morphemes between the parts of a German compound.
LINKING_MORPHEMES = ("", "s", "es", "n", "en", "e", "er")
MIN_PART_CHARS = 4
# A part must be at least this frequent (wordfreq's Zipf scale: 3 = once per million
# words) to count as a word; rarer strings are mostly fragments and typos.
MIN_PART_ZIPF = 2.5
MAX_PARTS = 3
# A compound must be this many times rarer than its parts (geometric mean) to be split.
SPLIT_ADVANTAGE = 5.0
# Words this frequent are lexicalised and stay whole ("Passwort" is not "Pass" + "Wort",
# "Fernseher" not "fern" + "eher"): Zipf 4 = once in every 100,000 words.
LEXICALISED_ZIPF = 4.0


class CompoundSplitter:
    """Split compounds with a frequency list; results are cached per word."""

    def __init__(
        self,
        frequencies: Mapping[str, float],
        stop_words: Collection[str] = (),
        min_chars: int = 8,
        cache_size: int = 200_000,
        respell: Callable[[str], str] | None = None,
    ) -> None:
        self._frequencies = frequencies
        self._respell = respell or _as_written
        self._stop_words = frozenset(stop_words)
        self._min_chars = min_chars
        self._min_frequency = 10 ** (MIN_PART_ZIPF - 9)
        self._lexicalised = 10 ** (LEXICALISED_ZIPF - 9)
        self.split = lru_cache(maxsize=cache_size)(self._split)

    @classmethod
    def german(
        cls,
        stop_words: Collection[str] = (),
        min_chars: int = 8,
        respell: Callable[[str], str] | None = None,
    ) -> CompoundSplitter:
        """Return a splitter over wordfreq's large German word list.

        Only words frequent enough to be parts are kept (a fifth of the list, a fifth of
        the memory); a rarer whole word then counts as unseen, which changes nothing but
        for compounds rarer than Zipf 2.5 and their own parts, none of which are words.
        The list is read when a word is first long enough to be split.
        """
        common = german_frequencies(minimum=10 ** (MIN_PART_ZIPF - 9))
        return cls(common, stop_words, min_chars, respell=respell)

    def _split(self, word: str) -> tuple[str, ...]:
        """Return the parts of a lower-case word, or () when it is not split."""
        if len(word) < self._min_chars or not word.isalpha():
            return ()
        whole = self._frequencies.get(self._respell(word), 0.0)
        if whole >= self._lexicalised:
            return ()
        parts, score = self._best(word)
        if len(parts) < 2 or score <= whole * SPLIT_ADVANTAGE:
            return ()
        return parts

    def _best(self, word: str) -> tuple[tuple[str, ...], float]:
        """Best cut of ``word`` into a known head and a tail, and its score.

        The tail is a known word or, where it is itself a compound by the same rule, its
        parts; so a lexicalised tail ("passwort" in "wlanpasswort") stays whole.
        """
        best: tuple[tuple[str, ...], float] = ((), 0.0)
        for cut in range(MIN_PART_CHARS, len(word) - MIN_PART_CHARS + 1):
            head = self._head(word[:cut])
            tail = word[cut:]
            if head is None:
                continue
            spelled = self._respell(tail)
            tail_parts = self.split(tail) or ((spelled,) if self._known(spelled) else ())
            if not tail_parts or len(tail_parts) >= MAX_PARTS:
                continue
            parts = (head, *tail_parts)
            # Geometric mean of the part frequencies (Koehn & Knight, eq. 1).
            logs = sum(math.log(self._frequencies[part]) for part in parts)
            score = math.exp(logs / len(parts))
            if score > best[1]:
                best = (parts, score)
        return best

    def _head(self, head_with_link: str) -> str | None:
        """The known word at the front of a compound, without its linking morpheme.

        Of the readings ("rechnungs" as a word, or "rechnung" + -s-), the most frequent
        word wins.
        """
        readings = [
            self._respell(head_with_link[: len(head_with_link) - len(link)])
            for link in LINKING_MORPHEMES
            if head_with_link.endswith(link)
        ]
        known = [head for head in readings if self._known(head)]
        return max(known, key=self._frequencies.__getitem__) if known else None

    def _known(self, part: str) -> bool:
        return (
            len(part) >= MIN_PART_CHARS
            and part not in self._stop_words
            and self._frequencies.get(part, 0.0) >= self._min_frequency
        )


def _as_written(word: str) -> str:
    return word
