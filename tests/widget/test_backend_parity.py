"""The same askfind on both backends: the sample community indexed into the embedded index
and into a real Elasticsearch suggests the same top 3 for the same questions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from indexer.engine import Engine
from indexer.sources import read_source
from tests.conftest import engine_on
from tests.services import delete_indices, unique_prefix
from widget.app import create_app

QUERIES = [
    # German, English, as typed
    "WLAN bricht abends ständig ab",
    "Zugangsdaten Brief verloren",
    "Glasfasermodem LOS leuchtet rot",
    "Rechnung ist viel zu hoch",
    "wifi keeps dropping on my iPhone",
    "port forwarding not working",
    "internet much slower than what I pay for",
    "Vertrag kündigen Frist",
    "Roaming Kosten im Urlaub",
    # typos
    "WLAN brcht ständig ab",
    "Pasword für Router vergessen",
    "fibre modm red light",
    # the last word still being typed
    "Rufnummer unterdr",
    "eSIM auf neues iPh",
    "How do I change the WiFi passw",
    "Technician didn't sho",
]


@pytest.fixture(scope="module")
def elasticsearch_sample(
    engine: Engine,
    elasticsearch_url: str,
    sample_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Engine]:
    """The sample community in Elasticsearch, sharing the session's model and analyser."""
    prefix = unique_prefix()
    loaded = engine_on(
        engine,
        tmp_path_factory.mktemp("parity"),
        backend="elasticsearch",
        elasticsearch_url=elasticsearch_url,
        elasticsearch_index_prefix=prefix,
    )
    try:
        report = loaded.indexer().run(read_source(sample_path))
        assert report.indexed == 300 and loaded.backend.stats().threads == 300
        yield loaded
    finally:
        loaded.close()
        delete_indices(elasticsearch_url, prefix)


def top3(app: Flask, endpoint: str, text: str) -> list[str]:
    answer = app.test_client().get(endpoint, query_string={"q": text, "limit": 3})
    assert answer.status_code == 200, answer.get_json()
    return [item["id"] for item in answer.get_json()["items"]]


@pytest.mark.parametrize("endpoint", ["/api/suggest", "/api/search"])
def test_both_backends_answer_with_the_same_top_three(
    endpoint: str, sample_engine: Engine, elasticsearch_sample: Engine
) -> None:
    """Suggestions (after the confidence floor), and the ranking beneath the floor too."""
    embedded = create_app(engine=sample_engine)
    elasticsearch = create_app(engine=elasticsearch_sample)
    differences = {
        text: (mine, theirs)
        for text in QUERIES
        if (mine := top3(embedded, endpoint, text))
        != (theirs := top3(elasticsearch, endpoint, text))
    }
    assert differences == {}
    # Not vacuous: nearly every question has suggestions above the floor.
    answered = sum(bool(top3(embedded, endpoint, text)) for text in QUERIES)
    assert answered >= len(QUERIES) - 2
