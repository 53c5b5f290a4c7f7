"""Synonyms widen the analysed query, the same for every backend (indexer.curation.synonyms)."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.analysis.analyzer import AnalyzedQuery, Analyzer
from indexer.curation.errors import InvalidRule
from indexer.curation.rules import Synonyms
from indexer.curation.synonyms import SynonymTable, expand, read_synonym_file
from indexer.engine import Engine

FRITZ = Synonyms("de", ("Fritzbox", "FRITZ!Box"))
WIFI = Synonyms("en", ("WiFi", "wireless LAN"))


@pytest.fixture(scope="module")
def analyzer(engine: Engine) -> Analyzer:
    return engine.analyzer


def expanded(
    analyzer: Analyzer, text: str, *groups: Synonyms, partial: bool = False, lang: str = "de"
) -> AnalyzedQuery:
    query = analyzer.query(text, lang=lang, partial=partial)
    return expand(query, text, partial, SynonymTable(groups), analyzer)


def test_either_spelling_gives_clauses_that_accept_both(analyzer: Analyzer) -> None:
    both = (("fritzbox", "fritz"), ("fritzbox", "box"))
    assert expanded(analyzer, "Fritzbox", FRITZ).clauses == both
    assert expanded(analyzer, "FRITZ!Box", FRITZ).clauses == both
    assert expanded(analyzer, "fritz box", FRITZ).clauses == both


def test_the_other_words_of_the_query_stay_as_they_were(analyzer: Analyzer) -> None:
    plain = analyzer.query("Fritzbox blinkt rot", lang="de", partial=False)
    widened = expanded(analyzer, "Fritzbox blinkt rot", FRITZ)
    assert widened.clauses[2:] == plain.clauses[1:]
    assert widened.clauses[:2] == (("fritzbox", "fritz"), ("fritzbox", "box"))


def test_a_compound_term_gives_up_its_parts(analyzer: Analyzer) -> None:
    zebra = Synonyms("de", ("Zebrakasten", "Quokka!Box"))
    plain = analyzer.query("Zebrakasten", lang="de", partial=False)
    assert ("zebra",) in plain.clauses  # the compound's part: a clause of its own
    widened = expanded(analyzer, "Zebrakasten", zebra).clauses
    assert widened == ((*plain.clauses[0], "quokka"), (*plain.clauses[0], "box"))


def test_the_word_being_typed_counts_once_it_spells_a_term(analyzer: Analyzer) -> None:
    typed = expanded(analyzer, "meine Fritzbox", FRITZ, partial=True)
    assert typed.prefix is None
    assert typed.clauses[-2:] == (("fritzbox", "fritz"), ("fritzbox", "box"))
    half = expanded(analyzer, "meine Fritzb", FRITZ, partial=True)
    assert half == analyzer.query("meine Fritzb", lang="de", partial=True)


def test_a_group_applies_to_queries_in_its_language_only(analyzer: Analyzer) -> None:
    assert expanded(analyzer, "Fritzbox", FRITZ, lang="en") == analyzer.query(
        "Fritzbox", lang="en", partial=False
    )
    wifi, wireless, lan, drops = (
        analyzer.document_terms(word, "en")[0] for word in ("WiFi", "wireless", "LAN", "drops")
    )
    widened = expanded(analyzer, "my WiFi drops", WIFI, lang="en").clauses
    assert widened == ((wifi, wireless), (wifi, lan), (drops,))


def test_the_synonym_file_is_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text(
        "# brands\nde: Fritzbox, FRITZ!Box\n\nen: WiFi, wireless LAN, WLAN\n", encoding="utf-8"
    )
    groups = read_synonym_file(path, ("de", "en"))
    assert groups == [
        Synonyms("de", ("Fritzbox", "FRITZ!Box")),
        Synonyms("en", ("WiFi", "wireless LAN", "WLAN")),
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("Fritzbox = FRITZ!Box", "line 2: expected 'lang: term, term'"),
        ("de: Fritzbox", "line 2: a synonym group needs at least two different terms"),
        ("de: Fritzbox, fritzbox", "line 2: a synonym group needs at least two different terms"),
        ("de:", "line 2: terms must be a non-empty list"),
        ("fr: Box, Boîte", 'line 2: lang must be one of de, en, not "fr"'),
    ],
)
def test_a_bad_line_is_named(tmp_path: Path, line: str, problem: str) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text(f"en: WiFi, WLAN\n{line}\n", encoding="utf-8")
    with pytest.raises(InvalidRule, match=problem):
        read_synonym_file(path, ("de", "en"))
