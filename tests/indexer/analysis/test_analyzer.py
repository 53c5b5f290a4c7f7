"""Tests of the analyser: the terms documents are indexed under and queries look for."""

from __future__ import annotations

import threading
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analysis.analyzer import (
    MAX_TERM_CHARS,
    AnalyzedQuery,
    Analyzer,
    PrefixTerm,
    normalize,
    words,
)
from indexer.settings import Settings


def prefix_matches(prefix: PrefixTerm, term: str) -> bool:
    """How a backend matches a half-typed word against an index term (PrefixTerm's contract)."""
    return term.startswith(prefix.starts) or term in prefix.exact


def typed(analyzer: Analyzer, text: str, lang: str | None = None) -> PrefixTerm:
    """The prefix of a query whose last word is still being typed."""
    query = analyzer.query(text, lang=lang)
    assert query.prefix is not None, f"{text!r} gave no prefix"
    return query.prefix


def finished(analyzer: Analyzer, text: str, lang: str | None = None) -> tuple[tuple[str, ...], ...]:
    """The clauses of a query whose words are all complete."""
    return analyzer.query(text, lang=lang, partial=False).clauses


def clauses_match(clauses: tuple[tuple[str, ...], ...], document: list[str]) -> bool:
    """Whether a document has every clause: at least one alternative term of each."""
    return all(set(clause) & set(document) for clause in clauses)


# --- normalisation and words -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Straße", "strasse"),
        ("STRASSE", "strasse"),
        ("ＷＬＡＮ", "wlan"),  # full-width letters
        ("ﬁnden", "finden"),  # ligature
        ("Ku\u0308ndigung", "kündigung"),  # decomposed umlaut
    ],
)
def test_normalize_folds_case_and_compatibility_forms(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_words_keep_hyphenated_and_apostrophe_compounds_and_split_on_the_rest() -> None:
    text = normalize("WLAN-Passwort vergessen? geht's_nicht, Fritz!Box 7590 -- e-mail")
    assert words(text) == [
        "wlan-passwort",
        "vergessen",
        "geht's",
        "nicht",
        "fritz",
        "box",
        "7590",
        "e-mail",
    ]


# --- document terms ----------------------------------------------------------------------


def test_german_document_terms_are_stemmed_split_and_without_stop_words(
    analyzer: Analyzer,
) -> None:
    terms = analyzer.document_terms("Meine Routerkonfiguration ist nach dem Update weg", "de")
    assert terms == ["routerkonfiguration", "rout", "konfiguration", "updat"]


def test_english_document_terms_are_stemmed_and_without_stop_words(analyzer: Analyzer) -> None:
    terms = analyzer.document_terms("My router configuration disappeared after the update", "en")
    assert terms == ["router", "configur", "disappear", "updat"]


def test_terms_repeat_as_often_as_the_words_occur(analyzer: Analyzer) -> None:
    assert analyzer.document_terms("Router, Router und nochmal Router", "de") == [
        "rout",
        "rout",
        "nochmal",
        "rout",
    ]


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Ich habe die Rechnung nicht, weil sie noch nicht da ist", "de"),
        ("the router is not working since it was updated", "en"),
    ],
)
def test_stop_words_are_removed(analyzer: Analyzer, text: str, lang: str) -> None:
    expected = {"de": ["rechnung"], "en": ["router", "work", "sinc", "updat"]}[lang]
    assert analyzer.document_terms(text, lang) == expected


def test_contractions_of_stop_words_leave_no_stop_word_terms(analyzer: Analyzer) -> None:
    assert analyzer.document_terms("it's", "en") == []
    assert analyzer.query("it's ", lang="en").clauses == ()


@pytest.mark.parametrize("spelling", ["Straße", "STRASSE", "strasse", "Strasse", "STRAẞE"])
@pytest.mark.parametrize("lang", ["de", "en"])
def test_sharp_s_and_case_give_the_same_terms(analyzer: Analyzer, spelling: str, lang: str) -> None:
    assert analyzer.document_terms(spelling, lang) == ["strass"]


