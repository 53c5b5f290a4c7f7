"""Curation on both backends: each rule kind changes /api/suggest within 2 s, and removing
it restores the answer before; bad rules are refused with a 4xx and change nothing.

The apps check for changed rules every second (``curation_refresh_seconds``, the
default), so a change is awaited as a customer would see it, through the suggestion
cache (Redis-less: the in-process cache) and through the same polling.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.widget.helpers import AUTH, RULES, client_leaving_no_rules, seeded_app

DEADLINE_S = 2.0

THREADS = [
    {
        "id": "router-rot",
        "title": "Router blinkt rot nach dem Update",
        "body": "Seit dem Update blinkt die Power-LED rot, kein Internet.",
        "lang": "de",
        "solved": True,
        "kudos": 5,
        "accepted_answer": {"body": "Router 30 Sekunden vom Strom trennen."},
    },
    {
        "id": "router-anleitung",
        "title": "Anleitung: Router richtig aufstellen",
        "body": "Wo der Router stehen sollte, damit das WLAN das ganze Haus erreicht.",
        "lang": "de",
    },
    {
        "id": "stoerung-berlin",
        "title": "Aktuelle Störung in Berlin: Internet und Telefonie",
        "body": "Seit 8 Uhr sind Anschlüsse in Berlin betroffen. Wir arbeiten an der Behebung.",
        "lang": "de",
    },
    {
        "id": "rechnung-hoch",
        "title": "Rechnung viel zu hoch",
        "body": "Meine Rechnung ist doppelt so hoch wie sonst.",
        "lang": "de",
    },
    {
        "id": "intern-router",
        "title": "Interne Notiz: Router blinkt rot, Eskalation an das Netzteam",
        "body": "Nur für Mitarbeiter.",
        "lang": "de",
        "visibility": ["staff"],
    },
    {
        "id": "quokkabox",
        "title": "Die Quokka!Box startet ständig neu",
        "body": "Mein Quokka!Box Modem startet alle zehn Minuten neu.",
        "lang": "de",
    },
]


@pytest.fixture(scope="module", params=["embedded", "elasticsearch"])
def app(
    request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Flask]:
    data_dir = tmp_path_factory.mktemp(f"curation-{request.param}")
    with seeded_app(request, engine, data_dir, THREADS) as seeded:
        yield seeded


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    yield from client_leaving_no_rules(app)  # each test leaves no rule for the next


def suggested(client: FlaskClient, text: str) -> list[str]:
    answer = client.get("/api/suggest", query_string={"q": text})
    assert answer.status_code == 200, answer.get_json()
    return [item["id"] for item in answer.get_json()["items"]]


def within_deadline(client: FlaskClient, text: str, done: Callable[[list[str]], bool]) -> list[str]:
    """The suggestions for ``text`` once ``done`` holds for them; fails after 2 s."""
    started = time.monotonic()
    while True:
        ids = suggested(client, text)
        if done(ids):
            return ids
        assert time.monotonic() - started < DEADLINE_S, f"still {ids} after {DEADLINE_S} s"
        time.sleep(0.05)


def added(client: FlaskClient, rule: dict[str, Any]) -> int:
    answer = client.post(RULES, json=rule, headers=AUTH)
    assert answer.status_code == 201, answer.get_json()
    return int(answer.get_json()["id"])


def removed(client: FlaskClient, rule_id: int) -> None:
    answer = client.delete(f"{RULES}/{rule_id}", headers=AUTH)
    assert answer.status_code == 200, answer.get_json()


def test_a_pin_puts_its_thread_first_and_removing_it_restores_the_answer(
    client: FlaskClient,
) -> None:
    text = "Router blinkt rot"
    before = suggested(client, text)
    assert before[0] == "router-rot"
    rule = added(
        client, {"kind": "pin", "thread": "router-anleitung", "queries": ["Router blinkt rot"]}
    )
    pinned = within_deadline(client, text, lambda ids: ids[:1] == ["router-anleitung"])
    assert "router-rot" in pinned  # still suggested, after the pinned thread
    assert suggested(client, "Rechnung viel zu hoch")[0] == "rechnung-hoch"  # other questions
    removed(client, rule)
    assert within_deadline(client, text, lambda ids: ids == before) == before


def test_a_pin_applies_only_within_its_time_window(client: FlaskClient) -> None:
    text = "Router blinkt rot"
    before = suggested(client, text)
    now = datetime.now(UTC)
    later = {"starts": (now + timedelta(days=1)).isoformat(), "ends": None}
    rule = {"kind": "pin", "thread": "router-anleitung", "queries": [text]} | later
    added(client, rule)
    time.sleep(DEADLINE_S)  # the rules are read again by now, and change nothing yet
    assert suggested(client, text) == before
    # One that has ended already would never be in force: refused, not stored.
    past = {"starts": (now - timedelta(days=2)).isoformat(), "ends": now.isoformat()}
    refused = client.post(RULES, json=rule | past, headers=AUTH)
    assert refused.status_code == 400 and refused.get_json()["field"] == "ends"
    assert "has passed" in refused.get_json()["error"]
    assert len(client.get(RULES, headers=AUTH).get_json()["rules"]) == 1


def test_a_pin_never_shows_the_public_a_restricted_or_hidden_thread(client: FlaskClient) -> None:
    text = "Router blinkt rot"
    before = suggested(client, text)
    assert "intern-router" not in before
    added(client, {"kind": "pin", "thread": "intern-router", "queries": [text]})
    added(client, {"kind": "pin", "thread": "rechnung-hoch", "queries": [text]})
    added(client, {"kind": "hidden", "thread": "rechnung-hoch"})
    time.sleep(DEADLINE_S)  # the rules are read by now
    assert suggested(client, text) == before


def test_an_incident_pins_the_outage_notice_for_every_stoerung_like_question(
    client: FlaskClient,
) -> None:
    questions = ["Störung", "Internetstörung seit heute morgen", "Rechnung viel zu hoch"]
    before = {text: suggested(client, text) for text in questions}
    rule = added(client, {"kind": "incident", "thread": "stoerung-berlin"})
    for text in questions[:2]:
        within_deadline(client, text, lambda ids: ids[:1] == ["stoerung-berlin"])
    assert suggested(client, questions[2]) == before[questions[2]]  # not about an outage
    removed(client, rule)
    for text in questions:
        within_deadline(client, text, lambda ids, text=text: ids == before[text])


def test_a_hidden_thread_is_never_suggested_and_unhiding_restores_it(client: FlaskClient) -> None:
    text = "Router blinkt rot"
    before = suggested(client, text)
    assert "router-rot" in before
    rule = added(client, {"kind": "hidden", "thread": "router-rot", "reason": "outdated"})
    within_deadline(client, text, lambda ids: "router-rot" not in ids)
    searched = client.get("/api/search", query_string={"q": text, "limit": 50}).get_json()
    assert "router-rot" not in [item["id"] for item in searched["items"]]
    removed(client, rule)
    assert within_deadline(client, text, lambda ids: ids == before) == before


def test_synonyms_make_a_query_with_one_find_threads_with_the_other(client: FlaskClient) -> None:
    # The threads write "Quokka!Box"; some customers call it the "Zebrakasten".
    text = "Zebrakasten"
    before = suggested(client, text)
    assert "quokkabox" not in before
    synonyms = {"kind": "synonyms", "lang": "de", "terms": ["Zebrakasten", "Quokka!Box"]}
    rule = added(client, synonyms)
    # As the last word being typed, and as a finished one among others.
    within_deadline(client, text, lambda ids: ids[:1] == ["quokkabox"])
    assert suggested(client, "mein Zebrakasten startet neu")[:1] == ["quokkabox"]
    removed(client, rule)
    assert within_deadline(client, text, lambda ids: ids == before) == before


def test_every_change_is_versioned_with_its_author_and_time(client: FlaskClient) -> None:
    pin = {"kind": "pin", "thread": "router-rot", "queries": ["LED rot"]}
    rule = added(client, pin)
    shown = client.get(f"{RULES}/{rule}", headers=AUTH).get_json()
    assert shown["version"] == 1 and shown["queries"] == ["LED rot"]
    # What GET shows may be sent back changed: id, version, author and time are ignored.
    changed = client.put(
        f"{RULES}/{rule}", json=shown | {"queries": ["LED rot", "Lampe rot"]}, headers=AUTH
    )
    assert changed.status_code == 200 and changed.get_json()["version"] == 2
    removed(client, rule)
    assert client.get(f"{RULES}/{rule}", headers=AUTH).status_code == 404  # not in force
    listed = client.get(RULES, headers=AUTH).get_json()["rules"]
    assert rule not in [r["id"] for r in listed]
    history = client.get(f"{RULES}/{rule}/history", headers=AUTH)
    assert history.status_code == 200
    versions = history.get_json()["history"]
    assert [(v["version"], v["removed"]) for v in versions] == [(1, False), (2, False), (3, True)]
    assert versions[1]["queries"] == ["LED rot", "Lampe rot"]
    assert all(v["author"].startswith("api-key:") and v["changed_at"] for v in versions)


BAD_RULES = [
    (
        {"kind": "pin", "thread": "no-such-thread", "queries": ["x"]},
        "no thread with id 'no-such-thread'",
    ),
    ({"kind": "hidden", "thread": "no-such-thread"}, "no thread with id 'no-such-thread'"),
    (
        {
            "kind": "pin",
            "thread": "router-rot",
            "queries": ["x"],
            "starts": "2026-12-07T10:00:00Z",
            "ends": "2026-12-07T09:00:00Z",
        },
        "ends must be after starts",
    ),
    # Without starts a rule starts now: one that ended already is refused the same way.
    (
        {"kind": "pin", "thread": "router-rot", "queries": ["x"], "ends": "2020-01-01T00:00:00Z"},
        "ends must be after starts",
    ),
    (
        {"kind": "incident", "thread": "stoerung-berlin", "ends": "2020-01-01T00:00:00Z"},
        "ends must be after starts",
    ),
    ({"kind": "synonyms", "lang": "de", "terms": []}, "terms must be a non-empty list"),
    ({"kind": "synonyms", "lang": "de", "terms": ["WLAN"]}, "at least two different terms"),
    ({"kind": "pinned", "thread": "router-rot"}, "kind must be one of"),
    ("not an object", "a rule must be a JSON object"),
]


@pytest.mark.parametrize(("rule", "problem"), BAD_RULES)
def test_a_bad_rule_is_a_400_that_says_why_and_stores_nothing(
    client: FlaskClient, rule: Any, problem: str
) -> None:
    kept = added(client, {"kind": "hidden", "thread": "rechnung-hoch"})
    before = client.get(RULES, headers=AUTH).get_json()
    answer = client.post(RULES, json=rule, headers=AUTH)
    assert answer.status_code == 400 and problem in answer.get_json()["error"]
    changed = client.put(f"{RULES}/{kept}", json=rule, headers=AUTH)
    assert changed.status_code == 400 and problem in changed.get_json()["error"]
    assert client.get(RULES, headers=AUTH).get_json() == before


def test_unknown_rules_unreadable_bodies_and_missing_keys_are_refused(client: FlaskClient) -> None:
    hidden = {"kind": "hidden", "thread": "router-rot"}
    assert client.delete(f"{RULES}/12345", headers=AUTH).status_code == 404
    assert client.put(f"{RULES}/12345", json=hidden, headers=AUTH).status_code == 404
    kept = added(client, hidden)
    becomes_pin = client.put(
        f"{RULES}/{kept}",
        json={"kind": "pin", "thread": "router-rot", "queries": ["x"]},
        headers=AUTH,
    )
    assert (
        becomes_pin.status_code == 400
        and "cannot become another kind" in becomes_pin.get_json()["error"]
    )
    broken = client.post(RULES, data=b"{", headers=AUTH | {"Content-Type": "application/json"})
    assert broken.status_code == 400 and "not UTF-8 JSON" in broken.get_json()["error"]
    assert client.post(RULES, data="x", headers=AUTH).status_code == 415
    assert client.post(RULES, json=hidden).status_code == 401
    assert client.get(RULES).status_code == 401
    assert client.get(RULES, query_string={"kind": "boost"}, headers=AUTH).status_code == 400
    assert [r["id"] for r in client.get(RULES, headers=AUTH).get_json()["rules"]] == [kept]


def test_a_pin_cannot_be_changed_to_end_in_the_past(client: FlaskClient) -> None:
    pin = {"kind": "pin", "thread": "router-rot", "queries": ["LED rot"]}
    rule = added(client, pin | {"ends": "2099-01-01T00:00:00Z"})
    before = client.get(RULES, headers=AUTH).get_json()
    ended = client.put(f"{RULES}/{rule}", json=pin | {"ends": "2020-01-01T00:00:00Z"}, headers=AUTH)
    assert ended.status_code == 400
    assert ended.get_json()["field"] == "ends"
    assert "ends must be after starts" in ended.get_json()["error"]
    assert client.get(RULES, headers=AUTH).get_json() == before
    history = client.get(f"{RULES}/{rule}/history", headers=AUTH).get_json()["history"]
    assert [v["version"] for v in history] == [1]


# SQLite's largest INTEGER is 2**63 - 1: no rule can have a larger id.
@pytest.mark.parametrize("rule_id", [2**63 - 1, 2**63, 10**23])
def test_a_rule_id_too_large_for_sqlite_is_an_unknown_rule(
    client: FlaskClient, rule_id: int
) -> None:
    kept = added(client, {"kind": "hidden", "thread": "rechnung-hoch"})
    before = client.get(RULES, headers=AUTH).get_json()
    hidden = {"kind": "hidden", "thread": "router-rot"}
    for answer in [
        client.get(f"{RULES}/{rule_id}", headers=AUTH),
        client.get(f"{RULES}/{rule_id}/history", headers=AUTH),
        client.put(f"{RULES}/{rule_id}", json=hidden, headers=AUTH),
        client.delete(f"{RULES}/{rule_id}", headers=AUTH),
    ]:
        assert answer.status_code == 404, answer.get_json()
        assert answer.get_json()["error"] == f"no rule with id {rule_id}"
    assert client.get(RULES, headers=AUTH).get_json() == before
    history = client.get(f"{RULES}/{kept}/history", headers=AUTH).get_json()["history"]
    assert [v["version"] for v in history] == [1]
