"""Synonyms applied at query time, in askfind's own analysis, so every backend gets them.

The Elasticsearch minimal distribution has no synonym token filter (no analysis-common
module), and askfind's backends do not analyse anyway (DESIGN.md decision 1): a synonym
group widens the analysed query instead. Where the query's words spell one term of a
group ("fritzbox"), the clauses of those words are replaced by clauses that accept any
term of the group, position by position: "Fritzbox" = "FRITZ!Box" turns the one clause
(fritzbox) into two, (fritzbox | fritz) and (fritzbox | box). A thread that writes either
spelling then matches every clause (full coverage, as for the spelling typed), one with
only "box" matches half of them. The clauses of the typed word's compound parts go: the
group stands for the whole word. Terms of different lengths are aligned proportionally.

The word still being typed counts once it spells the group's term completely: "Fritzbox"
typed as the last word is taken as a finished word, not as a prefix.

Synonyms widen the lexical leg only; the vector leg reads the text as typed, which the
embeddings already place near its synonyms where the model knows them.

The file format (``askfind rules synonyms FILE``): one group a line, ``lang: term, term``;
empty lines and lines starting with ``#`` are skipped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from indexer.analysis.analyzer import AnalyzedQuery, Analyzer, normalize, words
from indexer.curation.errors import InvalidRule
from indexer.curation.rules import SYNONYMS, Synonyms, parse_rule
from indexer.json_input import not_utf8

Clause = tuple[str, ...]


class SynonymTable:
    """Synonym groups with each term's words, by its first word: found in a query by a
    dictionary look-up per query word, however many groups there are."""

    def __init__(self, groups: Sequence[Synonyms]) -> None:
        self.groups = tuple(groups)
        self._by_first: dict[str, list[tuple[tuple[str, ...], Synonyms]]] = {}
        for group in self.groups:
            for term in group.terms:
                spelled = tuple(words(normalize(term)))
                if spelled:
                    self._by_first.setdefault(spelled[0], []).append((spelled, group))
        for spellings in self._by_first.values():
            spellings.sort(key=lambda found: -len(found[0]))  # the longest term first

    def __bool__(self) -> bool:
        return bool(self.groups)

    def matches(
        self, tokens: list[str], languages: Sequence[str]
    ) -> Iterable[tuple[int, int, Synonyms]]:
        """Where the words spell a term of a group of one of ``languages``: (start, end,
        group), left to right, the longest term first, never overlapping."""
        position = 0
        while position < len(tokens):
            for spelled, group in self._by_first.get(tokens[position], ()):
                end = position + len(spelled)
                if group.lang in languages and tuple(tokens[position:end]) == spelled:
                    yield position, end, group
                    position = end
                    break
            else:
                position += 1


def expand(
    query: AnalyzedQuery,
    text: str,
    partial: bool,
    table: SynonymTable,
    analyzer: Analyzer,
) -> AnalyzedQuery:
    """``query`` (the analysis of ``text``) with the synonyms of its languages applied."""
    if not table or query.is_empty:
        return query
    folded = normalize(text)
    tokens = words(folded)
    typing_last = partial and bool(tokens) and folded.endswith(tokens[-1])

    def clause_of(word: str) -> Clause:
        """The clause the analyser made of a word: its main term in each language."""
        firsts = (analyzer.document_terms(word, lang)[:1] for lang in query.languages)
        return tuple(dict.fromkeys(term for first in firsts for term in first))

    def part_clauses(word: str) -> list[Clause]:
        """The clauses the analyser added for a word's compound parts."""
        parts = (analyzer.document_terms(word, lang)[1:] for lang in query.languages)
        return [(term,) for terms in parts for term in terms]

    replaced: dict[Clause, list[Clause]] = {}
    typed: list[Clause] = []  # a group's clauses for the word being typed, which has none
    completes_prefix = False
    for start, end, group in table.matches(tokens, query.languages):
        spellings = [[c for w in words(normalize(t)) if (c := clause_of(w))] for t in group.terms]
        aligned = _aligned([spelled for spelled in spellings if spelled])
        spelled = [c for word in tokens[start:end] if (c := clause_of(word))]
        if not aligned or not spelled:  # stop words only
            continue
        reaches_prefix = typing_last and end == len(tokens)
        completes_prefix |= reaches_prefix
        if reaches_prefix and spelled[0] not in query.clauses:
            typed.extend(aligned)
            continue
        # The aligned clauses take the place of the first of the matched words' clauses;
        # the others go, and so do the clauses of their compound parts ("Zebrakasten":
        # zebra, kast), which the group's other spellings do not have.
        replaced[spelled[0]] = aligned
        parts = [part for word in tokens[start:end] for part in part_clauses(word)]
        for clause in [*spelled[1:], *parts]:
            replaced.setdefault(clause, [])
    if not replaced and not typed:
        return query
    clauses: dict[Clause, None] = {}
    for clause in query.clauses:
        for new in replaced.get(clause, [clause]):
            clauses[new] = None
    clauses.update(dict.fromkeys(typed))
    prefix = None if completes_prefix else query.prefix
    return replace(query, clauses=tuple(clauses), prefix=prefix)


def _aligned(spellings: list[list[Clause]]) -> list[Clause]:
    """Clauses accepting every spelling, position by position (the longest spelling sets
    how many; a shorter one's words are spread over them proportionally)."""
    if not spellings:
        return []
    count = max(len(spelled) for spelled in spellings)
    aligned: list[Clause] = []
    for position in range(count):
        terms: dict[str, None] = {}
        for spelled in spellings:
            terms.update(dict.fromkeys(spelled[position * len(spelled) // count]))
        aligned.append(tuple(terms))
    return aligned


def read_synonym_file(path: Path, languages: tuple[str, ...]) -> list[Synonyms]:
    """The groups of a synonym file, checked as the admin API checks them.

    Raises:
        InvalidRule: the file is not UTF-8 text, a line is not ``lang: term, term``, or its
            group is not valid; the message names the line.
        OSError: the file cannot be read.
    """
    groups: list[Synonyms] = []
    try:
        lines = path.read_bytes().decode("utf-8").splitlines()
    except UnicodeDecodeError as e:
        raise InvalidRule(f"{path} is {not_utf8(e)}") from e
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        lang, colon, listed = line.partition(":")
        if not colon:
            raise InvalidRule(f"{path}, line {number}: expected 'lang: term, term', got {line!r}")
        terms = [term.strip() for term in listed.split(",") if term.strip()]
        try:
            group = parse_rule({"kind": SYNONYMS, "lang": lang.strip(), "terms": terms}, languages)
        except InvalidRule as e:
            raise InvalidRule(f"{path}, line {number}: {e}", e.parameter) from e
        assert isinstance(group, Synonyms)
        groups.append(group)
    return groups