@pytest.mark.parametrize("spelling", ["Kündigung", "Kuendigung", "KÜNDIGUNG", "kündigen"])
def test_umlaut_and_its_transliteration_give_the_same_german_stem(
    analyzer: Analyzer, spelling: str
) -> None:
    assert analyzer.document_terms(spelling, "de") == ["kundig"]
    assert finished(analyzer, spelling, lang="de") == (("kundig",),)


def test_transliterated_compound_is_split_like_the_umlaut_spelling(analyzer: Analyzer) -> None:
    assert analyzer.document_terms("Kündigungsfrist", "de") == [
        "kundigungsfrist",
        "kundig",
        "frist",
    ]
    assert analyzer.document_terms("Kuendigungsfrist", "de") == [
        "kundigungsfrist",
        "kundig",
        "frist",
    ]
    assert finished(analyzer, "Kuendigungsfrist", lang="de") == (
        ("kundigungsfrist",),
        ("kundig",),
        ("frist",),
    )


# Umlauts and their transliterations (ä/ö/ü as ae/oe/ue; ß is ss after case folding).
# Many of these failed while only the stemmer read ae/oe/ue as umlauts: the lemmatiser,
# the stop words and the compound splitter's word list know the umlaut spelling only.
UMLAUT_SPELLINGS = [
    ("Störung", "Stoerung"),
    ("Kündigung", "Kuendigung"),
    ("zurücknehmen", "zuruecknehmen"),
    ("Kündigungsfrist", "Kuendigungsfrist"),
    ("Straße", "Strasse"),
    ("Gebühr", "Gebuehr"),
    ("Rückerstattung", "Rueckerstattung"),
    ("Überweisung", "Ueberweisung"),  # was split into über + weisung
    ("ändern", "aendern"),
    ("gekündigt", "gekuendigt"),  # lemma kündigen, known only with its umlaut
    ("zurückgesetzt", "zurueckgesetzt"),
    ("läuft", "laeuft"),
    ("möchte", "moechte"),
    ("Kündigungsbestätigung", "Kuendigungsbestaetigung"),  # too rare to respell whole
    ("Steuererklärung", "Steuererklaerung"),  # "Steuer" keeps its "ue"
    ("WLAN-Gebühr", "WLAN-Gebuehr"),
]


@pytest.mark.parametrize(("umlaut", "transliterated"), UMLAUT_SPELLINGS)
def test_umlaut_and_transliterated_spellings_give_the_same_terms(
    analyzer: Analyzer, umlaut: str, transliterated: str
) -> None:
    assert analyzer.document_terms(transliterated, "de") == analyzer.document_terms(umlaut, "de")
    assert finished(analyzer, transliterated, lang="de") == finished(analyzer, umlaut, lang="de")


# Not "WLAN-Gebühr": in a query of both languages each language's parts of a hyphenated
# word are clauses of their own, and the English "gebühr" is in neither document.
@pytest.mark.parametrize(("umlaut", "transliterated"), UMLAUT_SPELLINGS[:-1])
def test_each_spelling_finds_the_other_in_a_query_of_unknown_language(
    analyzer: Analyzer, umlaut: str, transliterated: str
) -> None:
    for query, document in ((umlaut, transliterated), (transliterated, umlaut)):
        terms = analyzer.document_terms(document, "de")
        assert clauses_match(finished(analyzer, query), terms), (query, document)


@pytest.mark.parametrize(
    ("umlaut", "transliterated"),
    [
        ("Kündigung zurücknehmen bitte", "kuendigung zuruecknehmen bitte"),
        ("Gebühr für die Rückerstattung", "Gebuehr fuer die Rueckerstattung"),
        ("Passwort ändern geht nicht", "Passwort aendern geht nicht"),
        ("Störung seit gestern Abend", "Stoerung seit gestern Abend"),
        ("Rufnummernmitnahme für meine Nummer", "Rufnummernmitnahme fuer meine Nummer"),
    ],
)
def test_transliterated_queries_are_the_umlaut_queries(
    analyzer: Analyzer, umlaut: str, transliterated: str
) -> None:
    # "fuer" is the stop word "für"; the query is German either way.
    query = analyzer.query(transliterated + " ")
    assert query.languages == ("de",)
    assert query == analyzer.query(umlaut + " ")


