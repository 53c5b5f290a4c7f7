"""Tests of reading German typed without umlauts: the restorer and the stem fold."""

from __future__ import annotations

import pytest
import Stemmer

from indexer.analysis.umlauts import (
    RESTORE_ADVANTAGE_ZIPF,
    RESTORED_MIN_ZIPF,
    UmlautRestorer,
    german_stem_fold,
    respell,
    transliterate,
)


def zipf(value: float) -> float:
    """A frequency (share of all words) of the given Zipf value."""
    return 10 ** (value - 9)


@pytest.fixture(scope="module")
def german() -> UmlautRestorer:
    return UmlautRestorer.german()


# --- the rule, on a tiny word list -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "umlaut", "restored"),
    [
        (None, RESTORED_MIN_ZIPF, True),  # the typed spelling is unknown
        (None, RESTORED_MIN_ZIPF - 0.1, False),  # the umlaut spelling is too rare a word
        (3.0, 3.0 + RESTORE_ADVANTAGE_ZIPF, True),
        (3.0, 3.0 + RESTORE_ADVANTAGE_ZIPF - 0.1, False),  # both are words: needs 10x
    ],
)
def test_a_word_is_respelled_only_where_the_umlaut_spelling_is_clearly_the_word(
    typed: float | None, umlaut: float, restored: bool
) -> None:
    frequencies = {"fuer": zipf(typed), "für": zipf(umlaut)} if typed else {"für": zipf(umlaut)}
    assert UmlautRestorer(frequencies).restore("fuer") == ("für" if restored else "fuer")


def test_the_most_frequent_way_to_restore_some_of_the_digraphs_wins() -> None:
    frequencies = {"steuererklärung": zipf(3.5), "steürerklärung": zipf(2.0)}
    restorer = UmlautRestorer(frequencies)
    assert restorer.restore("steuererklaerung") == "steuererklärung"


def test_words_without_digraphs_and_ue_after_q_are_left_alone() -> None:
    restorer = UmlautRestorer({"qüle": 1.0, "router": 1.0})
    assert restorer.restore("quele") == "quele"
    assert restorer.restore("router") == "router"


# --- real German -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("stoerung", "störung"),
        ("kuendigung", "kündigung"),
        ("gekuendigt", "gekündigt"),  # an inflected form the lemmatiser knows with umlauts
        ("zuruecknehmen", "zurücknehmen"),
        ("kuendigungsfrist", "kündigungsfrist"),
        ("gebuehr", "gebühr"),
        ("rueckerstattung", "rückerstattung"),
        ("fuer", "für"),  # a stop word, and a frequent word as typed too
        ("ueberweisung", "überweisung"),
        ("aendern", "ändern"),
        ("laeuft", "läuft"),
        ("steuererklaerung", "steuererklärung"),  # the "eue" of "Steuer" stays
        ("strasse", "strasse"),  # ß is ss after case folding, in both spellings
    ],
)
def test_german_typed_without_umlauts_is_respelled(
    german: UmlautRestorer, typed: str, meant: str
) -> None:
    assert german.restore(typed) == meant


@pytest.mark.parametrize(
    "word",
    [
        # German words whose ae/oe/ue are letters, not umlauts.
        "steuer", "neue", "feuer", "dauer", "aktuell", "zuerst", "queue", "quelle",
        # Names and loans.
        "israel", "poet", "michael", "goethe", "joe", "samuel",
        # English words, which German posts are full of.
        "does", "blue", "true", "goes", "issue", "value",
    ],
)  # fmt: skip
def test_words_whose_digraphs_are_letters_are_not_respelled(
    german: UmlautRestorer, word: str
) -> None:
    assert german.restore(word) == word


# --- the fold of a half-typed word -------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "fold"),
    [
        ("stoer", "stor"),
        ("stör", "stor"),
        ("gebueh", "gebuh"),
        ("gebüh", "gebuh"),
        ("aendert", "andert"),
        ("steuererklae", "steuererkla"),  # "ue" after a vowel is not an umlaut to Snowball
        ("neue", "neue"),
        ("queu", "queu"),  # nor after "q"
        ("aktue", "aktu"),
    ],
)
def test_half_typed_words_are_folded_like_snowball_folds(typed: str, fold: str) -> None:
    assert german_stem_fold(typed) == fold


@pytest.mark.parametrize(
    "word",
    [
        "störung", "stoerung", "kündigung", "kuendigung", "steuererklärung",
        "steuererklaerung", "steuer", "gesteuert", "dauerhaft", "erneuerung", "neuerungen",
        "feuerwehr", "aktuell", "zuerst", "queue", "quelle", "israel", "poet", "bauernhof",
        "gebühren", "gebuehren", "überweisung", "ueberweisung", "äusserung", "aeusserung",
    ],
)  # fmt: skip
def test_the_snowball_stem_of_a_word_begins_its_fold(word: str) -> None:
    # So every beginning of a word, folded, begins its stem (or the stem is within
    # the prefix's overshoot): what the backends match a half-typed word with.
    stem = Stemmer.Stemmer("german").stemWord(word)
    assert german_stem_fold(word).startswith(stem), (word, stem)


def test_transliterate_writes_umlauts_out_as_english_writes_german() -> None:
    assert transliterate("störung über müller straße") == "stoerung ueber mueller straße"


# --- running text, as the embedding models read it -------------------------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Stoerung seit gestern", "Störung seit gestern"),
        ("kuendigung zuruecknehmen?", "kündigung zurücknehmen?"),
        ("Gebuehr fuer die Box 4", "Gebühr für die Box 4"),
        ("Steuer und neue Feuer", "Steuer und neue Feuer"),  # real ue, not ü
        ("I keep guessing the password", "I keep guessing the password"),  # English word
        ("Queue does not work", "Queue does not work"),
        ("Störung", "Störung"),  # already written with umlauts
    ],
)
def test_running_text_is_respelled_for_the_embedding_models(
    german: UmlautRestorer, typed: str, meant: str
) -> None:
    assert respell(typed, german) == meant
