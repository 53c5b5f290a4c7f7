"""Shared fixtures of the indexer tests: the analyser is slow to build, so it is built once."""

from __future__ import annotations

import pytest

from indexer.analysis.analyzer import Analyzer
from indexer.settings import Settings


@pytest.fixture(scope="session")
def analysis_settings() -> Settings:
    """Settings with every analysis knob pinned, so the expected terms do not follow
    whatever defaults, askfind.toml or ASKFIND_* variables happen to say."""
    return Settings(
        languages=("de", "en"),
        default_language="de",
        language_confidence=0.9,
        prefix_min_chars=3,
        compound_min_chars=8,
    )


@pytest.fixture(scope="session")
def analyzer(analysis_settings: Settings) -> Analyzer:
    """The German + English analyser (about a second to build: stemmers, word frequencies,
    language models)."""
    return Analyzer(analysis_settings)
