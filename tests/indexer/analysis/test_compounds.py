"""Tests of German compound splitting: the method on a tiny word list, then on real German."""

from __future__ import annotations

import pytest

from indexer.analysis.compounds import (
    LEXICALISED_ZIPF,
    MAX_PARTS,
    SPLIT_ADVANTAGE,
    CompoundSplitter,
)
from indexer.analysis.umlauts import UmlautRestorer

# Word frequencies as wordfreq gives them (share of all words); 1e-5 is Zipf 4, a common
# word, and as frequent as a lexicalised word is (LEXICALISED_ZIPF): a word this frequent
# is never split. The minimum a part needs is Zipf 2.5, about 3.2e-7.
COMMON = 1e-5
FREQUENCIES = {
    "router": COMMON,
    "konfiguration": COMMON,
    "rechnung": COMMON,
    "adresse": COMMON,
    "fest": COMMON,
    "netz": COMMON,
    "anschluss": COMMON,
    "haus": COMMON,
    "baum": COMMON,
    "hund": COMMON,
    "katz": COMMON,
    "fernseher": 1e-4,  # lexicalised: Zipf 5, and more frequent than its parts
    "fern": COMMON,
    "seher": COMMON,
    "rare": 1e-8,  # below the minimum part frequency
    "ober": COMMON,  # made a stop word below
    "auto": COMMON,  # too short to be a part: parts have at least four letters ...
    "bus": COMMON,  # ... and this one has three
}


@pytest.fixture
def splitter() -> CompoundSplitter:
    return CompoundSplitter(FREQUENCIES, stop_words={"ober"}, min_chars=8)


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("routerkonfiguration", ("router", "konfiguration")),
        ("rechnungsadresse", ("rechnung", "adresse")),  # linking -s-
        ("routerenkonfiguration", ("router", "konfiguration")),  # linking -en-
        ("festnetzanschluss", ("fest", "netz", "anschluss")),
        ("autobahnhof", ()),  # "bahnhof" is not in the list
        ("fernseher", ()),  # lexicalised: the whole word is frequent on its own
        ("rarekonfiguration", ()),  # too rare to count as a word
        ("oberkonfiguration", ()),  # stop words are no parts
        ("busrouter", ()),  # parts are at least four letters
        ("router", ()),  # shorter than min_chars
        ("router2konfiguration", ()),  # not only letters
        ("hausbaumhundkatz", ()),  # more than MAX_PARTS parts
    ],
)
def test_split_on_a_small_word_list(
    splitter: CompoundSplitter, word: str, parts: tuple[str, ...]
) -> None:
    assert splitter.split(word) == parts


def test_at_most_max_parts_parts() -> None:
    assert MAX_PARTS == 3
    splitter = CompoundSplitter(FREQUENCIES, min_chars=8)
    assert splitter.split("hausbaumhund") == ("haus", "baum", "hund")
    assert splitter.split("hausbaumhundkatz") == ()


@pytest.mark.parametrize(
    ("frequencies", "parts"),
    [
        ({"wachs": 1e-4, "tube": 1e-4, "wach": 1e-6, "stube": 1e-6}, ("wachs", "tube")),
        ({"wachs": 1e-6, "tube": 1e-6, "wach": 1e-4, "stube": 1e-4}, ("wach", "stube")),
    ],
)
def test_the_reading_with_the_most_frequent_parts_wins(
    frequencies: dict[str, float], parts: tuple[str, ...]
) -> None:
    # Koehn & Knight's example: "Wachstube" is a wax tube or a guard room.
    assert CompoundSplitter(frequencies, min_chars=8).split("wachstube") == parts


@pytest.mark.parametrize(("whole", "split"), [(1.9e-6, True), (2.1e-6, False)])
def test_a_compound_is_split_only_when_its_parts_are_much_more_frequent(
    whole: float, split: bool
) -> None:
    # The parts' geometric mean is 1e-5: split only when the word is rarer than 1e-5 / 5.
    assert SPLIT_ADVANTAGE == 5.0
    frequencies = {"router": COMMON, "konfiguration": COMMON, "routerkonfiguration": whole}
    result = CompoundSplitter(frequencies, min_chars=8).split("routerkonfiguration")
    assert result == (("router", "konfiguration") if split else ())


