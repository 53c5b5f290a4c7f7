"""Private boards never leak: a restricted thread is invisible to the public widget, the public
API and the suggestion cache, on both backends, while agents with the right group see it.

The sweep sends every query that matches a restricted thread exactly (its title, as typed
word by word, its body's and solution's words, its id) through every public endpoint,
and compares each answer with the answer the same index gave before the restricted
threads were written: the same threads and the same totals, so not even a count tells
that they exist.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.conftest import backend_settings, engine_on
from widget.app import create_app
from widget.auth import digest_of

WRITER_KEY = "writer-key-0123456789abcdef0123456789abcdef"
STAFF_KEY = "staff-key-0123456789abcdef0123456789abcdef"
WRITER = {"Authorization": f"Bearer {WRITER_KEY}"}
STAFF = {"Authorization": f"Bearer {STAFF_KEY}"}
SECRET_WORDS = ("Zebraflamingo", "Quarzlampe", "Kolibrikette", "intern-")

PUBLIC = [
    {
        "id": "pub-wlan",
        "title": "WLAN bricht abends ständig ab",
        "body": "Seit einer Woche verliert mein Laptop jeden Abend das WLAN.",
        "board": "Router & WLAN",
        "lang": "de",
    },
    {
        "id": "pub-glas",
        "title": "Glasfasermodem LOS leuchtet rot",
        "body": "Die LOS-Lampe am Modem ist rot, kein Internet.",
        "board": "Router & WLAN",
        "lang": "de",
        "accepted_answer": {"body": "Glasfaserkabel prüfen und Modem neu starten."},
    },
    {
        "id": "pub-bill",
        "title": "Rechnung viel zu hoch",
        "body": "Meine Rechnung ist doppelt so hoch wie sonst.",
        "board": "Rechnung",
        "lang": "de",
    },
    {
        "id": "pub-esim",
        "title": "eSIM auf neues iPhone übertragen",
        "body": "Wie bekomme ich die eSIM auf das neue Telefon?",
        "board": "Mobilfunk",
        "lang": "de",
    },
    {
        "id": "pub-wifi",
        "title": "WiFi keeps dropping every evening",
        "body": "The wireless connection drops at 7pm.",
        "board": "Router & WLAN",
        "lang": "en",
    },
]
RESTRICTED = [
    {
        "id": "intern-101",
        "title": "Zebraflamingo Eskalation Glasfaser Großkunde",
        "body": "Interne Anweisung: die Quarzlampe im Backoffice zeigt Störungen an.",
        "board": "Intern",
        "lang": "de",
        "visibility": ["staff"],
        "accepted_answer": {"body": "Kolibrikette an das Netzteam melden."},
    },
    {
        # A restricted duplicate of a public thread: it must not raise its count.
        "id": "intern-102",
        "title": "WLAN bricht abends ständig ab",
        "body": "Seit einer Woche verliert mein Laptop jeden Abend das WLAN.",
        "board": "Intern",
        "lang": "de",
        "visibility": ["staff", "moderators"],
        "duplicate_of": "pub-wlan",
    },
]
# A public thread whose canonical thread is restricted: shown on its own.
POINTING_AT_RESTRICTED = {
    "id": "pub-link",
    "title": "Eskalation Glasfaser Großkunde dauert",
    "body": "Wann meldet sich jemand?",
    "board": "Router & WLAN",
    "lang": "de",
    "duplicate_of": "intern-101",
}


def sweep_queries() -> list[str]:
    """Every query matching a restricted thread exactly: whole texts, the title as typed
    word by word (the last one half-typed), each word alone, and the id."""
    queries: set[str] = set()
    for record in RESTRICTED:
        title = record["title"]
        words = title.split()
        queries.add(title)
        queries.update(" ".join(words[:n]) for n in range(1, len(words) + 1))
        queries.update(" ".join([*words[: n - 1], words[n - 1][:3]]) for n in range(1, len(words)))
        queries.add(record["body"])
        queries.update(word.strip(":.,") for word in record["body"].split() if len(word) > 4)
        if record.get("accepted_answer"):
            queries.add(record["accepted_answer"]["body"])
        queries.add(record["id"])
    return sorted(queries)


@pytest.fixture(params=["embedded", "elasticsearch"])
def app(
    request: pytest.FixtureRequest, engine: Engine, tmp_path: Path, redis_url: str
) -> Iterator[Flask]:
    """An app on an empty index of its own, with a writer key and a key of group staff."""
    settings = backend_settings(request, request.param, tmp_path / "data")
    staff = f"key:{digest_of(STAFF_KEY)[:12]}:staff"
    overrides: dict[str, Any] = {
        name: getattr(settings, name)
        for name in ("elasticsearch_url", "elasticsearch_index_prefix")
        if request.param == "elasticsearch"
    }
    loaded = engine_on(
        engine,
        tmp_path / "data",
        backend=request.param,
        api_keys=(digest_of(WRITER_KEY), digest_of(STAFF_KEY)),
        agent_groups=(staff,),
        rate_limit_per_second=0.0,
        redis_url=redis_url,
        index_version_interval=0.0,
        **overrides,
    )
    yield create_app(engine=loaded)
    loaded.close()


def write(client: FlaskClient, records: list[dict[str, Any]]) -> None:
    answer = client.post("/api/threads", json=records, headers=WRITER)
    assert answer.status_code in (200, 201), answer.get_data(as_text=True)


def public_answers(client: FlaskClient, text: str) -> dict[str, Any]:
    """What every public endpoint answers to ``text``, as (ids, totals) to compare."""
    answers: dict[str, Any] = {}
    for name, response in [
        ("suggest", client.get("/api/suggest", query_string={"q": text, "limit": 10})),
        ("search", client.get("/api/search", query_string={"q": text, "limit": 50})),
        ("paged", client.get("/api/search", query_string={"q": text, "offset": 1})),
        ("message", client.post("/api/search", json={"q": text, "limit": 50})),
    ]:
        assert response.status_code == 200, (name, text, response.get_data(as_text=True))
        body = response.get_json()
        shown = json.dumps(body["items"], ensure_ascii=False)  # the query is echoed
        for secret in SECRET_WORDS:
            assert secret not in shown, (name, text, secret)
        items = {item["id"]: item["duplicates"] for item in body["items"]}
        answers[name] = (sorted(items.items()), body.get("total"))
    return answers


def test_a_restricted_thread_never_reaches_the_public(app: Flask, redis_url: str) -> None:
    client = app.test_client()
    write(client, [*PUBLIC, POINTING_AT_RESTRICTED])
    queries = sweep_queries()
    before = {text: public_answers(client, text) for text in queries}

    write(client, RESTRICTED)
    # Agents' searches first: whatever they cache must not reach the public.
    for text in queries:
        for endpoint in ("/api/search", "/api/suggest"):
            answer = client.get(endpoint, query_string={"q": text}, headers=STAFF)
            assert answer.status_code == 200
    after = {text: public_answers(client, text) for text in queries}

    # Suggestions pass a confidence floor that BM25's statistics (of every thread) move
    # a little; what they show is still only public threads (checked above). Searches
    # show everything that matches: the very same threads and totals as before.
    for text in queries:
        for name in ("search", "paged", "message"):
            assert after[text][name] == before[text][name], (name, text)
    for record in RESTRICTED:
        missing = client.get(f"/api/threads/{record['id']}")
        unknown = client.get("/api/threads/intern-999")
        assert missing.status_code == unknown.status_code == 404
        assert missing.get_json()["error"].replace(record["id"], "X") == unknown.get_json()[
            "error"
        ].replace("intern-999", "X")
        # An event (from the public widget) naming it is refused as for an unknown thread.
        events = [
            client.post(
                "/api/events",
                json={"type": "click", "session": "s-0123456789abcdef", "query": "x",
                      "thread": thread_id, "rank": 1},
                headers={"Origin": "http://localhost"},
            )
            for thread_id in (record["id"], "intern-999")
        ]  # fmt: skip
        assert [e.status_code for e in events] == [400, 400], events[0].get_json()
        assert events[0].get_json() == events[1].get_json()
        assert "no thread with this id" in events[0].get_json()["error"]
    with redis.Redis.from_url(redis_url) as cache:
        cached = list(cache.scan_iter("askfind:*:suggest:*"))
        assert cached
        for key in cached:
            # The items: the query echoed in a cached answer is the privacy work's concern.
            items = json.dumps(json.loads(cache.get(key) or b"{}").get("items"))
            assert not any(secret in items for secret in SECRET_WORDS), key


def test_an_agent_sees_the_threads_of_their_groups(app: Flask) -> None:
    client = app.test_client()
    write(client, [*PUBLIC, POINTING_AT_RESTRICTED, *RESTRICTED])
    title = RESTRICTED[0]["title"]

    staff = client.get("/api/search", query_string={"q": title}, headers=STAFF).get_json()
    assert staff["items"][0]["id"] == "intern-101"
    # The restricted duplicate is folded into its public canonical thread, for staff.
    wlan = client.get("/api/search", query_string={"q": PUBLIC[0]["title"]}, headers=STAFF)
    first = wlan.get_json()["items"][0]
    assert (first["id"], first["duplicates"]) == ("pub-wlan", 1)
    assert client.get("/api/threads/intern-101", headers=STAFF).get_json()["visibility"] == [
        "staff"
    ]
    detail = client.get("/api/agent/threads/intern-101", headers=STAFF)
    assert detail.status_code == 200 and detail.get_json()["title"] == title

    # An agent of no group (the writer's key) sees what the public sees.
    for headers in (WRITER, {}):
        found = client.get("/api/search", query_string={"q": title}, headers=headers).get_json()
        assert "intern-101" not in [item["id"] for item in found["items"]]
        wlan = client.get("/api/search", query_string={"q": PUBLIC[0]["title"]}, headers=headers)
        first = wlan.get_json()["items"][0]
        assert (first["id"], first["duplicates"]) == ("pub-wlan", 0)
    assert client.get("/api/agent/threads/intern-101", headers=WRITER).status_code == 404
    judged = client.post(
        "/api/agent/duplicates",
        json={"thread": "pub-link", "duplicate_of": "intern-101"},
        headers=WRITER,
    )
    assert judged.status_code == 404
    # Wrong credentials are refused rather than answered as the public.
    wrong = client.get("/api/search", query_string={"q": title}, headers={"X-API-Key": "nope"})
    assert wrong.status_code == 401