@pytest.mark.parametrize("word", ["fuer", "ueber", "koennen", "waehrend", "muessen", "wuerde"])
def test_transliterated_stop_words_are_stop_words(analyzer: Analyzer, word: str) -> None:
    assert analyzer.document_terms(word, "de") == []


def test_transliterated_compounds_are_split_like_the_umlaut_spelling(analyzer: Analyzer) -> None:
    assert analyzer.document_terms("Kuendigungsbestaetigung", "de") == [
        "kundigungsbestat",
        "kundig",
        "bestat",
    ]
    assert analyzer.document_terms("Steuererklaerung", "de") == ["steuererklar", "steu", "erklar"]
    # Frequent enough to stay whole with its umlaut, and so without it.
    assert analyzer.document_terms("Ueberweisung", "de") == ["uberweis"]


@pytest.mark.parametrize(
    ("word", "terms"),
    [
        ("Steuer", ["steu"]),
        ("neue", ["neu"]),
        ("Feuer", ["feu"]),
        ("Queue", ["queu"]),
        ("aktuell", ["aktull"]),  # Snowball's own reading of "ue"; the same in queries
        ("Israel", ["isral"]),
        ("Poet", ["pot"]),
        ("goes", ["gos"]),
    ],
)
def test_words_whose_digraphs_are_letters_keep_their_terms(
    analyzer: Analyzer, word: str, terms: list[str]
) -> None:
    # No umlaut is restored, so they are analysed as before; each is still found by
    # itself, whole and half-typed.
    assert analyzer.document_terms(word, "de") == terms
    assert clauses_match(finished(analyzer, word), terms)
    assert any(prefix_matches(typed(analyzer, word[:4]), term) for term in terms), word


@pytest.mark.parametrize(
    ("word", "terms"),
    [("goes", ["go"]), ("blue", ["blue"]), ("true", ["true"]), ("issue", ["issu"])],
)
def test_english_words_with_ae_oe_ue_keep_their_terms(
    analyzer: Analyzer, word: str, terms: list[str]
) -> None:
    assert analyzer.document_terms(word, "en") == terms
    english = analyzer.query(f"it {word} not work ")
    assert english.languages == ("en",)
    assert clauses_match(english.clauses, analyzer.document_terms(f"{word} not work", "en"))


def test_compound_document_is_found_by_each_of_its_parts(analyzer: Analyzer) -> None:
    document = analyzer.document_terms("Routerkonfiguration", "de")
    assert finished(analyzer, "Router", lang="de") == (("rout",),)
    assert finished(analyzer, "Konfiguration", lang="de") == (("konfiguration",),)
    # The compound itself and each of its parts are clauses of their own.
    assert finished(analyzer, "Routerkonfiguration", lang="de") == (
        ("routerkonfiguration",),
        ("rout",),
        ("konfiguration",),
    )
    for text in ("Router", "Konfiguration", "Routerkonfiguration"):
        assert clauses_match(finished(analyzer, text, lang="de"), document), text


@pytest.mark.parametrize(
    ("compound", "terms"),
    [
        ("Rechnungsadresse", ["rechnungsadress", "rechnung", "adress"]),  # linking -s-
        ("Internetverbindung", ["internetverbind", "internet", "verbind"]),
        ("Handyvertrag", ["handyvertrag", "handy", "vertrag"]),
        ("Fernseher", ["fernseh"]),  # frequent on its own: not split into fern + seher
    ],
)
def test_german_compounds_add_their_stemmed_parts(
    analyzer: Analyzer, compound: str, terms: list[str]
) -> None:
    assert analyzer.document_terms(compound, "de") == terms


def test_compounds_are_not_split_in_english(analyzer: Analyzer) -> None:
    assert analyzer.document_terms("Routerkonfiguration", "en") == ["routerkonfigur"]


