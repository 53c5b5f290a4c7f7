"""The agents' page and its API: protection, full solutions, duplicate judgements, dates."""

from __future__ import annotations

import base64
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import generate_password_hash

from indexer.analytics.judgements import JudgementStore
from indexer.engine import Engine
from indexer.settings import load_settings
from tests.conftest import AGENT_KEY, keyed_engine_copy
from widget.agent_access import new_password, password_entry
from widget.app import create_app

KEY = AGENT_KEY
BEARER = {"Authorization": f"Bearer {KEY}"}
QUESTION = "WLAN bricht abends ständig ab"


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="module")
def agent_app(agent_engine: Engine) -> Flask:
    return create_app(engine=agent_engine)


@pytest.fixture
def client(agent_app: Flask) -> FlaskClient:
    return agent_app.test_client()


def search(client: FlaskClient, **params: Any) -> dict[str, Any]:
    answer = client.get("/api/search", query_string={"q": QUESTION, "limit": 10, **params})
    assert answer.status_code == 200, answer.json
    return answer.json


# --- protection -----------------------------------------------------------------------


def test_the_page_asks_to_log_in_without_a_key(client: FlaskClient) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, basic("agent", "wrong")):
        answer = client.get("/agent", headers=headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
        assert "error" in answer.json


def test_the_key_opens_the_page_as_a_header_or_as_the_login_password(
    client: FlaskClient,
) -> None:
    for headers in (BEARER, {"X-API-Key": KEY}, basic("anyone", KEY)):
        answer = client.get("/agent", headers=headers)
        assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert 'id="search"' in html and 'name="from"' in html and 'name="to"' in html
    assert "Router &amp; WLAN" in html  # the boards of the index are the board filter
    assert answer.headers["Cache-Control"] == "no-store"


def test_the_page_takes_its_limits_from_the_settings(sample_engine: Engine, tmp_path: Path) -> None:
    limits = {"query_max_chars": 321, "message_max_chars": 1234, "search_max_offset": 777}
    engine = keyed_engine_copy(sample_engine, tmp_path, KEY, **limits)
    try:
        html = create_app(engine=engine).test_client().get("/agent", headers=BEARER).text
    finally:
        engine.close()
    assert 'data-query-max-chars="321"' in html
    assert 'data-message-max-chars="1234"' in html
    assert 'data-max-offset="777"' in html


def test_the_page_runs_under_the_strict_csp_without_inline_code(client: FlaskClient) -> None:
    answer = client.get("/agent", headers=BEARER)
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    html = answer.get_data(as_text=True)
    assert re.findall(r"<script(?![^>]*\ssrc=)[^>]*>", html) == []  # no inline script
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers


def test_password_users_log_in_with_their_own_password(
    agent_engine: Engine, tmp_path: Path
) -> None:
    settings = agent_engine.settings.model_copy(
        update={"agent_auth": "password", "agent_users": (password_entry("maria", "s3cret!"),)}
    )
    engine = Engine(
        settings, agent_engine.analyzer, agent_engine.embedder, agent_engine.backend,
        agent_engine.search,
    )  # fmt: skip
    client = create_app(engine=engine).test_client()
    assert client.get("/agent", headers=basic("maria", "s3cret!")).status_code == 200
    assert client.get("/agent", headers=basic("maria", "wrong")).status_code == 401
    assert client.get("/agent", headers=basic("mario", "s3cret!")).status_code == 401
    assert client.get("/agent", headers=BEARER).status_code == 401  # keys are not users here
    page = client.get("/agent", headers=basic("maria", "s3cret!")).get_data(as_text=True)
    assert ">maria<" in page


def test_askfind_agent_user_prints_lines_a_shell_and_the_settings_file_take_as_they_are(
    agent_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The hash holds `$`: pasted unquoted, a shell would expand it away."""
    from click.testing import CliRunner

    from widget.cli import main

    made = CliRunner().invoke(main, ["agent-user", "d'Artagnan", "--password", "Kabel-7!"])
    assert made.exit_code == 0, made.output
    assert "Kabel-7!" not in made.output
    lines = made.output.splitlines()
    entry = lines[0]
    assert entry.startswith("d'Artagnan:") and "$" in entry
    shell_line = next(line.strip() for line in lines if line.strip().startswith("export "))
    # What a shell makes of the pasted line is what askfind reads.
    environment = subprocess.run(
        ["bash", "-c", f"{shell_line} && env"],
        capture_output=True, text=True, check=True, env={"PATH": os.environ["PATH"]},
    ).stdout.splitlines()  # fmt: skip
    assert "ASKFIND_AGENT_AUTH=password" in environment
    assert f"ASKFIND_AGENT_USERS={entry}" in environment
    # And the settings-file lines make a file the settings read.
    toml_lines = lines[lines.index("Or in askfind.toml:") + 1 :]
    config = tmp_path / "askfind.toml"
    config.write_text("\n".join(line.strip() for line in toml_lines) + "\n", encoding="utf-8")
    for name in [name for name in os.environ if name.startswith("ASKFIND_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("ASKFIND_CONFIG", str(config))
    from_file = load_settings()
    assert from_file.agent_auth == "password" and from_file.agent_users == (entry,)
    client = _app_with(agent_engine, agent_auth="password", agent_users=(entry,)).test_client()
    assert client.get("/agent", headers=basic("d'Artagnan", "Kabel-7!")).status_code == 200
    assert client.get("/agent", headers=basic("d'Artagnan", "kabel-7!")).status_code == 401
    refused = CliRunner().invoke(main, ["agent-user", "a:b", "--password", "x"])
    assert refused.exit_code == 2 and "must not be empty or contain" in refused.output


def test_askfind_agent_user_refuses_an_empty_password() -> None:
    from click.testing import CliRunner

    from widget.cli import main

    refused = CliRunner().invoke(main, ["agent-user", "emp", "--password", ""])
    assert refused.exit_code == 2
    assert "Invalid value for --password: the password must not be empty" in refused.output
    assert "emp:" not in refused.output and "ASKFIND_AGENT_USERS" not in refused.output
    # Asked for it, an empty answer is asked again (click's prompt), never taken.
    asked = CliRunner().invoke(main, ["agent-user", "emp"], input="\nKabel-7!\nKabel-7!\n")
    assert asked.exit_code == 0, asked.output
    assert asked.output.count("Password:") == 2


def test_an_entry_with_an_empty_password_lets_no_one_in(agent_engine: Engine) -> None:
    """An entry hashed by hand, not by `askfind agent-user`, from an empty password."""
    entry = f"emp:{generate_password_hash('')}"
    client = _app_with(agent_engine, agent_auth="password", agent_users=(entry,)).test_client()
    for headers in (
        basic("emp", ""),
        {"Authorization": "Basic " + base64.b64encode(b"emp").decode()},
    ):
        refused = client.get("/agent", headers=headers)
        assert refused.status_code == 401
        assert "this user name and password are not valid" in refused.json["error"]


def test_generated_passwords_start_and_end_with_a_letter_or_digit() -> None:
    """Not with "-" or "_": printed after "password", they read as punctuation."""
    passwords = {new_password() for _ in range(2000)}
    assert len(passwords) == 2000
    assert all(len(password) >= 12 and password.isascii() for password in passwords)
    assert all(password[0].isalnum() and password[-1].isalnum() for password in passwords)


# Every way to sign in, with its settings, named in every 401.
SIGN_IN_HINTS = (
    "askfind api-key",
    "api_keys (ASKFIND_API_KEYS)",
    "askfind agent-user NAME",
    "ASKFIND_AGENT_AUTH=password",
    "agent_users (ASKFIND_AGENT_USERS)",
)
MARIA = password_entry("maria", "s3cret!")


@pytest.mark.parametrize(
    ("settings", "headers", "problem"),
    [
        ({"api_keys": ()}, BEARER, "takes an API key (agent_auth = api-key): none is configured"),
        ({}, {}, "needs an API key (agent_auth = api-key)"),
        ({}, {"Authorization": "Bearer wrong"}, "this API key is not valid"),
        (  # a user made with `askfind agent-user`, but agent_auth still says api-key
            {"agent_users": (MARIA,)},
            basic("maria", "s3cret!"),
            "the users of agent_users sign in only with agent_auth = password",
        ),
        ({"agent_auth": "password"}, {}, "takes a user (agent_auth = password), and none is"),
        ({"agent_auth": "password", "agent_users": (MARIA,)}, {}, "needs a user name and pass"),
        (
            {"agent_auth": "password", "agent_users": (MARIA,)},
            basic("maria", "wrong"),
            "this user name and password are not valid",
        ),
    ],
)
def test_every_refusal_says_why_and_names_each_way_to_sign_in(
    agent_engine: Engine, settings: dict[str, Any], headers: dict[str, str], problem: str
) -> None:
    answer = _app_with(agent_engine, **settings).test_client().get("/agent", headers=headers)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Basic realm=")
    message = answer.json["error"]
    assert problem in message
    for hint in SIGN_IN_HINTS:
        assert hint in message


def _app_with(agent_engine: Engine, **settings: Any) -> Flask:
    engine = Engine(
        agent_engine.settings.model_copy(update=settings), agent_engine.analyzer,
        agent_engine.embedder, agent_engine.backend, agent_engine.search,
    )  # fmt: skip
    return create_app(engine=engine)


def test_the_agent_api_is_protected_too(client: FlaskClient) -> None:
    refused = client.get("/api/agent/threads/wlan-002")
    assert refused.status_code == 401 and refused.json["code"] == "sign_in_required"
    marked = client.post("/api/agent/duplicates", json={"thread": "a", "duplicate_of": "b"})
    assert marked.status_code == 401


# --- the full solution ------------------------------------------------------------------


def test_a_thread_comes_with_its_full_accepted_solution_as_text(client: FlaskClient) -> None:
    item = next(i for i in search(client)["items"] if i["solved"])
    answer = client.get(f"/api/agent/threads/{item['id']}", headers=BEARER)
    assert answer.status_code == 200
    thread = answer.json
    assert thread["id"] == item["id"] and thread["title"] == item["title"]
    solution = thread["solution"]["text"]
    assert len(solution) > len(item["solution"]["snippet"].rstrip("…"))
    assert solution.startswith(item["solution"]["snippet"].rstrip("…")[:40])
    assert "<" not in solution  # plain text, not the forum's HTML
    missing = client.get("/api/agent/threads/nope", headers=BEARER)
    assert missing.status_code == 404
    assert missing.json["code"] == "thread_not_found" and missing.json["id"] == "nope"


# --- duplicate judgements ------------------------------------------------------------------


def test_marking_a_duplicate_folds_it_into_its_canonical_thread_until_withdrawn(
    client: FlaskClient, agent_engine: Engine
) -> None:
    before = search(client)["items"]
    canonical, duplicate = before[0], before[1]
    marked = client.post(
        "/api/agent/duplicates",
        json={"thread": duplicate["id"], "duplicate_of": canonical["id"], "query": QUESTION},
        headers=BEARER,
    )
    assert marked.status_code == 201
    assert marked.json["agent"].startswith("key:")

    after = search(client)["items"]
    ids = [item["id"] for item in after]
    assert duplicate["id"] not in ids
    assert after[0]["id"] == canonical["id"]
    # The judged thread comes with the duplicates folded into it before.
    assert after[0]["duplicates"] == canonical["duplicates"] + 1 + duplicate["duplicates"]
    detail = client.get(f"/api/agent/threads/{duplicate['id']}", headers=BEARER).json
    assert detail["judged_duplicate_of"] == canonical["id"]

    withdrawn = client.post(
        "/api/agent/duplicates",
        json={"thread": duplicate["id"], "duplicate_of": None},
        headers=BEARER,
    )
    assert withdrawn.status_code == 201
    assert [item["id"] for item in search(client)["items"]] == [item["id"] for item in before]

    store = JudgementStore(agent_engine.settings.data_dir)
    history = [(j.thread, j.duplicate_of, j.query) for j in store.read()]
    store.close()
    assert history[-2:] == [
        (duplicate["id"], canonical["id"], QUESTION),
        (duplicate["id"], None, ""),
    ]


def test_a_judgement_reaches_the_cached_suggestions_of_every_worker(
    agent_engine: Engine,
) -> None:
    """Two apps on one data dir stand for two gunicorn workers, each with its own cache."""
    page, widget = create_app(engine=agent_engine), create_app(engine=agent_engine)
    agents, customers = page.test_client(), widget.test_client()

    def suggested() -> tuple[list[str], str]:
        answer = customers.get("/api/suggest", query_string={"q": "DSL Störung"})
        assert answer.status_code == 200, answer.json
        return [item["id"] for item in answer.json["items"]], answer.headers["X-Cache"]

    before, _ = suggested()
    assert len(before) >= 2
    assert suggested() == (before, "hit")  # cached in the customers' worker
    canonical, duplicate = before[0], before[1]

    def judge(duplicate_of: str | None) -> None:
        body = {"thread": duplicate, "duplicate_of": duplicate_of}
        assert agents.post("/api/agent/duplicates", json=body, headers=BEARER).status_code == 201

    judge(canonical)
    folded, cache = suggested()
    assert cache == "miss" and duplicate not in folded and folded[0] == canonical
    judge(None)
    assert suggested() == (before, "miss")


def test_bad_judgements_are_refused_with_the_reason(client: FlaskClient) -> None:
    def post(body: Any, **kwargs: Any) -> Any:
        return client.post("/api/agent/duplicates", headers=BEARER, **kwargs, json=body)

    unknown = post({"thread": "wlan-002", "duplicate_of": "nope"})
    assert unknown.status_code == 404
    # The English error stays as it was; the code and id let the page say it in German.
    assert unknown.json == {
        "error": "no thread with id 'nope'",
        "code": "thread_not_found",
        "id": "nope",
    }
    itself = post({"thread": "wlan-002", "duplicate_of": "wlan-002"})
    assert itself.status_code == 400
    assert itself.json == {
        "error": "a thread cannot be a duplicate of itself",
        "code": "duplicate_of_itself",
    }
    not_an_id = post({"thread": 7, "duplicate_of": "wlan-002"})
    assert not_an_id.status_code == 400 and not_an_id.json["code"] == "invalid_judgement"
    assert post(["wlan-002"]).status_code == 400
    form = client.post(
        "/api/agent/duplicates",
        data={"thread": "wlan-001", "duplicate_of": "wlan-002"},
        headers=BEARER,
    )
    assert form.status_code == 415  # JSON only: no cross-site form posts
    huge = post({"thread": "wlan-001", "duplicate_of": "wlan-002", "query": "x" * 5000})
    assert huge.status_code == 413


def test_a_judgements_query_is_redacted_before_it_is_cut(
    client: FlaskClient, agent_engine: Engine
) -> None:
    query = "x" * 495 + " hans.meier@example.de"  # the cut at 500 falls inside the address
    body = {"thread": "wlan-001", "duplicate_of": None, "query": query}
    assert client.post("/api/agent/duplicates", json=body, headers=BEARER).status_code == 201
    store = JudgementStore(agent_engine.settings.data_dir)
    last = list(store.read())[-1]
    store.close()
    assert last.query == "x" * 495 + " "  # the placeholder did not fit: left out whole
    assert "hans" not in last.query


# --- the date range in /api/search -------------------------------------------------------


def test_search_takes_a_creation_date_range(client: FlaskClient) -> None:
    everything = search(client, limit=100)
    in_2024 = search(client, limit=100, **{"from": "2024-01-01", "to": "2024-12-31"})
    assert 0 < in_2024["total"] < everything["total"]
    assert all(item["created_at"].startswith("2024-") for item in in_2024["items"])
    # The range applies before the top-K: every thread of 2024 the unfiltered search
    # found is among them (the ranking among them may differ: scores are normalised over
    # the candidates).
    found_2024 = {i["id"] for i in everything["items"] if i["created_at"].startswith("2024-")}
    assert found_2024 <= {item["id"] for item in in_2024["items"]}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"from": "yesterday"}, "from must be a date"),
        ({"to": "2024-13-01"}, "to must be a date"),
        ({"from": "2024-06-01", "to": "2024-05-01"}, "ends before it starts"),
    ],
)
def test_a_bad_date_range_is_a_400_naming_it(
    client: FlaskClient, params: dict[str, str], message: str
) -> None:
    answer = client.get("/api/search", query_string={"q": QUESTION, **params})
    assert answer.status_code == 400
    assert message in answer.json["error"]


# --- the page's language ------------------------------------------------------------------


def page_lang(client: FlaskClient, path: str = "/agent", **headers: str) -> str:
    answer = client.get(path, headers={**BEARER, **headers})
    assert answer.status_code == 200
    found = re.search(r'<html lang="(\w+)">', answer.get_data(as_text=True))
    assert found is not None
    return found.group(1)


def test_the_browser_language_chooses_german_or_english(client: FlaskClient) -> None:
    assert page_lang(client, **{"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"}) == "de"
    assert page_lang(client, **{"Accept-Language": "en-GB,en;q=0.9"}) == "en"
    assert page_lang(client, **{"Accept-Language": "fr-FR,en;q=0.5,de;q=0.4"}) == "en"
    assert page_lang(client, **{"Accept-Language": "fr-FR"}) == "de"  # German first
    assert page_lang(client) == "de"
    answer = client.get("/agent", headers={**BEARER, "Accept-Language": "en"})
    assert {"Accept-Language", "Cookie"} <= set(answer.vary)
    html = answer.get_data(as_text=True)
    assert "<title>askfind – agents&#39; search</title>" in html
    assert '<a id="switch-language" href="?ui=de"' in html and ">Deutsch</a>" in html
    assert '<option value="de">German</option>' in html  # languages named in English


def test_the_switch_wins_and_is_remembered(agent_app: Flask) -> None:
    client = agent_app.test_client()
    german = {"Accept-Language": "de"}
    switched = client.get("/agent?ui=en", headers={**BEARER, **german})
    assert 'lang="en"' in switched.get_data(as_text=True)
    cookie = switched.headers["Set-Cookie"]
    assert cookie.startswith("askfind_agent_ui=en;") and "HttpOnly" in cookie
    assert "Path=/agent" in cookie and "SameSite=Lax" in cookie
    assert page_lang(client, **german) == "en"  # the cookie, over Accept-Language
    assert page_lang(client, "/agent?ui=de", **german) == "de"
    assert page_lang(client, **{"Accept-Language": "en"}) == "de"
    # An unknown choice changes nothing and sets no cookie.
    answer = client.get("/agent?ui=fr", headers={**BEARER, **german})
    assert "Set-Cookie" not in answer.headers and 'lang="de"' in answer.get_data(as_text=True)


def test_the_scripts_strings_reach_the_page_as_json_in_its_language(client: FlaskClient) -> None:
    import html as html_module
    import json

    from widget.agent_text import SCRIPT

    for lang in ("de", "en"):
        page = client.get(f"/agent?ui={lang}", headers=BEARER).get_data(as_text=True)
        found = re.search(r"data-text='([^']*)'", page)
        assert found is not None
        assert json.loads(html_module.unescape(found.group(1))) == SCRIPT[lang]
