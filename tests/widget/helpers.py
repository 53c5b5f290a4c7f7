"""Helpers of the service tests that write: an index of their own, an API key."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flask import Flask

from indexer.engine import Engine
from tests.conftest import engine_on
from widget.app import create_app
from widget.auth import digest_of

API_KEY = "test-key-0123456789abcdef0123456789abcdef"
AUTH = {"Authorization": f"Bearer {API_KEY}"}


def writable_app(sample_engine: Engine, data_dir: Path, **overrides: Any) -> Flask:
    """An app over a copy of the sample index, with ``API_KEY`` valid and no rate limit
    unless the test sets one."""
    shutil.copytree(sample_engine.settings.data_dir / "index", data_dir / "index")
    overrides.setdefault("api_keys", (digest_of(API_KEY),))
    overrides.setdefault("rate_limit_per_second", 0.0)
    overrides.setdefault("log_format", "text")
    return create_app(engine=engine_on(sample_engine, data_dir, **overrides))