def test_hyphenated_word_is_indexed_joined_and_in_parts(analyzer: Analyzer) -> None:
    assert analyzer.document_terms("WLAN-Passwort", "en") == ["wlanpasswort", "wlan", "passwort"]
    # "Passwort" is lexicalised: it is not split further into pass + wort.
    german = analyzer.document_terms("WLAN-Passwort", "de")
    assert german == ["wlanpasswort", "wlan", "passwort"]
    # Each way of writing it finds the hyphenated form.
    for spelling in ("WLAN-Passwort", "WLANPasswort"):
        assert finished(analyzer, spelling, lang="de") == (
            ("wlanpasswort",),
            ("wlan",),
            ("passwort",),
        ), spelling
    for spelling in ("WLAN Passwort", "wlan passwort"):
        assert finished(analyzer, spelling, lang="de") == (("wlan",), ("passwort",)), spelling
    for spelling in ("WLAN-Passwort", "WLAN Passwort", "WLANPasswort", "wlan passwort"):
        assert clauses_match(finished(analyzer, spelling, lang="de"), german), spelling


def test_stop_word_parts_of_a_hyphenated_word_are_dropped(analyzer: Analyzer) -> None:
    # Whatever the stem of "schritt" is (the lemmatiser reads lower-case "schritt" as a
    # form of "schreiten"), both parts get it and the stop word "für" is gone.
    (part,) = analyzer.document_terms("schritt", "de")
    assert analyzer.document_terms("Schritt-für-Schritt", "de") == [
        "schrittfurschritt",
        part,
        part,
    ]


def test_single_letters_and_overlong_words_are_not_terms(analyzer: Analyzer) -> None:
    longest = "a" * MAX_TERM_CHARS
    assert analyzer.document_terms(f"x y z {longest} {longest}b", "en") == [longest]


def test_unknown_language_is_only_normalised(analyzer: Analyzer) -> None:
    assert analyzer.document_terms("Die Routers", "xx") == ["die", "routers"]


# --- queries -----------------------------------------------------------------------------


def test_query_terms_match_document_terms(analyzer: Analyzer) -> None:
    query = analyzer.query("Ich habe die Rechnung nicht bekommen ")
    assert query == AnalyzedQuery(
        clauses=(("rechnung",), ("bekomm",)), prefix=None, languages=("de",)
    )
    assert query.terms == ("rechnung", "bekomm")
    assert clauses_match(
        query.clauses, analyzer.document_terms("Rechnung nicht bekommen, was tun?", "de")
    )


@pytest.mark.parametrize(
    ("text", "document", "lang"),
    [
        ("Konfigurati", "Konfiguration", "de"),
        ("Konfigurati", "Konfiguration", "en"),
        ("kündi", "Kündigung", "de"),
        ("Kündi", "kündigen", "de"),
        ("Routerkonfig", "Routerkonfiguration", "de"),
        ("Stras", "Straße", "de"),
        ("Straß", "Straße", "de"),
        ("Kündigung", "Kündigung", "de"),
        ("configur", "configuration", "en"),
    ],
)
def test_half_typed_last_word_matches_the_stem_of_the_full_word(
    analyzer: Analyzer, text: str, document: str, lang: str
) -> None:
    prefix = typed(analyzer, text)
    stem = analyzer.document_terms(document, lang)[0]
    assert prefix_matches(prefix, stem), f"{prefix} does not match {stem!r}"


@pytest.mark.parametrize(
    ("text", "document"),
    [
        ("Stoer", "Störung"),
        ("Stör", "Stoerung"),
        ("kuendig", "Kündigung"),
        ("kündig", "Kuendigung"),
        ("Kuendigung zurueck", "zurücknehmen"),
        ("Kündigung zurück", "zuruecknehmen"),
        ("Gebueh", "Gebühr"),
        ("Gebüh", "Gebuehr"),
        ("Rueckerst", "Rückerstattung"),
        ("Ueberw", "Überweisung"),
        ("Passwort aend", "ändern"),
        ("geaendert", "geändert"),  # complete, but still the last word: its lemma's stem
        ("Steuererklae", "Steuererklärung"),  # the "ue" of "Steuer" is not folded
        ("Steuererklä", "Steuererklaerung"),
        ("Kuendigungsbestae", "Kündigungsbestätigung"),
        ("Strass", "Straße"),
        ("Straß", "Strasse"),
    ],
)
def test_half_typed_word_in_either_spelling_matches_the_other(
    analyzer: Analyzer, text: str, document: str
) -> None:
    prefix = typed(analyzer, text)
    terms = analyzer.document_terms(document, "de")
    assert any(prefix_matches(prefix, term) for term in terms), (prefix, terms)


