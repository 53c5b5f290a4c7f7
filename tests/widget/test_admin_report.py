"""GET /api/admin/report and `askfind report`: the same report from the events the widget sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.widget.helpers import AUTH, writable_app
from widget.cli import main as cli

OWN = "http://localhost"
EVENTS = [
    {"type": "impression", "session": "s-aaaaaaaa", "query": "WLAN bricht ab", "lang": "de",
     "board": "Internet & WLAN", "results": ["wlan-001"]},
    {"type": "click", "session": "s-aaaaaaaa", "query": "WLAN bricht ab", "thread": "wlan-001",
     "rank": 1},
    {"type": "impression", "session": "s-bbbbbbbb", "query": "Kündigung an kim@example.org",
     "lang": "de", "results": []},
    {"type": "asked_anyway", "session": "s-bbbbbbbb", "query": "Kündigung an kim@example.org"},
]  # fmt: skip


@pytest.fixture
def client(sample_engine: Engine, tmp_path: Path) -> FlaskClient:
    client = writable_app(sample_engine, tmp_path).test_client()
    for event in EVENTS:
        answer = client.post(
            "/api/events",
            data=json.dumps(event),
            content_type="text/plain",
            headers={"Origin": OWN},
        )
        assert answer.status_code == 202
    return client


def check(report: dict[str, Any]) -> None:
    assert (report["searches"], report["sessions"]) == (2, 2)
    assert (report["click_through"], report["deflection_rate"]) == (1.0, 0.5)
    assert report["zero_result_queries"] == [{"query": "kündigung an [email]", "searches": 1}]
    assert report["by_board"]["Internet & WLAN"]["deflection_rate"] == 1.0
    assert "kim@example.org" not in json.dumps(report)


def test_the_report_over_http_needs_a_key(client: FlaskClient) -> None:
    assert client.get("/api/admin/report").status_code == 401
    answer = client.get("/api/admin/report", headers=AUTH)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    check(answer.get_json())


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"since": "yesterday"}, "ISO 8601"),
        ({"days": "0"}, "days must be between"),
        ({"since": "2026-01-02", "until": "2026-01-01"}, "before until"),
        ({"since": "2026-01-01", "days": "3"}, "not both"),
    ],
)
def test_a_bad_period_is_a_400(client: FlaskClient, query: dict[str, str], message: str) -> None:
    answer = client.get("/api/admin/report", query_string=query, headers=AUTH)
    assert answer.status_code == 400 and message in answer.get_json()["error"]


def test_a_period_in_the_past_has_no_events(client: FlaskClient) -> None:
    query = {"since": "2020-01-01", "until": "2020-02-01"}
    answer = client.get("/api/admin/report", query_string=query, headers=AUTH).get_json()
    assert answer["searches"] == 0 and answer["since"].startswith("2020-01-01")


def test_the_command_prints_the_same_report(client: FlaskClient, tmp_path: Path) -> None:
    runner = CliRunner()
    as_json = runner.invoke(cli, ["report", "--json", "--data-dir", str(tmp_path)])
    assert as_json.exit_code == 0, as_json.output
    check(json.loads(as_json.output))
    text = runner.invoke(cli, ["report", "--days", "1", "--data-dir", str(tmp_path)])
    assert text.exit_code == 0
    assert "click-through 100.0%, deflection 50.0%" in text.output
    assert "kündigung an [email]" in text.output


def test_api_key_command_prints_a_key_and_its_digest() -> None:
    from widget.auth import digest_of

    made = CliRunner().invoke(cli, ["api-key"])
    key = made.output.split("key:", 1)[1].split()[0]
    assert digest_of(key) in made.output
    hashed = CliRunner().invoke(cli, ["api-key", "--hash", "secret"])
    assert hashed.output.split("digest:", 1)[1].split()[0] == digest_of("secret")
