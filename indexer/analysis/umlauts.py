"""German typed without umlauts: read "Kuendigung" as "Kündigung", and fold both alike.

Customers without a German keyboard write ä, ö, ü as ae, oe, ue (and ß as ss, which
case folding already does for everyone, so "Straße" and "Strasse" are one string before
any of this runs). The Snowball stemmer reads ae/oe/ue as umlauts and then drops all
umlauts, so "Störung" and "Stoerung" both stem to "storung"; but what runs before it
does not read them so:

- the lemmatiser (simplemma) knows "gekündigt" -> kündigen, not "gekuendigt", so the
  two spellings end at different stems ("kundig" / "gekundigt");
- the stop-word list has "für" and "können", not "fuer" and "koennen";
- the compound splitter's word list (wordfreq) knows "Überweisung" as one frequent word
  and "ueber" as a frequent word of its own, so "Ueberweisung" is split and
  "Überweisung" is not.

So a whole German word is first written with the umlauts it means (``UmlautRestorer``),
and only then stop-listed, lemmatised, split and stemmed: documents and queries go through
the same step, on every backend. A word is only respelled when the umlaut spelling is
clearly the known word (wordfreq), since ae/oe/ue are ordinary letters too: "Steuer",
"neue", "Feuer", "Israel", "Poet", "Michael", "Goethe", and English words in German
posts ("does", "blue", "true") stay as they are.

A half-typed word cannot be looked up, so it is folded instead (``german_stem_fold``),
exactly the way Snowball folds a word before it stems it, so that what is typed so far
("Stoer", "Gebüh", "Steuererklae") is a beginning of the stems of the words it may become.

English has no umlauts and writes those of German words out (``transliterate``: "Mueller",
"Zuerich"), so English analysis does that to both spellings: an English post quoting
"Störung" and the word typed as "Stoerung" meet there too.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from functools import lru_cache

from indexer.analysis.word_lists import german_frequencies

UMLAUT_OF = {"a": "ä", "o": "ö", "u": "ü"}
# The places where a transliterated umlaut may stand. After "q", "ue" is the "u" of "qu"
# ("Queue", "Quelle"), never an "ü".
DIGRAPH = re.compile(r"(?<!q)([aou])e")
# More digraphs than this in one word are restored all together or not at all, so a
# word costs at most 2**4 - 1 look-ups.
MAX_DIGRAPHS_SINGLY = 4
# The umlaut spelling must be ten times as frequent as the spelling as typed: "fuer"
# (Zipf 4.4) is "für" (6.9), "Mueller" (3.3) is "Müller" (4.8), but "does" (3.3) is not
# "dös" (1.9), nor "Goethe" (4.2) "Göthe" (2.4), nor "Joe" (4.2) "Jö" (2.2) ...
RESTORE_ADVANTAGE_ZIPF = 1.0
# ... and at least Zipf 2 (once in ten million words). The large list stops near Zipf 1,
# so a spelling missing from it ("gekuendigt") is ten times rarer than that, and rare
# forms still meet the lemmatiser in the spelling it knows ("uebernimm" -> übernimm ->
# übernehmen; Zipf 2.4).
RESTORED_MIN_ZIPF = 2.0
# The Snowball German stemmer's own reading of a word (its "prelude" and "postlude"):
# ä/ö/ü become a/o/u, ae/oe become a/o, and ue becomes u unless the "u" follows "q"
# ("que") or a vowel, where Snowball reads it as a consonant ("Steuer" -> steu, "neue" ->
# neu, "Dauer" -> dau).
SNOWBALL_DIGRAPH = re.compile(r"(?<![qaeiouyäöü])ue|([ao])e")
UMLAUT_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u"})
# A word of a running text (``respell``): letters, keeping their case.
TEXT_WORD = re.compile(r"[^\W\d_]+")
# ``respell`` leaves words alone that are common English words as typed (Zipf 3, once in a
# million words): "guessing" is not "Güssing" in an English question.
ENGLISH_WORD_ZIPF = 3.0
TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


class UmlautRestorer:
    """Write a transliterated German word with the umlauts it means; cached per word."""

    def __init__(self, frequencies: Mapping[str, float], cache_size: int = 200_000) -> None:
        """``frequencies``: word -> frequency, lower-case with ß written ss (wordfreq's)."""
        self._frequencies = frequencies
        self._min_frequency = 10 ** (RESTORED_MIN_ZIPF - 9)
        self._advantage = 10**RESTORE_ADVANTAGE_ZIPF
        self.restore = lru_cache(maxsize=cache_size)(self._restore)

    @classmethod
    def german(cls) -> UmlautRestorer:
        """A restorer over wordfreq's large German word list (the list the compound
        splitter reads too), read when a word first has an ae/oe/ue to restore."""
        return cls(german_frequencies())

    def _restore(self, word: str) -> str:
        """Return ``word`` (lower case) with umlauts for its ae/oe/ue where that spelling
        is the known word, choosing among the ways to restore some or all of them
        ("aktuelle" stays, "Steuererklaerung" -> "steuererklärung": not "steür...")."""
        places = list(DIGRAPH.finditer(word))
        if not places:
            return word
        if len(places) > MAX_DIGRAPHS_SINGLY:
            choices: list[tuple[re.Match[str], ...]] = [tuple(places)]
        else:
            choices = [
                combination
                for count in range(1, len(places) + 1)
                for combination in itertools.combinations(places, count)
            ]
        frequency = self._frequencies.get
        best, best_frequency = word, 0.0
        for combination in choices:
            candidate = _with_umlauts(word, combination)
            if frequency(candidate, 0.0) > best_frequency:
                best, best_frequency = candidate, frequency(candidate, 0.0)
        if best_frequency < self._min_frequency:
            return word
        if best_frequency < frequency(word, 0.0) * self._advantage:
            return word
        return best


def respell(text: str, restorer: UmlautRestorer) -> str:
    """``text`` with its transliterated German words written with umlauts, case kept
    ("Stoerung seit gestern" -> "Störung seit gestern").

    For the embedding models, which read text, not index terms: they learned "Störung",
    and "Stoerung" is to them a rare string of word pieces. Common English words stay.
    """

    def respelled(match: re.Match[str]) -> str:
        word = match.group(0)
        lower = word.lower()
        restored = restorer.restore(lower)
        if restored == lower or _is_english_word(lower):
            return word
        return restored.capitalize() if word[:1].isupper() else restored

    return TEXT_WORD.sub(respelled, text) if DIGRAPH.search(text.lower()) else text


@lru_cache(maxsize=50_000)
def _is_english_word(word: str) -> bool:
    import wordfreq  # late: importing it takes a quarter of a second (ftfy, regex, ...)

    return wordfreq.zipf_frequency(word, "en") >= ENGLISH_WORD_ZIPF


def german_stem_fold(word: str) -> str:
    """Fold a (half-typed) German word the way the Snowball stemmer folds what it stems.

    Every stem of a German word is then a beginning of the word's fold, or the fold a
    beginning of the stem: "stoer" -> stor (Störung: storung), "gebüh" -> gebuh,
    "steuererklae" -> steuererkla (Steuererklärung: steuererklar; the "ue" of "Steuer"
    follows a vowel and stays). Checked against Snowball on the 3,668 words with ae/oe/ue
    among wordfreq's 200,000 most frequent German words: the only difference is "Qaeda".
    """
    return SNOWBALL_DIGRAPH.sub(_plain_vowel, word.translate(UMLAUT_FOLD))


def transliterate(word: str) -> str:
    """Write ä, ö, ü as ae, oe, ue, as languages without umlauts write German words."""
    return word.translate(TRANSLITERATION)


def _plain_vowel(match: re.Match[str]) -> str:
    return match.group(1) or "u"


def _with_umlauts(word: str, places: tuple[re.Match[str], ...]) -> str:
    pieces = []
    end = 0
    for place in places:
        pieces.append(word[end : place.start()])
        pieces.append(UMLAUT_OF[place.group(1)])
        end = place.end()
    pieces.append(word[end:])
    return "".join(pieces)