def test_prefix_terms_are_exact_for_known_inputs(analyzer: Analyzer) -> None:
    assert analyzer.query("kündi", lang="de") == AnalyzedQuery(
        clauses=(), prefix=PrefixTerm(starts=("kundi",), exact=("kund",)), languages=("de",)
    )
    assert analyzer.query("Router Konfigurati", lang="de") == AnalyzedQuery(
        clauses=(("rout",),),
        prefix=PrefixTerm(starts=("konfigurati",), exact=("konfigurat", "konfigura", "konfigur")),
        languages=("de",),
    )


def test_english_prefix_writes_umlauts_out_as_english_terms_do(analyzer: Analyzer) -> None:
    assert typed(analyzer, "kündi", lang="en").starts == ("kuendi",)
    assert typed(analyzer, "kuendi", lang="en").starts == ("kuendi",)
    assert analyzer.document_terms("Kündigung", "en") == ["kuendigung"]


@pytest.mark.parametrize(
    ("text", "quoted"),
    [
        ("Stoerung ", "Störung"),
        ("Störung ", "Stoerung"),
        ("Stoer", "Störung"),
        ("Stör", "Stoerung"),
        ("Kuendigung ", "Kündigung"),
        ("pruef", "prüfen"),
    ],
)
def test_english_threads_quoting_german_are_found_in_either_spelling(
    analyzer: Analyzer, text: str, quoted: str
) -> None:
    # Expats' English threads quote German words; a one-word query is read as English
    # as well as German, and the English terms have the umlauts written out.
    terms = analyzer.document_terms(f"The portal says {quoted} and nothing else", "en")
    query = analyzer.query(text)
    assert query.languages == ("de", "en")
    if query.prefix is None:
        assert clauses_match(query.clauses, terms), (query, terms)
    else:
        assert any(prefix_matches(query.prefix, term) for term in terms), (query, terms)


def test_half_typed_transliterated_umlaut_matches_the_full_word(analyzer: Analyzer) -> None:
    prefix = typed(analyzer, "kuendi", lang="de")
    # Folded as Snowball folds the stems: the same prefix as the umlaut spelling's.
    assert prefix == PrefixTerm(starts=("kundi",), exact=("kund",))
    assert prefix == typed(analyzer, "kündi", lang="de")
    assert prefix_matches(prefix, analyzer.document_terms("Kündigung", "de")[0])
    assert prefix_matches(prefix, analyzer.document_terms("Kuendigung", "de")[0])


def test_half_typed_hyphenated_word_matches_the_hyphenated_document(analyzer: Analyzer) -> None:
    document = analyzer.document_terms("WLAN-Passwort", "de")
    query = analyzer.query("WLAN-Passw", lang="de")
    # The finished part is a clause; the part being typed, alone and joined, is the prefix.
    assert query.clauses == (("wlan",),)
    assert query.prefix is not None
    assert query.prefix.starts == ("passw", "wlanpassw")
    assert clauses_match(query.clauses, document)
    assert prefix_matches(query.prefix, "passwort")
    assert prefix_matches(query.prefix, "wlanpasswort")
    assert any(prefix_matches(query.prefix, term) for term in document), (query, document)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Router ", AnalyzedQuery((("rout",),), None, ("de",))),  # ends in a space: finished
        ("Router?", AnalyzedQuery((("rout",),), None, ("de",))),  # ends in punctuation
        ("Router Hä", AnalyzedQuery((("rout",),), None, ("de",))),  # too short to search for
        ("Router hab", AnalyzedQuery((("rout",),), PrefixTerm(("hab",), ()), ("de",))),
    ],
)
def test_only_a_last_word_still_being_typed_becomes_a_prefix(
    analyzer: Analyzer, text: str, expected: AnalyzedQuery
) -> None:
    assert analyzer.query(text, lang="de") == expected


def test_partial_false_treats_every_word_as_finished(analyzer: Analyzer) -> None:
    assert analyzer.query("Router Konfigurati", lang="de", partial=False) == AnalyzedQuery(
        clauses=(("rout",), ("konfigurati",)), prefix=None, languages=("de",)
    )


