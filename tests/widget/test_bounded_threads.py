"""Issue 16, item 10: one huge thread is cut to ``thread_max_chars`` on ingest, by every
way in (the write API, ``askfind index``, ``askfind sync``), on both backends, and the
answer or the command says which threads were cut."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.conftest import backend_settings, engine_on, write_jsonl
from tests.services import delete_indices
from tests.widget.helpers import API_KEY, AUTH
from widget.app import close_app, create_app
from widget.auth import digest_of

MAX_CHARS = 2000
# Its beginning holds the words it is found by; its end a word that is cut off.
HUGE = {
    "id": "huge-1",
    "title": "Protokoll des Routers nach dem Absturz",
    "body": "Zeitstempel Kernelpanik im Protokoll " + "Zeile 42 ok. " * 20_000 + "Zebrafinkenlied",
    "lang": "de",
}
SMALL = {"id": "small-1", "title": "Router startet neu", "body": "Seit gestern.", "lang": "de"}


@pytest.fixture(params=["embedded", "elasticsearch"])
def app(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path) -> Iterator[Flask]:
    settings = backend_settings(
        request,
        request.param,
        tmp_path,
        api_keys=(digest_of(API_KEY),),
        rate_limit_per_second=0.0,
        thread_max_chars=MAX_CHARS,
    )
    app = create_app(
        engine=engine_on(engine, tmp_path, **settings.model_dump(exclude={"data_dir"}))
    )
    yield app
    close_app(app)
    if request.param == "elasticsearch":
        delete_indices(settings.elasticsearch_url, settings.elasticsearch_index_prefix)


def found(client: FlaskClient, text: str) -> list[str]:
    answer = client.get("/api/search", query_string={"q": text})
    assert answer.status_code == 200
    return [item["id"] for item in answer.get_json()["items"]]


def test_the_write_api_cuts_a_huge_thread_and_says_so(app: Flask) -> None:
    client = app.test_client()
    answer = client.post("/api/threads", json=[HUGE, SMALL], headers=AUTH)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["truncated"] == ["huge-1"]
    assert answer.get_json()["indexed"] == 2
    stored = client.get("/api/threads/huge-1").get_json()
    assert len(stored["body"]) == MAX_CHARS and stored["body"].endswith("…")
    assert client.get("/api/threads/small-1").get_json()["body"] == "Seit gestern."
    assert found(client, "Kernelpanik Zeitstempel")[:1] == ["huge-1"]
    assert "Zebrafinkenlied" not in stored["body"]
    # The same thread again is the same cut thread: nothing changes.
    again = client.post("/api/threads", json=HUGE, headers=AUTH).get_json()
    assert (again["indexed"], again["unchanged"], again["truncated"]) == (0, 1, ["huge-1"])


def askfind(*args: str, settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    env.update({f"ASKFIND_{name.upper()}": value for name, value in settings.items()})
    return subprocess.run(
        [sys.executable, "-m", "widget.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )


@pytest.mark.parametrize("command", ["index", "sync"])
@pytest.mark.parametrize("backend", ["embedded", "elasticsearch"])
def test_index_and_sync_cut_a_huge_thread_and_name_it(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str, command: str
) -> None:
    settings = backend_settings(request, backend, tmp_path / "d")
    environment: dict[str, Any] = {
        "data_dir": str(tmp_path / "d"),
        "backend": backend,
        "thread_max_chars": str(MAX_CHARS),
    }
    if backend == "elasticsearch":
        environment |= {
            "elasticsearch_url": settings.elasticsearch_url,
            "elasticsearch_index_prefix": settings.elasticsearch_index_prefix,
        }
    source = write_jsonl(tmp_path / "in.jsonl", [HUGE, SMALL])
    try:
        done = askfind(command, str(source), settings=environment)
        assert done.returncode == 0, done.stderr
        assert done.stderr.splitlines() == [
            f"cut 1 thread longer than {MAX_CHARS} characters (setting thread_max_chars), "
            "indexed with its beginning: huge-1"
        ]
        shown = askfind("search", "Kernelpanik Zeitstempel", "--json", settings=environment)
        items = json.loads(shown.stdout)["items"]
        assert items[0]["id"] == "huge-1"
    finally:
        if backend == "elasticsearch":
            delete_indices(settings.elasticsearch_url, settings.elasticsearch_index_prefix)
