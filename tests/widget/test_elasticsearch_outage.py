"""The service on Elasticsearch starts while the cluster is down, answers 503 (never hangs)
while it is unreachable or frozen, and recovers by itself when it comes back: tested by
stopping, freezing (SIGSTOP) and starting a real Elasticsearch of this test's own."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from indexer.engine import Engine
from indexer.sources import read_source
from tests import services
from tests.conftest import engine_on
from widget.app import create_app

REQUEST_TIMEOUT_S = 2.0
# An answer while the cluster is unreachable: at most two attempts of the request timeout.
UNAVAILABLE_WITHIN_S = 2 * REQUEST_TIMEOUT_S + 1.0
RECOVERY_WITHIN_S = 30.0
QUESTION = {"q": "WLAN bricht abends ständig ab"}
UNSEEN_DAYS = itertools.count(2)


@pytest.fixture
def server(elasticsearch_url: str) -> Iterator[object]:
    """A second Elasticsearch, stopped for now, with data that survives a restart.

    ``elasticsearch_url`` is requested so that this test fails where Elasticsearch cannot
    run, like the others (and is skipped only where they are).
    """
    script = services.elasticsearch_script()
    # Not under pytest's private tmp folder: the server may run as another user.
    workdir = Path(tempfile.mkdtemp(prefix="askfind-es-outage-"))
    workdir.chmod(0o755)
    server = script.ElasticsearchServer(port=script.free_port(), workdir=workdir)
    try:
        yield server
    finally:
        if server.pid is not None:  # never leave it frozen: a stopped JVM ignores SIGTERM
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGCONT)
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def answer(client: FlaskClient, path: str, **query: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = client.get(path, query_string=query)
    return response.status_code, json.loads(response.data), time.monotonic() - started


def assert_unavailable(client: FlaskClient) -> None:
    """Not ready, and a question nobody asked before (so no cache can answer it) gets 503."""
    status, body, _ = answer(client, "/readyz")
    assert (status, body["status"]) == (503, "unavailable")
    unseen = f"{QUESTION['q']} seit {next(UNSEEN_DAYS)} Tagen"
    status, body, seconds = answer(client, "/api/suggest", q=unseen)
    assert status == 503 and "Elasticsearch" in body["error"]
    assert seconds < UNAVAILABLE_WITHIN_S


def wait_until_ready(client: FlaskClient) -> None:
    deadline = time.monotonic() + RECOVERY_WITHIN_S
    while answer(client, "/readyz")[0] != 200:
        assert time.monotonic() < deadline, "askfind did not recover"
        time.sleep(0.5)


def test_503_while_elasticsearch_is_down_or_frozen_and_recovery_without_restart(
    server: object, engine: Engine, tmp_path: Path, sample_path: Path
) -> None:
    served = engine_on(
        engine,
        tmp_path / "data",
        backend="elasticsearch",
        elasticsearch_url=server.url,  # type: ignore[attr-defined]
        elasticsearch_index_prefix="outage",
        elasticsearch_request_timeout=REQUEST_TIMEOUT_S,
    )
    client = create_app(engine=served).test_client()
    try:
        # Nothing listens yet: the app starts, lives, is not ready, and says why.
        assert client.get("/healthz").status_code == 200
        assert_unavailable(client)

        server.start()  # type: ignore[attr-defined]
        sample = [t for t in read_source(sample_path) if t.id.startswith("wlan-")]  # type: ignore[union-attr]
        assert served.indexer().run(sample).indexed == 50
        wait_until_ready(client)
        status, body, _ = answer(client, "/api/suggest", **QUESTION)
        assert status == 200 and body["items"][0]["id"] == "wlan-002"

        # Frozen (a long GC pause, a hung node): connections open, no answers. The request
        # timeout turns that into 503 rather than a request that hangs.
        group = server.pid  # type: ignore[attr-defined]  # the server's own process group
        os.killpg(group, signal.SIGSTOP)
        try:
            assert_unavailable(client)
        finally:
            os.killpg(group, signal.SIGCONT)
        wait_until_ready(client)

        server.stop()  # type: ignore[attr-defined]
        assert_unavailable(client)

        server.start()  # type: ignore[attr-defined]
        wait_until_ready(client)  # the same process: no restart of askfind
        status, body, _ = answer(client, "/api/suggest", **QUESTION)
        assert status == 200 and body["items"][0]["id"] == "wlan-002"
    finally:
        served.close()  # and the background work of its backend with it
