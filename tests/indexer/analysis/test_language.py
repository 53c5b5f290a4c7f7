"""Tests of language detection among the configured languages."""

from __future__ import annotations

import pytest

from indexer.analysis.language import DETECTION_CHARS, LanguageDetector, LanguageGuess
from indexer.errors import ConfigError


@pytest.fixture(scope="module")
def detector() -> LanguageDetector:
    return LanguageDetector(("de", "en"), default="de")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Seit dem Update verliert mein Router jede Nacht die Verbindung.", "de"),
        ("Since the update my router drops the connection every night.", "en"),
    ],
)
def test_detects_the_language_of_a_sentence(
    detector: LanguageDetector, text: str, lang: str
) -> None:
    guess = detector.detect(text)
    assert guess.lang == lang
    assert guess.confidence > 0.9


@pytest.mark.parametrize("text", ["", "   ", "0815 / 4711 !!!", "🙂🙂"])
def test_without_letters_the_default_is_returned_with_no_confidence(
    detector: LanguageDetector, text: str
) -> None:
    assert detector.detect(text) == LanguageGuess("de", 0.0)


def test_only_the_start_of_a_long_text_is_looked_at(detector: LanguageDetector) -> None:
    german = "Mein Router startet jede Nacht neu und ich weiß nicht warum. " * 20
    english = "My router restarts every night and I do not know why. " * 200
    assert len(german) >= DETECTION_CHARS
    assert detector.detect(german + english).lang == "de"


def test_a_single_language_needs_no_detection() -> None:
    assert LanguageDetector(("en",), default="en").detect("Das ist Deutsch") == LanguageGuess(
        "en", 0.0
    )


def test_default_must_be_one_of_the_languages() -> None:
    with pytest.raises(ConfigError) as raised:
        LanguageDetector(("de", "en"), default="fr")
    assert str(raised.value) == "default_language 'fr' is not one of ['de', 'en']"


def test_unknown_language_code_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as raised:
        LanguageDetector(("de", "xx"), default="de")
    assert str(raised.value) == "unknown language code 'xx' in languages"
    assert isinstance(raised.value.__cause__, AttributeError)
