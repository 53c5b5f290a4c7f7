"""Every GET endpoint of the JSON API refuses a parameter it does not take with a 400 that
names it: a misspelt ``day=30`` must not quietly answer for the default 7 days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.widget.helpers import AUTH, RULES, client_leaving_no_rules, writable_app
from widget.app import close_app

# What each endpoint needs to answer 200 without the misspelt parameter.
NEEDED = {"/api/suggest": {"q": "WLAN"}, "/api/search": {"q": "WLAN"}}
# GET endpoints under /api that read no query string at all: nothing asked there changes
# their answer, misspelt or not.
READ_NOTHING = {"/api/threads/<path:thread_id>", "/api/agent/threads/<thread_id>"}


@pytest.fixture(scope="module")
def app(sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = writable_app(sample_engine, tmp_path_factory.mktemp("parameters"))
    yield app
    close_app(app)


@pytest.fixture
def client(app: Flask) -> Iterator[FlaskClient]:
    yield from client_leaving_no_rules(app)


def api_get_endpoints(app: Flask) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/") and "GET" in (rule.methods or ())
    )


def test_every_get_endpoint_of_the_api_refuses_an_unknown_parameter(
    app: Flask, client: FlaskClient
) -> None:
    rule_id = client.post(RULES, json={"kind": "hidden", "thread": "wlan-017"}, headers=AUTH)
    values = {"<int:rule_id>": str(rule_id.get_json()["id"])}
    checked = []
    for endpoint in api_get_endpoints(app):
        if endpoint in READ_NOTHING:
            continue
        path = endpoint
        for placeholder, value in values.items():
            path = path.replace(placeholder, value)
        assert "<" not in path, f"{endpoint}: no value for its path yet"
        asked = NEEDED.get(endpoint, {})
        plain = client.get(path, query_string=asked, headers=AUTH)
        assert plain.status_code == 200, (endpoint, plain.get_json())
        misspelt = client.get(path, query_string=asked | {"knd": "pin"}, headers=AUTH)
        assert misspelt.status_code == 400, (endpoint, misspelt.status_code)
        assert "unknown parameter 'knd'" in misspelt.get_json()["error"], endpoint
        checked.append(endpoint)
    assert {
        "/api/admin/report",
        "/api/admin/gaps",
        "/api/admin/series",
        RULES,
        f"{RULES}/<int:rule_id>",
        f"{RULES}/<int:rule_id>/history",
        "/api/suggest",
        "/api/search",
    } <= set(checked)


@pytest.mark.parametrize(
    ("path", "query", "problem"),
    [
        (
            "/api/admin/report",
            {"day": "30"},
            "unknown parameter 'day' (known: days, since, top, until)",
        ),
        (RULES, {"knd": "pin"}, "unknown parameter 'knd' (known: kind)"),
        (f"{RULES}/1", {"version": "1"}, "unknown parameter 'version' (this endpoint takes none)"),
    ],
)
def test_the_refusal_names_the_parameter_and_those_the_endpoint_takes(
    client: FlaskClient, path: str, query: dict[str, str], problem: str
) -> None:
    client.post(RULES, json={"kind": "hidden", "thread": "wlan-017"}, headers=AUTH)
    answer = client.get(path, query_string=query, headers=AUTH)
    assert answer.status_code == 400
    assert answer.get_json() == {"error": problem}


def test_the_report_still_takes_its_own_parameters(client: FlaskClient) -> None:
    answer = client.get("/api/admin/report", query_string={"days": "30", "top": "5"}, headers=AUTH)
    assert answer.status_code == 200, answer.get_json()
    report = answer.get_json()
    covered = datetime.fromisoformat(report["until"]) - datetime.fromisoformat(report["since"])
    assert covered == timedelta(days=30)


def test_a_rule_is_not_changed_by_a_request_with_an_unknown_parameter(client: FlaskClient) -> None:
    """``DELETE ...?dry_run=1`` must not remove the rule it was meant to try."""
    hidden = {"kind": "hidden", "thread": "wlan-017"}
    rule = client.post(RULES, json=hidden, headers=AUTH).get_json()["id"]
    before = client.get(RULES, headers=AUTH).get_json()
    asked = {"dry_run": "1"}
    for answer in [
        client.delete(f"{RULES}/{rule}", query_string=asked, headers=AUTH),
        client.put(f"{RULES}/{rule}", query_string=asked, json=hidden, headers=AUTH),
        client.post(RULES, query_string=asked, json=hidden | {"thread": "wlan-004"}, headers=AUTH),
    ]:
        assert answer.status_code == 400
        assert "unknown parameter 'dry_run'" in answer.get_json()["error"]
    assert client.get(RULES, headers=AUTH).get_json() == before
    assert len(client.get(f"{RULES}/{rule}/history", headers=AUTH).get_json()["history"]) == 1
