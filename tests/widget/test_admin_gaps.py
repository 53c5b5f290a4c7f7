"""GET /api/admin/gaps and `askfind gaps`: the content gaps of the events the widget sent,
as JSON and as CSV, behind the report's API key."""

from __future__ import annotations

import csv
import io
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
GAP = "Rufnummer ins Ausland portieren"
ANSWERED = "WLAN Passwort ändern"


def typing(session: str, text: str, results: list[str]) -> list[dict[str, Any]]:
    """The impressions the widget sends while ``text`` is typed (from 3 letters on)."""
    return [
        {"type": "impression", "session": session, "query": text[:n], "lang": "de",
         "results": results}
        for n in range(3, len(text) + 1, 4)
    ] + [{"type": "impression", "session": session, "query": text, "lang": "de",
          "results": results}]  # fmt: skip


def events() -> list[dict[str, Any]]:
    sent = []
    for n in range(3):  # three people do not find it and ask; one of them left an e-mail
        session = f"s-gap-{n:05d}"
        text = GAP if n else f"{GAP} an kim@example.org"
        sent += typing(session, text, [])
        sent.append({"type": "asked_anyway", "session": session, "query": text})
    for n in range(3):  # three find the answer
        session = f"s-wlan-{n:04d}"
        sent += typing(session, ANSWERED, ["wlan-003"])
        sent.append({"type": "click", "session": session, "query": ANSWERED,
                     "thread": "wlan-003", "rank": 1})  # fmt: skip
    return sent


@pytest.fixture(scope="module")
def client(sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    data_dir = tmp_path_factory.mktemp("gaps-app")
    client = writable_app(sample_engine, data_dir).test_client()
    client.data_dir = data_dir  # type: ignore[attr-defined]
    for event in events():
        answer = client.post(
            "/api/events", data=json.dumps(event), content_type="text/plain",
            headers={"Origin": OWN},
        )  # fmt: skip
        assert answer.status_code == 202
    return client


def check(gaps: dict[str, Any]) -> None:
    assert gaps["questions"] == 6 and gaps["poor_match"] == []
    [group] = gaps["no_match"]
    assert group["question"] == "rufnummer ins ausland portieren"
    assert (group["sessions"], group["no_match_sessions"]) == (3, 3)
    assert group["searches"] == sum(
        len(typing("s", GAP if n else f"{GAP} an kim@example.org", [])) for n in range(3)
    )
    assert group["candidates"] and group["actions"]["pin"]["thread_ids"] == [
        c["id"] for c in group["candidates"]
    ]
    assert "kim@example.org" not in json.dumps(gaps)


def test_the_gaps_over_http_need_a_key(client: FlaskClient) -> None:
    assert client.get("/api/admin/gaps").status_code == 401
    answer = client.get("/api/admin/gaps", headers=AUTH)
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "no-store"
    check(answer.get_json())


def test_the_gaps_as_csv(client: FlaskClient) -> None:
    answer = client.get("/api/admin/gaps", query_string={"format": "csv"}, headers=AUTH)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    json_groups = client.get("/api/admin/gaps", headers=AUTH).get_json()["no_match"]
    assert [row["id"] for row in rows] == [group["id"] for group in json_groups]
    assert rows[0]["list"] == "no_match" and rows[0]["sessions"] == "3"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"format": "xml"}, 'unknown format "xml"'),
        ({"top": "0"}, "top must be between"),
        ({"since": "yesterday"}, "ISO 8601"),
        ({"q": "Glasfaser"}, "unknown parameter 'q'"),
    ],
)
def test_a_bad_request_is_a_400(client: FlaskClient, query: dict[str, str], message: str) -> None:
    answer = client.get("/api/admin/gaps", query_string=query, headers=AUTH)
    assert answer.status_code == 400 and message in answer.get_json()["error"], answer.get_json()


def test_the_command_prints_the_same_gaps_and_writes_csv(client: FlaskClient) -> None:
    data_dir = str(client.data_dir)  # type: ignore[attr-defined]
    runner = CliRunner()
    as_json = runner.invoke(cli, ["gaps", "--json", "--data-dir", data_dir])
    assert as_json.exit_code == 0, as_json.output
    check(json.loads(as_json.output))
    target = Path(data_dir) / "gaps.csv"
    text = runner.invoke(cli, ["gaps", "--days", "1", "--csv", str(target), "--data-dir", data_dir])
    assert text.exit_code == 0, text.output
    assert "rufnummer ins ausland portieren" in text.output
    assert "3 of 3 sessions without an answer" in text.output
    rows = list(csv.DictReader(target.open(encoding="utf-8", newline="")))
    assert len(rows) == 1 and rows[0]["question"] == "rufnummer ins ausland portieren"
    bad = runner.invoke(cli, ["gaps", "--since", "yesterday", "--data-dir", data_dir])
    assert bad.exit_code == 2 and "--since" in bad.output
