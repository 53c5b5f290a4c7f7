"""The dashboard at /admin: admins only (401 without a sign-in, 403 for other agents), its
charting library served by askfind, and the admin API it calls (the series per day/week)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from indexer.settings import Settings
from tests.widget.helpers import AUTH, writable_app
from widget.agent_access import password_entry

OWN = "http://localhost"
ADMIN = ("maria", "s3cret!")
AGENT = ("ole", "geheim!")
CHARTS = Settings.model_fields["chart_library_dir"].default


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def dashboard_app(sample_engine: Engine, data_dir: Path, **overrides: Any) -> Flask:
    overrides.setdefault("chart_library_dir", CHARTS)
    return writable_app(
        sample_engine,
        data_dir,
        agent_auth="password",
        agent_users=(password_entry(*ADMIN), password_entry(*AGENT)),
        admin_users=("maria",),
        **overrides,
    )


@pytest.fixture
def client(sample_engine: Engine, tmp_path: Path) -> FlaskClient:
    return dashboard_app(sample_engine, tmp_path).test_client()


def test_without_a_sign_in_the_dashboard_asks_for_one(client: FlaskClient) -> None:
    answer = client.get("/admin")
    assert answer.status_code == 401 and answer.headers["WWW-Authenticate"].startswith("Basic")
    assert "agent_auth = password" in answer.get_json()["error"]
    assert client.get("/admin", headers=basic("maria", "wrong")).status_code == 401


@pytest.mark.parametrize(
    ("language", "words"),
    [("de", "Kein Zugriff auf das Dashboard"), ("en", "No access to the dashboard")],
)
def test_an_agent_who_is_not_an_admin_gets_a_page_saying_why(
    client: FlaskClient, language: str, words: str
) -> None:
    answer = client.get("/admin", headers={**basic(*AGENT), "Accept-Language": language})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 403 and answer.mimetype == "text/html"
    assert words in page and "ole" in page and "admin_users" in page
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]


def test_an_admin_gets_the_page_under_the_strict_csp(client: FlaskClient) -> None:
    answer = client.get("/admin", headers=basic(*ADMIN))
    page = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in answer.headers["Content-Security-Policy"]
    assert "<script>" not in page and " on" + "click=" not in page
    assert '<html lang="de">' in page and "Inhaltslücken" in page
    english = client.get("/admin?ui=en", headers=basic(*ADMIN)).get_data(as_text=True)
    assert '<html lang="en">' in english and "Content gaps" in english


def test_the_charting_library_is_served_by_askfind(client: FlaskClient) -> None:
    if not (CHARTS / "uPlot.iife.min.js").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"uPlot is missing at {CHARTS}: scripts/install installs it")
        pytest.skip(f"uPlot is not installed at {CHARTS} (scripts/install)")
    page = client.get("/admin", headers=basic(*ADMIN)).get_data(as_text=True)
    assert 'src="/admin/charts/uplot.js"' in page and 'data-charts="yes"' in page
    script = client.get("/admin/charts/uplot.js")
    assert script.status_code == 200 and script.mimetype == "text/javascript"
    assert b"uPlot" in script.data
    assert client.get("/admin/charts/uplot.css").mimetype == "text/css"


def test_without_the_library_the_page_still_works_without_charts(
    sample_engine: Engine, tmp_path: Path
) -> None:
    client = dashboard_app(
        sample_engine, tmp_path, chart_library_dir=tmp_path / "none"
    ).test_client()
    page = client.get("/admin", headers=basic(*ADMIN))
    assert page.status_code == 200 and b'data-charts="no"' in page.data
    assert b"/admin/charts/" not in page.data
    missing = client.get("/admin/charts/uplot.js")
    assert missing.status_code == 404 and "scripts/install" in missing.get_json()["error"]


def test_the_admin_api_takes_an_admins_sign_in_or_a_key_and_refuses_other_agents(
    client: FlaskClient,
) -> None:
    for path in ("/api/admin/series", "/api/admin/report", "/api/admin/rules"):
        assert client.get(path).status_code == 401, path
        refused = client.get(path, headers=basic(*AGENT))
        assert refused.status_code == 403 and "not an admin" in refused.get_json()["error"]
        assert client.get(path, headers=basic(*ADMIN)).status_code == 200, path
        assert client.get(path, headers=AUTH).status_code == 200, path


def test_a_rule_added_on_the_dashboard_is_authored_by_the_admin(client: FlaskClient) -> None:
    rule = {"kind": "synonyms", "lang": "de", "terms": ["Fritzbox", "FRITZ!Box"]}
    added = client.post("/api/admin/rules", json=rule, headers=basic(*ADMIN))
    assert added.status_code == 201 and added.get_json()["author"] == "admin:maria"
    refused = client.post("/api/admin/rules", json=rule, headers=basic(*AGENT))
    assert refused.status_code == 403
    assert len(client.get("/api/admin/rules", headers=AUTH).get_json()["rules"]) == 1


EVENTS = [
    {"type": "impression", "session": "s-aaaaaaaa", "query": "WLAN bricht ab", "lang": "de",
     "board": "Internet & WLAN", "results": ["wlan-001"]},
    {"type": "click", "session": "s-aaaaaaaa", "query": "WLAN bricht ab", "lang": "de",
     "board": "Internet & WLAN", "thread": "wlan-001", "rank": 1},
    {"type": "impression", "session": "s-bbbbbbbb", "query": "roaming schweiz", "lang": "en",
     "board": "Roaming", "results": []},
    {"type": "asked_anyway", "session": "s-bbbbbbbb", "query": "roaming schweiz", "lang": "en",
     "board": "Roaming"},
]  # fmt: skip


def test_the_series_counts_todays_events_per_day_week_language_and_board(
    client: FlaskClient,
) -> None:
    for event in EVENTS:
        sent = client.post(
            "/api/events", data=json.dumps(event), content_type="text/plain",
            headers={"Origin": OWN},
        )  # fmt: skip
        assert sent.status_code == 202

    def today(**params: str) -> dict[str, Any]:
        answer = client.get("/api/admin/series", query_string=params, headers=basic(*ADMIN))
        assert answer.status_code == 200, answer.get_json()
        points = answer.get_json()["points"]
        return points[-1]

    assert len(client.get("/api/admin/series?days=7", headers=AUTH).get_json()["points"]) == 8
    last = today(days="7")
    assert (last["searches"], last["shown"], last["clicks"], last["asked_anyway"]) == (2, 1, 1, 1)
    assert (last["click_through"], last["deflection_rate"]) == (1.0, 0.5)
    assert today(days="30", bucket="week")["searches"] == 2
    assert today(lang="en")["asked_anyway"] == 1 and today(lang="en")["searches"] == 1
    assert today(board="Internet & WLAN")["deflection_rate"] == 1.0


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"bucket": "hour"}, "unknown bucket"),
        ({"days": "3000"}, "too many for one series"),
        ({"langs": "de"}, "unknown parameter 'langs'"),
        ({"since": "yesterday"}, "ISO 8601"),
    ],
)
def test_a_bad_series_request_is_a_400_naming_it(
    client: FlaskClient, query: dict[str, str], message: str
) -> None:
    answer = client.get("/api/admin/series", query_string=query, headers=AUTH)
    assert answer.status_code == 400 and message in answer.get_json()["error"]
