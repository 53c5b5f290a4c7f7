"""Pytest fixtures that start real services for the tests (imported by conftest files).

Tests run against a real Elasticsearch, never a mock: if it cannot start, tests that need it
fail loudly. Only ASKFIND_SKIP_ELASTICSEARCH=1 turns that failure into a skip, for machines
where running it is known to be impossible; CI refuses that variable (.ci/run). During
development ASKFIND_TEST_ELASTICSEARCH_URL points the tests at a server already running
(scripts/elasticsearch_server.py start) instead of starting one per session.

The fixtures are imported once, by tests/conftest.py: a fixture imported into two modules
would be two fixtures, and start two servers.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"


def load_script(file_name: str, module_name: str) -> ModuleType:
    """Import a standalone script of scripts/ (with or without .py) as a module.

    scripts/ is on the path while it loads, since scripts import their siblings; the
    module is registered before it runs so dataclasses can resolve its own annotations.
    """
    loader = importlib.machinery.SourceFileLoader(module_name, str(SCRIPTS / file_name))
    spec = importlib.util.spec_from_loader(module_name, loader)
    if spec is None:
        raise ImportError(f"cannot load {SCRIPTS / file_name}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    sys.path.insert(0, str(SCRIPTS))
    try:
        loader.exec_module(module)
    finally:
        sys.path.remove(str(SCRIPTS))
    return module


def script_module(name: str) -> ModuleType:
    """Import a module of the scripts' own package, scripts/tools (``tools.benchmark.rows``).

    scripts/ is on the path while it loads, as it is when a script runs.
    """
    sys.path.insert(0, str(SCRIPTS))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(SCRIPTS))


@cache
def elasticsearch_script() -> ModuleType:
    """scripts/elasticsearch_server.py, imported."""
    return load_script("elasticsearch_server.py", "askfind_es_script")


@pytest.fixture(scope="session")
def elasticsearch_url() -> Iterator[str]:
    """Start one Elasticsearch on a free port in a temporary directory for the whole session."""
    if os.environ.get("ASKFIND_SKIP_ELASTICSEARCH") == "1":
        pytest.skip("ASKFIND_SKIP_ELASTICSEARCH=1: not starting Elasticsearch")
    if running := os.environ.get("ASKFIND_TEST_ELASTICSEARCH_URL"):
        yield running
        return
    script = elasticsearch_script()
    server = script.ElasticsearchServer(port=script.free_port())
    server.start()  # raises ElasticsearchServiceError, with the end of the server log, on failure
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def elasticsearch_cluster_session() -> Iterator[Any]:
    """Three Elasticsearch nodes forming one cluster (an ``ElasticsearchCluster`` of
    scripts/tools/elasticsearch_node), started once, for the failover tests alone: the rest
    of the suite uses the single node, which starts in half the time."""
    if os.environ.get("ASKFIND_SKIP_ELASTICSEARCH") == "1":
        pytest.skip("ASKFIND_SKIP_ELASTICSEARCH=1: not starting Elasticsearch")
    cluster = elasticsearch_script().ElasticsearchCluster()
    cluster.start()  # raises ElasticsearchServiceError, with the failing node's log
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def elasticsearch_cluster(elasticsearch_cluster_session: Any) -> Any:
    """The session's cluster with every node running: a node an earlier test killed or
    stopped is started again first (so a test that kills one need not wait for it)."""
    cluster = elasticsearch_cluster_session
    for index, node in enumerate(cluster.nodes):
        if node.pid is None:
            cluster.start_node(index)
    return cluster


@pytest.fixture
def elasticsearch_prefix(elasticsearch_url: str) -> Iterator[str]:
    """An index prefix of this test's own; every index under it is deleted afterwards."""
    prefix = unique_prefix()
    yield prefix
    delete_indices(elasticsearch_url, prefix)


def unique_prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


def delete_indices(url: str, prefix: str) -> None:
    """Delete every index whose name starts with ``prefix`` (hidden ones too)."""
    from elasticsearch import Elasticsearch

    with Elasticsearch(url, request_timeout=60) as client:
        found = client.options(ignore_status=404).indices.get(
            index=f"{prefix}*", expand_wildcards="all", features="aliases"
        )
        # Deleting by wildcard is refused by default (action.destructive_requires_name).
        if found.meta.status == 200 and found.body:
            client.indices.delete(index=",".join(found.body), expand_wildcards="all")
