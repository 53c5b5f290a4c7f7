"""/api/admin/rules refuses a copy of a rule in force with a 409 naming that rule, when
added and when another rule is changed into it; nothing stored changes then, so removing
the rule undoes it (the same rule: indexer.curation.store.rule_key)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.widget.helpers import AUTH, RULES, client_leaving_no_rules, writable_app
from widget.app import close_app
from widget.cli import main as cli
from widget.context import engine_of

ENDS = "2099-01-01T00:00:00Z"
# A change reaches the searches within curation_refresh_seconds (1 s) plus one search.
DEADLINE_S = 2.0


@pytest.fixture(scope="module")
def app(sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = writable_app(sample_engine, tmp_path_factory.mktemp("duplicates"))
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    yield from client_leaving_no_rules(app)


def added(client: FlaskClient, rule: dict[str, Any]) -> int:
    answer = client.post(RULES, json=rule, headers=AUTH)
    assert answer.status_code == 201, answer.get_json()
    return int(answer.get_json()["id"])


def in_force(client: FlaskClient) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = client.get(RULES, headers=AUTH).get_json()["rules"]
    return rules


COPIES = [
    (
        {"kind": "hidden", "thread": "wlan-017"},
        {"kind": "hidden", "thread": "wlan-017", "reason": "outdated firmware advice"},
        "already hides wlan-017",
    ),
    (
        {"kind": "synonyms", "lang": "de", "terms": ["Fritzbox", "FRITZ!Box"]},
        {"kind": "synonyms", "lang": "de", "terms": ["fritz!box", " FRITZBOX "]},
        "already makes Fritzbox = FRITZ!Box synonyms in de",
    ),
    (
        {"kind": "pin", "thread": "wlan-004", "queries": ["Fritzbox kein Internet"], "ends": ENDS},
        {"kind": "pin", "thread": "wlan-004", "queries": ["fritzbox  kein internet"], "ends": ENDS},
        "is already a pin of wlan-004 for the same queries, language and window",
    ),
    (
        {"kind": "incident", "thread": "dsl-035", "ends": ENDS},
        {"kind": "incident", "thread": "dsl-035", "ends": "2099-01-01T01:00:00+01:00"},
        "is already an incident pin of dsl-035 for the same queries, language and window",
    ),
]


@pytest.mark.parametrize(("rule", "copy", "problem"), COPIES)
def test_a_copy_of_a_rule_in_force_is_a_409_naming_it_and_stores_nothing(
    client: FlaskClient, rule: dict[str, Any], copy: dict[str, Any], problem: str
) -> None:
    added(client, {"kind": "hidden", "thread": "dsl-016"})
    kept = added(client, rule)
    before = in_force(client)
    answer = client.post(RULES, json=copy, headers=AUTH)
    assert answer.status_code == 409, answer.get_json()
    assert answer.get_json() == {"error": f"rule {kept} {problem}", "rule": kept}
    assert in_force(client) == before


def test_removing_the_hidden_rule_after_a_refused_copy_unhides_the_thread(
    client: FlaskClient,
) -> None:
    def found() -> list[str]:
        answer = client.get("/api/search", query_string={"q": "iPhone WiFi", "limit": 50})
        return [item["id"] for item in answer.get_json()["items"]]

    assert "wlan-017" in found()
    hidden = added(client, {"kind": "hidden", "thread": "wlan-017"})
    within_deadline(found, lambda ids: "wlan-017" not in ids)
    copy = client.post(RULES, json={"kind": "hidden", "thread": "wlan-017"}, headers=AUTH)
    assert copy.status_code == 409
    assert client.delete(f"{RULES}/{hidden}", headers=AUTH).status_code == 200
    within_deadline(found, lambda ids: "wlan-017" in ids)


def within_deadline(ask: Callable[[], list[str]], done: Callable[[list[str]], bool]) -> None:
    started = time.monotonic()
    while not done(ids := ask()):
        assert time.monotonic() - started < DEADLINE_S, f"still {ids} after {DEADLINE_S} s"
        time.sleep(0.05)


def test_a_rule_changed_into_a_copy_of_another_is_a_409_and_keeps_its_version(
    client: FlaskClient,
) -> None:
    hidden = added(client, {"kind": "hidden", "thread": "wlan-017"})
    other = added(client, {"kind": "hidden", "thread": "wlan-004"})
    before = in_force(client)
    answer = client.put(
        f"{RULES}/{other}", json={"kind": "hidden", "thread": "wlan-017"}, headers=AUTH
    )
    assert answer.status_code == 409
    assert answer.get_json() == {"error": f"rule {hidden} already hides wlan-017", "rule": hidden}
    assert in_force(client) == before
    assert len(client.get(f"{RULES}/{other}/history", headers=AUTH).get_json()["history"]) == 1
    # A rule may become what it is, with a new note.
    shown = client.get(f"{RULES}/{hidden}", headers=AUTH).get_json()
    changed = client.put(f"{RULES}/{hidden}", json=shown | {"reason": "outdated"}, headers=AUTH)
    assert changed.status_code == 200 and changed.get_json()["version"] == 2


def test_a_rule_added_over_http_is_refused_on_the_command_line(
    app: Flask, client: FlaskClient
) -> None:
    """The dashboard or the API hides a thread; an operator hides it again in a shell."""
    hidden = added(client, {"kind": "hidden", "thread": "wlan-017"})
    data_dir = engine_of(app).settings.data_dir
    done = CliRunner().invoke(cli, ["rules", "hide", "wlan-017", "--data-dir", str(data_dir)])
    assert done.exit_code == 1, done.output
    assert done.output == f"Error: rule {hidden} already hides wlan-017\n"
    assert [r["id"] for r in in_force(client)] == [hidden]
