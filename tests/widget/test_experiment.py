"""The deflection experiment over HTTP: held-back sessions get no suggestions, the others
the usual ones, and the report compares the arms (API and `askfind report`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from indexer.analytics.experiment import HOLDOUT, WIDGET, Experiment
from indexer.engine import Engine
from tests.widget.helpers import AUTH, writable_app
from widget.cli import main as cli

QUERY = "WLAN bricht ständig ab"
EXPERIMENT = Experiment("deflection", 0.5)
OWN = {"Origin": "http://localhost"}  # events come from the pages askfind serves
SESSIONS = [f"session-{n:04d}" for n in range(60)]


def session_in(arm: str) -> str:
    return next(s for s in SESSIONS if EXPERIMENT.arm(s) == arm)


@pytest.fixture
def client(sample_engine: Engine, tmp_path: Path) -> FlaskClient:
    return writable_app(sample_engine, tmp_path, experiment_holdout_share=0.5).test_client()


def suggest(client: FlaskClient, **params: str) -> dict:
    answer = client.get("/api/suggest", query_string={"q": QUERY, **params})
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def test_a_held_back_session_gets_no_suggestions(client: FlaskClient) -> None:
    answer = client.get("/api/suggest", query_string={"q": QUERY, "session": session_in(HOLDOUT)})
    assert answer.get_json() == {"query": QUERY, "items": [], "holdout": True}
    assert answer.headers["X-Cache"] == "holdout"


def test_the_other_sessions_get_the_usual_answer_and_the_cache_is_not_touched(
    client: FlaskClient,
) -> None:
    suggest(client, session=session_in(HOLDOUT))  # first: nothing may be cached from it
    shown = suggest(client, session=session_in(WIDGET))
    assert shown["items"] and "holdout" not in shown
    assert suggest(client) == shown  # no session (an API client): no experiment


def test_a_malformed_session_is_a_400(client: FlaskClient) -> None:
    answer = client.get("/api/suggest", query_string={"q": QUERY, "session": "no spaces, please"})
    assert answer.status_code == 400 and "session" in answer.get_json()["error"]


def test_without_an_experiment_the_session_changes_nothing(
    sample_engine: Engine, tmp_path: Path
) -> None:
    client = writable_app(sample_engine, tmp_path).test_client()
    assert suggest(client, session=session_in(HOLDOUT))["items"]


def test_the_report_compares_the_arms(client: FlaskClient, tmp_path: Path) -> None:
    posted = {WIDGET: 0, HOLDOUT: 0}
    for n, session in enumerate(SESSIONS):
        arm = EXPERIMENT.arm(session)
        results = [item["id"] for item in suggest(client, session=session)["items"]]
        events = [{"type": "impression", "session": session, "query": QUERY, "results": results}]
        if n % 3 == 0 or arm == HOLDOUT:  # held back: every one of them posts
            events.append({"type": "asked_anyway", "session": session, "query": QUERY})
            posted[arm] += 1
        for event in events:
            sent = client.post(
                "/api/events", data=json.dumps(event), content_type="text/plain", headers=OWN
            )
            assert sent.status_code == 202
    held = sum(EXPERIMENT.arm(s) == HOLDOUT for s in SESSIONS)
    report = client.get("/api/admin/report", headers=AUTH).get_json()
    experiment = report["experiment"]
    assert experiment["arms"][HOLDOUT] == {
        "sessions": held,
        "posted": held,
        "posted_rate": 1.0,
    }
    assert experiment["arms"][WIDGET]["posted"] == posted[WIDGET]
    assert experiment["deflection"]["estimate"] == pytest.approx(
        1 - posted[WIDGET] / (len(SESSIONS) - held), abs=1e-4
    )
    # The usual figures are the widget's arm's: held-back searches are no content gaps.
    assert report["sessions"] == len(SESSIONS) - held
    assert report["zero_result_queries"] == []
    gaps = client.get("/api/admin/gaps", headers=AUTH).get_json()
    assert gaps["no_match"] == []  # nor content gaps

    printed = CliRunner().invoke(
        cli,
        ["report", "--data-dir", str(tmp_path)],
        env={"ASKFIND_EXPERIMENT_HOLDOUT_SHARE": "0.5"},
    )
    assert printed.exit_code == 0, printed.output
    assert "deflection experiment 'deflection', 50.0% of sessions held back:" in printed.output
    assert f"holdout      {held} searching sessions" in printed.output
