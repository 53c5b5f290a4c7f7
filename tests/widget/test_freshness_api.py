"""Issue 18: closed and archived threads are never suggested nor found, outdated solutions
are marked and rank lower, and help articles come in a section of their own - through the
API, on both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.widget.helpers import AUTH, seeded_app

NOW = datetime.now(UTC)
TWO_YEARS_AGO = (NOW - timedelta(days=730)).isoformat()
LAST_MONTH = (NOW - timedelta(days=30)).isoformat()
QUERY = "Tarifwechsel Datenvolumen Drosselung"


def tarif_thread(thread_id: str, **fields: Any) -> dict[str, Any]:
    """A thread that matches QUERY as well as its siblings: only its fields tell them apart."""
    return {
        "id": thread_id,
        "title": "Tarifwechsel: Datenvolumen nach Drosselung",
        "body": "Nach dem Tarifwechsel wird mein Datenvolumen gedrosselt.",
        "board": "Tarife",
        "lang": "de",
        **fields,
    }


def solution(created_at: str) -> dict[str, Any]:
    return {"body": "Im Kundencenter die Tarifoption neu buchen.", "created_at": created_at}


RECORDS = [
    tarif_thread("fresh", accepted_answer=solution(LAST_MONTH)),
    tarif_thread("stale", accepted_answer=solution(TWO_YEARS_AGO)),
    # The same question on a board that is not fast-moving: its age does not matter.
    tarif_thread("stale-slow", board="Rechnung", accepted_answer=solution(TWO_YEARS_AGO)),
    tarif_thread("closed", state="closed", accepted_answer=solution(LAST_MONTH)),
    tarif_thread("archived", state="archived", accepted_answer=solution(LAST_MONTH)),
    # A duplicate of an archived thread shows on its own.
    tarif_thread("dup-of-archived", duplicate_of="archived"),
    {
        "id": "faq-tarif",
        "type": "article",
        "title": "FAQ: Tarifwechsel und Datenvolumen",
        "body": "So wechseln Sie den Tarif, und so wird das Datenvolumen nach der Drosselung "
        "wieder freigeschaltet.",
        "url": "https://hilfe.example.de/faq/tarifwechsel",
        "lang": "de",
    },
]


@pytest.fixture(scope="module", params=["embedded", "elasticsearch"])
def client(
    request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlaskClient]:
    data_dir = tmp_path_factory.mktemp(f"freshness-{request.param}")
    overrides = {
        "fast_moving_boards": ("Tarife",),
        "outdated_after_days": 365.0,
        "confidence_floor": 0.0,
    }
    with seeded_app(request, engine, data_dir, RECORDS, **overrides) as app:
        yield app.test_client()


def answer(client: FlaskClient, path: str, **params: Any) -> dict[str, Any]:
    got = client.get(path, query_string={"q": QUERY, **params})
    assert got.status_code == 200, got.get_json()
    return got.get_json()


@pytest.mark.parametrize("path", ["/api/suggest", "/api/search"])
def test_closed_and_archived_threads_are_never_results(client: FlaskClient, path: str) -> None:
    found = answer(client, path, limit=20, articles=0)
    ids = {item["id"] for item in found["items"]}
    assert "fresh" in ids and "dup-of-archived" in ids
    assert not ids & {"closed", "archived"}
    # Their records are kept, for whoever has their id.
    assert client.get("/api/threads/closed").get_json()["state"] == "closed"


def test_an_outdated_solution_is_marked_and_ranks_below_a_fresh_one(client: FlaskClient) -> None:
    items = answer(client, "/api/search", limit=20)["items"]
    marks = {item["id"]: item["outdated"] for item in items}
    assert marks["stale"] is True
    assert marks["fresh"] is False and marks["stale-slow"] is False
    order = [item["id"] for item in items]
    # Equal texts: only the solution's age on a fast-moving board separates them.
    assert order.index("fresh") < order.index("stale")
    assert order.index("stale-slow") < order.index("stale")


def test_articles_come_in_their_own_section(client: FlaskClient) -> None:
    for path in ("/api/suggest", "/api/search"):
        found = answer(client, path)
        assert [item["id"] for item in found["articles"]] == ["faq-tarif"]
        assert found["articles"][0]["type"] == "article"
        assert "faq-tarif" not in {item["id"] for item in found["items"]}
        assert {item["type"] for item in found["items"]} == {"thread"}


def test_with_articles_0_they_rank_among_the_threads(client: FlaskClient) -> None:
    found = answer(client, "/api/search", limit=20, articles=0)
    assert found["articles"] == []
    assert "faq-tarif" in {item["id"] for item in found["items"]}


def test_a_bad_articles_parameter_is_a_clear_400(client: FlaskClient) -> None:
    got = client.get("/api/suggest", query_string={"q": QUERY, "articles": "11"})
    assert got.status_code == 400
    assert "articles" in got.get_json()["error"]


def test_a_bad_type_or_state_is_refused_with_its_reason(client: FlaskClient) -> None:
    records = [tarif_thread("bad-state", state="locked"), tarif_thread("bad-type", type="faq")]
    for record in records:
        got = client.post("/api/threads", json=record, headers=AUTH)
        assert got.status_code == 400
        assert "must be one of" in str(got.get_json()["errors"])
    assert client.get("/api/threads/bad-state").status_code == 404
