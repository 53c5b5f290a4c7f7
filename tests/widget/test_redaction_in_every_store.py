"""Personal data typed into a query reaches no store in clear, on either backend.

Every input that takes a query (suggest, search, events, the agents' duplicate
judgements) gets the same questions holding an e-mail address, an IBAN, a phone number
and a customer number; then every place a query is kept is read back raw: the logs, every
file of the data dir (the SQLite event store and the judgements included, with their
write-ahead logs), every index of the service on Elasticsearch (the events index
included), and Redis's keys. Redis's values are not read here: what a cached answer
holds is the cache's own test (tests/widget/test_cache.py).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan
from flask import Flask

from indexer.analytics.judgements import JudgementStore
from indexer.engine import Engine
from indexer.settings import Settings
from tests.widget.helpers import AUTH, seeded_app
from widget.context import engine_of
from widget.events import event_store_of

ORIGIN = "http://localhost"
THREADS = [
    {"id": "bill", "title": "Rechnung doppelt so hoch wie sonst", "lang": "de"},
    {"id": "wlan", "title": "WLAN bricht abends ab", "lang": "de"},
]
# A question with personal data -> pieces of that data none of which may be stored.
PERSONAL = {
    "Rechnung an lisa.test@example.de zu hoch": ["lisa.test", "test@example"],
    "Rechnung an max.mustermann(at)example.de zu hoch": ["mustermann"],
    "Rechnung IBAN DE89-3704-0044-0532-0130-00 zu hoch": ["3704-0044", "0532-0130"],
    "Rechnung Rückruf +49 (0) 151 / 234 567 89 zu hoch": ["151 / 234", "234 567", "567 89"],
    "Rechnung Kundennummer lautet K123456 zu hoch": ["K123456"],
}


@pytest.fixture(params=["embedded", "elasticsearch"])
def app(
    request: pytest.FixtureRequest, engine: Engine, tmp_path: Path, redis_url: str
) -> Iterator[Flask]:
    """An app with Redis over an index of the test's own on each backend."""
    with seeded_app(
        request, engine, tmp_path / "data", THREADS, widget_origins=(ORIGIN,), redis_url=redis_url
    ) as served:
        yield served


def send_every_query(app: Flask) -> None:
    """Each question through every input that takes a query."""
    client = app.test_client()
    for question in PERSONAL:
        for endpoint in ("/api/suggest", "/api/search"):
            assert client.get(endpoint, query_string={"q": question}).status_code == 200
        assert client.post("/api/search", json={"q": question}).status_code == 200
        event = {"type": "asked_anyway", "session": "s-redaction-0", "query": question}
        sent = client.post(
            "/api/events", data=json.dumps(event), content_type="text/plain",
            headers={"Origin": ORIGIN},
        )  # fmt: skip
        assert sent.status_code == 202
        judgement = {"thread": "wlan", "duplicate_of": "bill", "query": question}
        assert client.post("/api/agent/duplicates", json=judgement, headers=AUTH).status_code == 201


def leaks(text: str) -> list[str]:
    return [piece for pieces in PERSONAL.values() for piece in pieces if piece in text]


def test_no_store_keeps_personal_data_in_clear(
    app: Flask, log_lines: io.StringIO, redis_url: str
) -> None:
    send_every_query(app)
    settings = engine_of(app).settings
    # The stores did keep the queries, redacted (or this test would prove nothing).
    events = [e.event.query for e in event_store_of(app).read()]
    judgements = JudgementStore(settings.data_dir)
    judged = [j.query for j in judgements.read()]
    judgements.close()
    for kept in (events, judged):
        assert len(kept) == len(PERSONAL), kept
        assert all(q.startswith("Rechnung ") and "[" in q for q in kept), kept
    logged = log_lines.getvalue()
    assert "Rechnung" in logged  # the access log holds the queries
    assert leaks(logged) == []
    files = {
        str(path.relative_to(settings.data_dir)): leaks(path.read_bytes().decode("latin-1"))
        for path in settings.data_dir.rglob("*")
        if path.is_file()
    }
    assert {name: found for name, found in files.items() if found} == {}
    keys = [key.decode("utf-8", "replace") for key in redis.Redis.from_url(redis_url).keys("*")]
    assert keys and leaks(" ".join(keys)) == []
    if settings.backend == "elasticsearch":
        documents = every_document(settings)
        assert "Rechnung" in documents  # the events index holds the queries
        assert leaks(documents) == []


def every_document(settings: Settings) -> str:
    """Every document of every index under the service's prefix, as one JSON text."""
    with Elasticsearch(settings.elasticsearch_url, request_timeout=30) as client:
        pattern = f"{settings.elasticsearch_index_prefix}*"
        client.indices.refresh(index=pattern)
        hits = scan(client, index=pattern)
        return json.dumps([[hit["_index"], hit["_id"], hit.get("_source")] for hit in hits])