@pytest.mark.parametrize(("whole", "split"), [(0.99e-5, True), (1e-5, False), (1e-3, False)])
def test_a_word_as_frequent_as_zipf_4_is_lexicalised_and_stays_whole(
    whole: float, split: bool
) -> None:
    # "passwort" is not "pass" + "wort", however much more frequent those parts are.
    assert LEXICALISED_ZIPF == 4.0
    frequencies = {"pass": 1e-3, "wort": 1e-3, "passwort": whole}
    result = CompoundSplitter(frequencies, min_chars=8).split("passwort")
    assert result == (("pass", "wort") if split else ())


@pytest.mark.parametrize(
    ("passwort", "parts"),
    [(1e-5, ("wlan", "passwort")), (0.99e-5, ("wlan", "pass", "wort"))],
)
def test_a_lexicalised_tail_stays_whole_inside_a_compound(
    passwort: float, parts: tuple[str, ...]
) -> None:
    frequencies = {"wlan": COMMON, "pass": 1e-3, "wort": 1e-3, "passwort": passwort}
    assert CompoundSplitter(frequencies, min_chars=8).split("wlanpasswort") == parts


def test_min_chars_is_configurable() -> None:
    frequencies = {"haus": COMMON, "baum": COMMON}
    assert CompoundSplitter(frequencies, min_chars=8).split("hausbaum") == ("haus", "baum")
    assert CompoundSplitter(frequencies, min_chars=9).split("hausbaum") == ()


def test_parts_are_looked_up_in_the_spelling_the_word_list_knows() -> None:
    frequencies = {"kündigung": COMMON, "bestätigung": COMMON, "überweisung": 1e-4}
    frequencies |= {"ueber": COMMON, "weisung": COMMON}
    spellings = {"kuendigung": "kündigung", "bestaetigung": "bestätigung"}
    spellings["ueberweisung"] = "überweisung"
    plain = CompoundSplitter(frequencies, min_chars=8)
    respelled = CompoundSplitter(frequencies, min_chars=8, respell=lambda w: spellings.get(w, w))
    assert plain.split("kuendigungsbestaetigung") == ()
    assert respelled.split("kuendigungsbestaetigung") == ("kündigung", "bestätigung")
    # The whole word is lexicalised in its umlaut spelling, so it stays whole.
    assert plain.split("ueberweisung") == ("ueber", "weisung")
    assert respelled.split("ueberweisung") == ()


def test_results_are_cached_per_word(splitter: CompoundSplitter) -> None:
    splitter.split("routerkonfiguration")
    splitter.split("routerkonfiguration")
    info = splitter.split.cache_info()  # type: ignore[attr-defined]
    assert info.hits >= 1


# --- real German -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def german() -> CompoundSplitter:
    return CompoundSplitter.german(min_chars=8)


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("routerkonfiguration", ("router", "konfiguration")),
        ("rechnungsadresse", ("rechnung", "adresse")),
        ("kündigungsfrist", ("kündigung", "frist")),
        ("internetverbindung", ("internet", "verbindung")),
        ("telefonanschluss", ("telefon", "anschluss")),
        ("handyvertrag", ("handy", "vertrag")),
        ("fernseher", ()),
        ("einstellungen", ()),
        ("konfiguration", ()),
        # Lexicalised (wordfreq Zipf >= 4), although their parts are words too.
        ("passwort", ()),
        ("telefonnummer", ()),
    ],
)
def test_german_words(german: CompoundSplitter, word: str, parts: tuple[str, ...]) -> None:
    assert german.split(word) == parts


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("kuendigungsbestaetigung", ("kündigung", "bestätigung")),
        ("steuererklaerung", ("steuer", "erklärung")),  # "Steuer" is no "Steür"
        ("kündigungsbestätigung", ("kündigung", "bestätigung")),
    ],
)
def test_transliterated_german_words(word: str, parts: tuple[str, ...]) -> None:
    respell = UmlautRestorer.german().restore
    assert CompoundSplitter.german(min_chars=8, respell=respell).split(word) == parts


def test_lexicalised_tail_stays_whole(german: CompoundSplitter) -> None:
    assert german.split("wlanpasswort") == ("wlan", "passwort")
    assert german.split("passwort") == ()
