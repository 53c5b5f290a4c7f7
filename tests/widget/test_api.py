"""The HTTP API contract: items, paging, and a clear 400 for every kind of bad input."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

# DESIGN.md's item, and what issue 18 added at its end: a thread or an article, and
# whether its accepted solution may be outdated.
ITEM_FIELDS = [
    "id", "title", "url", "snippet", "board", "lang", "solved", "solution",
    "kudos", "views", "replies", "created_at", "score", "confidence", "duplicates",
    "type", "outdated",
]  # fmt: skip


def test_suggest_returns_items_with_exactly_the_contract_fields(client: FlaskClient) -> None:
    answer = client.get("/api/suggest", query_string={"q": "eSIM auf neues iPhone übertragen"})
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert 1 <= len(items) <= 5
    assert all(list(item) == ITEM_FIELDS for item in items)
    top = items[0]
    assert top["id"] == "sim-003" and top["solved"] is True
    assert top["solution"]["url"].startswith("https://community.telvia.example/t/sim-003")
    assert 0.0 <= top["confidence"] <= 1.0
    assert [i["score"] for i in items] == sorted((i["score"] for i in items), reverse=True)


def test_suggest_folds_a_duplicate_into_its_canonical_thread(client: FlaskClient) -> None:
    items = client.get(
        "/api/suggest", query_string={"q": "Handy will PUK wo finde ich den"}
    ).get_json()["items"]
    ids = [item["id"] for item in items]
    assert ids[0] == "sim-006"  # the canonical thread, not the duplicate that matched best
    assert "sim-020" not in ids
    assert items[0]["duplicates"] >= 1


def test_suggest_returns_nothing_below_the_confidence_floor(client: FlaskClient) -> None:
    nonsense = {"q": "Quantenchromodynamik der Gluonen"}
    assert client.get("/api/suggest", query_string=nonsense).get_json()["items"] == []
    assert client.get("/api/search", query_string=nonsense).get_json()["total"] > 0


def test_suggest_matches_the_word_being_typed(client: FlaskClient) -> None:
    items = client.get("/api/suggest", query_string={"q": "Drittanbieters"}).get_json()["items"]
    assert items and "drittanbieter" in items[0]["title"].lower()


def test_search_pages_with_total_and_offset(client: FlaskClient) -> None:
    first = client.get("/api/search", query_string={"q": "Router", "limit": 5}).get_json()
    second = client.get(
        "/api/search", query_string={"q": "Router", "limit": 5, "offset": 5}
    ).get_json()
    assert first["total"] == second["total"] > 10
    assert (first["offset"], second["offset"], first["limit"]) == (0, 5, 5)
    first_ids = [i["id"] for i in first["items"]]
    second_ids = [i["id"] for i in second["items"]]
    assert len(first_ids) == len(second_ids) == 5 and not set(first_ids) & set(second_ids)
    # The last page of the first 100 counts the same (README: what `total` counts).
    last = client.get("/api/search", query_string={"q": "Router", "limit": 5, "offset": 95})
    assert last.get_json()["total"] == first["total"]


def test_search_filters_by_board_lang_and_solved(client: FlaskClient) -> None:
    query = {"q": "Rechnung", "limit": 50, "board": "Kundencenter", "lang": "de", "solved": "true"}
    items = client.get("/api/search", query_string=query).get_json()["items"]
    assert items
    assert {(i["board"], i["lang"], i["solved"]) for i in items} == {("Kundencenter", "de", True)}


def test_thread_by_id(client: FlaskClient) -> None:
    answer = client.get("/api/threads/wlan-005")
    assert answer.status_code == 200
    assert answer.get_json()["id"] == "wlan-005"
    missing = client.get("/api/threads/no-such-thread")
    assert missing.status_code == 404 and "no-such-thread" in missing.get_json()["error"]


@pytest.mark.parametrize(
    ("path", "query", "message"),
    [
        ("/api/suggest", {}, "q is required"),
        ("/api/suggest", {"q": "   "}, "q is required"),
        ("/api/suggest", {"q": "x" * 1001}, "q is longer than"),
        ("/api/suggest", {"q": "router", "limit": "0"}, "limit must be between 1 and 20"),
        ("/api/suggest", {"q": "router", "limit": "21"}, "limit must be between 1 and 20"),
        ("/api/suggest", {"q": "router", "limit": "five"}, "limit must be a whole number"),
        ("/api/suggest", {"q": "router", "lang": "xx"}, 'unknown lang "xx"'),
        ("/api/suggest", {"q": "router", "board": "No such board"}, "unknown board"),
        ("/api/search", {"q": "router", "offset": "-1"}, "offset must be between 0"),
        ("/api/search", {"q": "router", "offset": "1.5"}, "offset must be a whole number"),
        ("/api/search", {"q": "router", "limit": "101"}, "limit must be between 1 and 100"),
        ("/api/search", {"q": "router", "solved": "maybe"}, "solved must be true or false"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(
    client: FlaskClient, path: str, query: dict[str, str], message: str
) -> None:
    answer = client.get(path, query_string=query)
    assert answer.status_code == 400
    assert message in answer.get_json()["error"]


@pytest.mark.parametrize(
    "raw", ["q=%ff%fe", "q=caf\xe9", "q=ok&q=twice"], ids=["escaped", "raw-latin-1", "twice"]
)
def test_undecodable_or_repeated_parameters_are_a_400(client: FlaskClient, raw: str) -> None:
    # The raw query string as the server receives it (WSGI passes it as latin-1 text).
    answer = client.get("/api/suggest", environ_overrides={"QUERY_STRING": raw})
    assert answer.status_code == 400
    assert answer.get_json()["error"]


def test_unknown_paths_and_methods_answer_json(client: FlaskClient) -> None:
    assert client.get("/api/nothing").get_json()["error"]
    assert client.get("/api/nothing").status_code == 404
    assert client.post("/api/suggest").status_code == 405


def test_health_and_readiness(client: FlaskClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["status"] == "ready" and ready["threads"] == 300
