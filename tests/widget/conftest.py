"""An app over the sample community, shared by the API tests (read-only)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from indexer.engine import Engine
from widget.app import create_app


@pytest.fixture(scope="session")
def app(sample_engine: Engine) -> Flask:
    return create_app(engine=sample_engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
