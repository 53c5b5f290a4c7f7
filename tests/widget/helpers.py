"""Helpers of the service tests that write: an index of their own, an API key."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.conftest import engine_on
from tests.services import delete_indices, unique_prefix
from widget.app import close_app, create_app
from widget.auth import digest_of

API_KEY = "test-key-0123456789abcdef0123456789abcdef"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
RULES = "/api/admin/rules"


def writable_app(sample_engine: Engine, data_dir: Path, **overrides: Any) -> Flask:
    """An app over a copy of the sample index, with ``API_KEY`` valid and no rate limit
    unless the test sets one."""
    shutil.copytree(sample_engine.settings.data_dir / "index", data_dir / "index")
    overrides.setdefault("api_keys", (digest_of(API_KEY),))
    overrides.setdefault("rate_limit_per_second", 0.0)
    overrides.setdefault("log_format", "text")
    return create_app(engine=engine_on(sample_engine, data_dir, **overrides))


@contextmanager
def seeded_app(
    request: pytest.FixtureRequest,
    engine: Engine,
    data_dir: Path,
    records: list[dict[str, Any]],
    **overrides: Any,
) -> Iterator[Flask]:
    """An app on the backend ``request.param`` names, over an index of its own holding
    ``records`` (written through the API with ``API_KEY``), no rate limit; closed, and its
    Elasticsearch indices deleted, afterwards."""
    backend: dict[str, Any] = {"backend": request.param}
    if request.param == "elasticsearch":
        url = request.getfixturevalue("elasticsearch_url")
        backend |= {"elasticsearch_url": url, "elasticsearch_index_prefix": unique_prefix()}
    app = create_app(
        engine=engine_on(
            engine,
            data_dir,
            api_keys=(digest_of(API_KEY),),
            rate_limit_per_second=0.0,
            **backend,
            **overrides,
        )
    )
    try:
        written = app.test_client().post("/api/threads", json=records, headers=AUTH)
        assert written.status_code == 200, written.get_json()
        yield app
    finally:
        close_app(app)
        if request.param == "elasticsearch":
            delete_indices(backend["elasticsearch_url"], backend["elasticsearch_index_prefix"])


def client_leaving_no_rules(app: Flask) -> Iterator[FlaskClient]:
    """A test client of ``app`` (a fixture's body: ``yield from``) that removes, after the
    test, every curation rule it left, so that the next test of a module's app starts
    with none."""
    client = app.test_client()
    yield client
    for rule in client.get(RULES, headers=AUTH).get_json()["rules"]:
        client.delete(f"{RULES}/{rule['id']}", headers=AUTH)
