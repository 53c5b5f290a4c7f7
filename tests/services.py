"""Pytest fixtures that start real services for the tests (imported by conftest files).

Tests run against a real Elasticsearch, never a mock: if it cannot start, tests that need it
fail loudly. Only ASKFIND_SKIP_ELASTICSEARCH=1 turns that failure into a skip, for machines
where running it is known to be impossible.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType

import pytest

ELASTICSEARCH_SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "elasticsearch.py"


@cache
def elasticsearch_script() -> ModuleType:
    """Import scripts/elasticsearch.py, which is a standalone script rather than a package."""
    spec = importlib.util.spec_from_file_location("askfind_es_script", ELASTICSEARCH_SCRIPT)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {ELASTICSEARCH_SCRIPT}")
    module = importlib.util.module_from_spec(spec)
    # Registered before exec so dataclasses can resolve the module's own annotations.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def elasticsearch_url() -> Iterator[str]:
    """Start one Elasticsearch on a free port in a temporary directory for the whole session."""
    if os.environ.get("ASKFIND_SKIP_ELASTICSEARCH") == "1":
        pytest.skip("ASKFIND_SKIP_ELASTICSEARCH=1: not starting Elasticsearch")
    script = elasticsearch_script()
    server = script.ElasticsearchServer(port=script.free_port())
    server.start()  # raises ElasticsearchServiceError, with the end of the server log, on failure
    try:
        yield server.url
    finally:
        server.stop()
