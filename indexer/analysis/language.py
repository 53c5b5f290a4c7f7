"""Tell which of the configured languages a text is in (lingua, restricted to those)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

from indexer.errors import ConfigError

# Enough of a post to recognise its language; more only costs time.
DETECTION_CHARS = 600


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    """The most likely language and how sure the detector is (0..1)."""

    lang: str
    confidence: float


class LanguageDetector:
    """Detect the language of posts and queries among a fixed set of languages."""

    def __init__(self, languages: Sequence[str], default: str) -> None:
        if default not in languages:
            raise ConfigError(f"default_language {default!r} is not one of {list(languages)}")
        self.languages = tuple(languages)
        self.default = default
        # Checked here, so a language lingua does not know fails at start-up.
        self._lingua_languages = (
            [_lingua_language(code) for code in self.languages] if len(languages) > 1 else []
        )
        self._detector: Any = None
        self._lock = threading.Lock()

    def detect(self, text: str) -> LanguageGuess:
        """Return the best guess; with no letters to go by, the default language."""
        if len(self.languages) < 2 or not any(ch.isalpha() for ch in text):
            return LanguageGuess(self.default, 0.0)
        values = self._built().compute_language_confidence_values(text[:DETECTION_CHARS])
        if not values:
            return LanguageGuess(self.default, 0.0)
        best = values[0]
        return LanguageGuess(best.language.iso_code_639_1.name.lower(), best.value)

    def _built(self) -> Any:
        """The lingua detector, built on first use: a tenth of a second that a process
        answering only short queries (which are never detected) does not spend."""
        if self._detector is None:
            with self._lock:
                if self._detector is None:
                    # Low-accuracy mode uses trigram models only: about 10 MB instead of
                    # about 120 for two languages. Short, unsure queries are analysed in
                    # every language anyway.
                    self._detector = (
                        LanguageDetectorBuilder.from_languages(*self._lingua_languages)
                        .with_low_accuracy_mode()
                        .with_preloaded_language_models()
                        .build()
                    )
        return self._detector


def _lingua_language(code: str) -> Language:
    try:
        return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))
    except AttributeError as e:
        raise ConfigError(f"unknown language code {code!r} in languages") from e