def test_empty_and_stop_word_queries(analyzer: Analyzer) -> None:
    empty = analyzer.query("  ?! ", lang="de")
    assert empty == AnalyzedQuery((), None, ("de",))
    assert empty.is_empty
    assert empty.clause_count == 0
    only_stop_words = analyzer.query("ich habe die ", lang="de")
    assert only_stop_words.clauses == ()
    assert only_stop_words.terms == ()
    assert only_stop_words.is_empty


def test_clause_count_counts_clauses_and_the_prefix(analyzer: Analyzer) -> None:
    query = analyzer.query("Rechnung Kündigung Adres", lang="de")
    assert query.clauses == (("rechnung",), ("kundig",))
    assert query.prefix is not None
    assert query.clause_count == 3
    assert not query.is_empty


# --- query language ----------------------------------------------------------------------


def test_clear_german_and_english_queries_are_analysed_in_their_language(
    analyzer: Analyzer,
) -> None:
    german = analyzer.query("Mein Router startet jeden Abend neu ")
    english = analyzer.query("My router keeps restarting every night ")
    assert german == AnalyzedQuery((("rout",), ("start",), ("abend",), ("neu",)), None, ("de",))
    assert english == AnalyzedQuery(
        (("router",), ("keep",), ("restart",), ("everi",), ("night",)), None, ("en",)
    )


@pytest.mark.parametrize(
    ("text", "clauses"),
    [
        # One word, one clause: its German and its English stem are alternatives.
        ("Router ", (("rout", "router"),)),
        ("Konfiguration ", (("konfiguration", "konfigur"),)),
        ("12345 ", (("12345",),)),  # nothing to detect a language from; same in both
        # The joined word and each part of a hyphenated word are clauses of their own.
        ("WLAN-Passwort ", (("wlanpasswort",), ("wlan",), ("passwort",))),
    ],
)
def test_short_ambiguous_query_is_analysed_in_both_languages(
    analyzer: Analyzer, text: str, clauses: tuple[tuple[str, ...], ...]
) -> None:
    query = analyzer.query(text)
    assert query.languages == ("de", "en")
    assert query.clauses == clauses
    assert query.terms == tuple(term for clause in clauses for term in clause)
    assert query.clause_count == len(clauses)


def test_a_document_in_either_language_matches_the_ambiguous_query(analyzer: Analyzer) -> None:
    query = analyzer.query("Router ")
    assert clauses_match(query.clauses, analyzer.document_terms("Router", "de"))
    assert clauses_match(query.clauses, analyzer.document_terms("Router", "en"))


def test_ambiguous_prefix_is_expanded_for_both_languages(analyzer: Analyzer) -> None:
    prefix = typed(analyzer, "Router")
    assert prefix == PrefixTerm(starts=("router",), exact=("rout", "route"))
    assert prefix_matches(prefix, analyzer.document_terms("Router", "de")[0])
    assert prefix_matches(prefix, analyzer.document_terms("Routers", "en")[0])


def test_given_language_is_used_without_detection(analyzer: Analyzer) -> None:
    assert analyzer.query("Router ", lang="en") == AnalyzedQuery((("router",),), None, ("en",))


def test_detect_language_of_documents(analyzer: Analyzer) -> None:
    german = analyzer.detect_language("Seit dem Update verliert mein Router jede Nacht das WLAN.")
    english = analyzer.detect_language("Since the update my router loses its wifi every night.")
    assert (german.lang, english.lang) == ("de", "en")
    assert german.confidence > 0.9
    assert english.confidence > 0.9
    assert analyzer.detect_language("1234 !!!").confidence == 0.0


def test_english_only_analyser_neither_detects_nor_splits() -> None:
    analyzer = Analyzer(Settings(languages=("en",), default_language="en"))
    assert analyzer.query("Routerkonfiguration ") == AnalyzedQuery(
        (("routerkonfigur",),), None, ("en",)
    )
    assert analyzer.detect_language("Mein Router startet neu").lang == "en"


# --- concurrency and properties ----------------------------------------------------------


