"""An app over the sample community, shared by the API tests (read-only)."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.conftest import engine_on
from widget.app import create_app
from widget.logs import JsonFormatter


@pytest.fixture(scope="session")
def app(sample_engine: Engine) -> Flask:
    """The sample community's app, shared by the session's tests, with no rate limit:
    whether a test got 429 would depend on how many requests the tests just before it
    sent (the limits are tested on apps of their own, tests/widget/test_limits.py)."""
    settings = sample_engine.settings
    return create_app(engine=engine_on(sample_engine, settings.data_dir, rate_limit_per_second=0.0))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """Everything askfind logs at INFO (the service's default level) while the test runs,
    as JSON lines, as it would reach the log."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)
