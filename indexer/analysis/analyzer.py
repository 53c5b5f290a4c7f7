"""Turn text into index terms, the same way for documents and queries and for every backend.

Steps (DESIGN.md decision 1): Unicode NFKC normalisation and case folding (so "Straße"
and "STRASSE" agree), word tokenisation that keeps hyphenated compounds both joined and in
parts, German words written with the umlauts they mean ("Kuendigung" -> "kündigung",
see ``umlauts``), stop-word removal, German compound splitting, then dictionary
lemmatisation (simplemma) followed by Snowball stemming in the text's language. Snowball
alone leaves German verb forms apart ("spielt" -> spielt, "spielen" -> spiel; "läuft" /
"laufen"); the lemma first brings them together. A query additionally treats its last,
still-being-typed word as a prefix, folded the way Snowball folds umlauts.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import Stemmer

from indexer.analysis.compounds import CompoundSplitter
from indexer.analysis.language import LanguageDetector, LanguageGuess
from indexer.analysis.lemmas import cached_lemmatizer
from indexer.analysis.umlauts import UmlautRestorer, german_stem_fold, respell, transliterate
from indexer.settings import Settings

# Snowball algorithm names by ISO 639-1 code, for the languages PyStemmer knows.
SNOWBALL = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "fi": "finnish", "fr": "french",
    "hu": "hungarian", "it": "italian", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish", "tr": "turkish",
}  # fmt: skip
WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
MAX_TERM_CHARS = 40
TOKEN_CACHE_SIZE = 500_000
LEMMA_CACHE_SIZE = 500_000
MIN_WORDS_TO_DETECT = 3
# How many characters a typed word may run past the stem of the word being typed:
# "konfigurati" still finds the stem "konfigur" of "Konfiguration".
PREFIX_OVERSHOOT = 3
WORD_JOINERS = re.compile(r"[-'’]")
WORD_PIECE = re.compile(r"[^\W_]+")
# Languages without umlauts, whose analysis writes German ones out as ae/oe/ue, as their
# texts write German words ("Mueller"): an English thread quoting "Störung" then meets
# "Stoerung", typed in a query analysed in English too. (Not for languages whose Snowball
# stemmer knows ä/ö/ü as letters of their own: Finnish, Swedish, Hungarian, Turkish, ...)
TRANSLITERATING_LANGUAGES = frozenset({"en"})


@dataclass(frozen=True, slots=True)
class PrefixTerm:
    """The half-typed last word of a query, as index terms that may continue it.

    A backend matches every term that starts with one of ``starts`` (up to a limit, most
    frequent first) and every term equal to one of ``exact`` (stems the word may end up at).
    """

    starts: tuple[str, ...]
    exact: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AnalyzedQuery:
    """A query as the backends see it.

    ``clauses`` are the things a thread can match, one per query word (and one per part
    of a compound); each holds alternative terms - the word's stem in each language the
    query may be in - of which a thread needs one. ``prefix`` is the word being typed.
    """

    clauses: tuple[tuple[str, ...], ...]
    prefix: PrefixTerm | None
    languages: tuple[str, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        """Every term of every clause, once."""
        return tuple(dict.fromkeys(term for clause in self.clauses for term in clause))

    @property
    def is_empty(self) -> bool:
        return not self.clauses and self.prefix is None

    @property
    def clause_count(self) -> int:
        """Number of things a thread can match: each clause, and the prefix."""
        return len(self.clauses) + (1 if self.prefix else 0)


def normalize(text: str) -> str:
    """NFKC-normalise and case-fold text (ß -> ss, ligatures and full-width forms unfolded)."""
    return unicodedata.normalize("NFKC", text).casefold()


def words(text: str) -> list[str]:
    """Split normalised text into words; hyphenated compounds stay one word."""
    return WORD.findall(text)


class Analyzer:
    """The one analyser of askfind; cheap to call, expensive to build (load once)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.languages = tuple(settings.languages)
        self.detector = LanguageDetector(self.languages, settings.default_language)
        self._stop_words = {lang: _stop_words(lang) for lang in self.languages}
        self._restorer = UmlautRestorer.german() if "de" in self.languages else None
        self._splitter = (
            CompoundSplitter.german(
                self._stop_words["de"],
                settings.compound_min_chars,
                respell=self._restorer.restore,
            )
            if self._restorer is not None
            else None
        )
        # PyStemmer objects are not thread-safe: one set per thread.
        self._local = threading.local()
        self._token_terms = lru_cache(maxsize=TOKEN_CACHE_SIZE)(self._analyse_token)
        self._lemmatizer = cached_lemmatizer(settings.model_cache_dir)
        self._lemma = lru_cache(maxsize=LEMMA_CACHE_SIZE)(self._dictionary_form)

    # --- documents -------------------------------------------------------------------

    def detect_language(self, text: str) -> LanguageGuess:
        """Guess the language of a text among the configured ones."""
        return self.detector.detect(text)

    def for_embedding(self, text: str) -> str:
        """``text`` as the embedding models should read it: German typed without umlauts
        written with them ("Stoerung" -> "Störung"), for documents and queries alike."""
        return respell(text, self._restorer) if self._restorer is not None else text

    def document_terms(self, text: str, lang: str) -> list[str]:
        """Return the index terms of a text in a known language, repeated as often as they occur."""
        return list(self._terms(words(normalize(text)), lang))

    # --- queries ---------------------------------------------------------------------

    def query(self, text: str, lang: str | None = None, partial: bool = True) -> AnalyzedQuery:
        """Analyse a query as typed so far.

        Args:
            text: what the customer has typed.
            lang: the query language if known; otherwise it is detected, and a query whose
                language is unsure is analysed in every configured language.
            partial: treat the last word as still being typed unless the text ends in a
                space or punctuation.
        """
        folded = normalize(text)
        tokens = words(folded)
        languages = self._query_languages(text, lang, len(tokens))
        prefix = None
        if partial and tokens and folded.endswith(tokens[-1]):
            typing = WORD_JOINERS.split(tokens.pop())
            # "WLAN-Passw": the finished parts are words, the last one is being typed.
            tokens.extend(part for part in typing[:-1] if part)
            # A word of one or two letters so far says too little to search for.
            if len(typing[-1]) >= self.settings.prefix_min_chars:
                joined = "".join(typing) if len(typing) > 1 else None
                prefix = self._prefix(typing[-1], languages, joined)
        clauses: dict[tuple[str, ...], None] = {}
        for token in tokens:
            per_language = [list(self._terms([token], code)) for code in languages]
            main = tuple(dict.fromkeys(terms[0] for terms in per_language if terms))
            if main:
                clauses[main] = None
            for terms in per_language:
                for extra in terms[1:]:  # compound and hyphen parts: clauses of their own
                    if (extra,) not in clauses and extra not in main:
                        clauses[(extra,)] = None
        return AnalyzedQuery(tuple(clauses), prefix, languages)

    def _query_languages(self, text: str, lang: str | None, words_typed: int) -> tuple[str, ...]:
        if lang:
            return (lang,)
        # One or two words ("Konfiguration", "eSIM iPhone") do not tell a language apart.
        if words_typed < MIN_WORDS_TO_DETECT:
            return self.languages
        guess = self.detector.detect(text)
        if guess.confidence >= self.settings.language_confidence:
            return (guess.lang,)
        return self.languages

    def _prefix(self, word: str, languages: Iterable[str], joined: str | None) -> PrefixTerm:
        starts: dict[str, None] = {}
        exact: dict[str, None] = {}
        shortest_stem = self.settings.prefix_min_chars + 1
        for lang in languages:
            forms = [word, joined] if joined else [word]
            if lang == "de":
                # German stems are Snowball's, which has folded umlauts and ae/oe/ue.
                forms = [german_stem_fold(form) for form in forms]
            else:
                forms = [self._respell(form, lang) for form in forms]
            starts.update(dict.fromkeys(forms))
            # The stem the word has if it is already complete ("aendert" -> ändern -> and).
            complete = self._respell(word, lang)
            exact[self._stem(self._lemma(complete, lang), lang)] = None
            for form in forms:
                for end in range(
                    len(form) - 1, max(shortest_stem, len(form) - PREFIX_OVERSHOOT) - 1, -1
                ):
                    exact[form[:end]] = None
        return PrefixTerm(tuple(starts), tuple(term for term in exact if term not in starts))

    # --- shared ----------------------------------------------------------------------

    def _terms(self, tokens: Iterable[str], lang: str) -> Iterator[str]:
        token_terms = self._token_terms
        for token in tokens:
            yield from token_terms(token, lang)

    def _analyse_token(self, token: str, lang: str) -> tuple[str, ...]:
        """The terms of one word (cached: a few thousand words make most of any text)."""
        stop_words = self._stop_words.get(lang, frozenset())
        # Before the stop words, the lemmatiser and the splitter, which know "für" and
        # "gekündigt" but not "fuer" and "gekuendigt".
        token = self._respell(token, lang)
        if len(token) > MAX_TERM_CHARS:
            return ()
        parts = WORD_JOINERS.split(token)
        joined = "".join(parts)
        if token in stop_words or joined in stop_words:
            return ()
        if len(parts) == 1:
            return tuple(self._word_terms(token, lang, split=True))
        terms = list(self._word_terms(joined, lang, split=False))
        for part in parts:
            if part not in stop_words:
                terms.extend(self._word_terms(part, lang, split=True))
        return tuple(terms)

    def _word_terms(self, word: str, lang: str, split: bool) -> Iterator[str]:
        if len(word) < 2:
            return
        yield self._stem(self._lemma(word, lang), lang)
        if split and lang == "de" and self._splitter is not None:
            for part in self._splitter.split(word):
                yield self._stem(self._lemma(part, lang), lang)

    def _respell(self, token: str, lang: str) -> str:
        """A word in the spelling its language's analysis expects: German with the umlauts
        it means (each part of a hyphenated word), English with none."""
        if lang in TRANSLITERATING_LANGUAGES:
            return transliterate(token)
        if lang != "de" or self._restorer is None:
            return token
        restore = self._restorer.restore
        return WORD_PIECE.sub(lambda piece: restore(piece.group()), token)

    def _dictionary_form(self, word: str, lang: str) -> str:
        """The dictionary form of a word (simplemma), or the word where none is known."""
        try:
            lemma = self._lemmatizer.lemmatize(word, lang=lang)
        except ValueError:  # a language simplemma has no dictionary for
            return word
        lemma = lemma.casefold()
        return lemma if lemma and WORD.fullmatch(lemma) else word

    def _stem(self, word: str, lang: str) -> str:
        stemmers = self._local.__dict__.setdefault("stemmers", {})
        stemmer = stemmers.get(lang)
        if stemmer is None:
            if lang not in SNOWBALL:
                return word
            stemmer = stemmers[lang] = Stemmer.Stemmer(SNOWBALL[lang])
        return stemmer.stemWord(word)


def _stop_words(lang: str) -> frozenset[str]:
    """The bundled Snowball stop words of a language (none for languages without a list)."""
    resource = resources.files("indexer.analysis").joinpath("stopwords", f"{lang}.txt")
    if not resource.is_file():
        return frozenset()
    lines = resource.read_text(encoding="utf-8").splitlines()
    return frozenset(normalize(line.strip()) for line in lines if line and not line.startswith("#"))