def test_analysis_from_many_threads_gives_the_same_terms(analyzer: Analyzer) -> None:
    texts = [
        ("Meine Routerkonfiguration ist weg, die Kündigung auch", "de"),
        ("The configuration of my router disappeared", "en"),
    ] * 50
    expected = [analyzer.document_terms(text, lang) for text, lang in texts]
    results: dict[int, list[list[str]]] = {}

    def work(worker: int) -> None:
        results[worker] = [analyzer.document_terms(text, lang) for text, lang in texts]

    workers = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert results == {n: expected for n in range(8)}


# Any Unicode text, control characters and unassigned code points included.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cs",)), max_size=80)
WORDY_TEXT = st.lists(
    st.sampled_from(
        ["Straße", "Kündigung", "WLAN-Passwort", "Routerkonfiguration", "it's", "\x00", "\t",
         "ＡＢＣ", "ﬁ", "İ", "-", "’", "ǅ", "\u0301", "ß", "ẞ", "the", "und", " "]
    )
    | ANY_TEXT,
    max_size=8,
).map("".join)  # fmt: skip


def assert_valid_term(term: str) -> None:
    assert term, "empty term"
    assert term == normalize(term), f"{term!r} is not normalised"
    assert len(term) <= MAX_TERM_CHARS
    assert not any(unicodedata.category(ch).startswith(("Z", "C")) for ch in term), term


@settings(max_examples=300, deadline=None, database=None)
@given(WORDY_TEXT, st.sampled_from(["de", "en"]))
def test_document_terms_of_any_text_are_non_empty_and_normalised(
    analyzer: Analyzer, text: str, lang: str
) -> None:
    for term in analyzer.document_terms(text, lang):
        assert_valid_term(term)


@settings(max_examples=300, deadline=None, database=None)
@given(WORDY_TEXT)
def test_queries_of_any_text_are_non_empty_and_normalised(analyzer: Analyzer, text: str) -> None:
    query = analyzer.query(text)
    assert set(query.languages) <= {"de", "en"}
    assert len(set(query.clauses)) == len(query.clauses), query.clauses
    for clause in query.clauses:
        assert clause, query.clauses
        assert len(set(clause)) == len(clause), clause
        for term in clause:
            assert_valid_term(term)
    assert query.terms == tuple(dict.fromkeys(t for clause in query.clauses for t in clause))
    if query.prefix is not None:
        assert query.prefix.starts
        for term in (*query.prefix.starts, *query.prefix.exact):
            assert term == normalize(term) and term, query.prefix


# Text made mostly of what breaks naive tokenisers: controls, format characters (zero-width
# joiners, bidi marks), separators, combining marks, private use, and some letters.
HOSTILE_TEXT = st.text(
    alphabet=st.characters(categories=("Cc", "Cf", "Co", "Zs", "Zl", "Zp", "Mn", "Me", "Lu", "Ll"))
    | st.sampled_from(["\x00", "\ufeff", "\u200b", "\u202e", "\ufffd", "ß", "-", "'"]),
    max_size=60,
)


@settings(max_examples=150, deadline=None, database=None)
@given(HOSTILE_TEXT, st.sampled_from(["de", "en"]))
def test_control_and_format_characters_never_reach_a_term(
    analyzer: Analyzer, text: str, lang: str
) -> None:
    for term in (*analyzer.document_terms(text, lang), *analyzer.query(text).terms):
        assert_valid_term(term)


@settings(max_examples=8, deadline=None, database=None)
@given(st.text(min_size=1, max_size=12), st.integers(20_000, 80_000))
def test_huge_inputs_are_analysed_with_bounded_terms(
    analyzer: Analyzer, piece: str, repeat: int
) -> None:
    text = (piece + " ") * repeat  # 40 KB to 1 MB
    for term in analyzer.document_terms(text, "de"):
        assert_valid_term(term)
    query = analyzer.query(text)
    assert set(query.languages) <= {"de", "en"}
    for term in query.terms:
        assert_valid_term(term)


def test_an_enormous_word_is_dropped_and_the_rest_kept(analyzer: Analyzer) -> None:
    word = "Routerkonfiguration" * 50_000  # one "word" of nearly a megabyte: no term
    terms = analyzer.document_terms(f"WLAN {word} Passwort", "de")
    assert terms and all(len(term) <= MAX_TERM_CHARS for term in terms)
    assert {"wlan", "passwort"} <= set(terms)
    assert analyzer.query(word).terms == ()
