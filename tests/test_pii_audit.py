"""scripts/pii-audit against askfind served by gunicorn with Redis, on both backends: the
corpus of personal data goes through every input and is found in no store and no log.
And the audit can fail: a secret planted in Redis is found in its dump file."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.services import load_script
from tests.test_cli import _wait_for
from widget.auth import digest_of

ROOT = Path(__file__).resolve().parents[1]
AUDIT = ROOT / "scripts" / "pii-audit"
API_KEY = "pii-audit-key-0123456789"

pytestmark = pytest.mark.slow  # a real index of the sample community, a gunicorn service


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(params=["embedded", "elasticsearch"])
def service(
    request: pytest.FixtureRequest, sample_path: Path, tmp_path: Path, redis_url: str
) -> Iterator[dict[str, str]]:
    """askfind serving the sample community, its stderr in a log file; the audit's options."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    env |= {
        "ASKFIND_REDIS_URL": redis_url,
        "ASKFIND_RATE_LIMIT_PER_SECOND": "0",  # the audit is one client sending hundreds
        "ASKFIND_API_KEYS": digest_of(API_KEY),
        "ASKFIND_LOG_FORMAT": "json",
        "ASKFIND_WORKERS": "2",
    }
    options = {"--data-dir": str(tmp_path / "data"), "--redis-url": redis_url}
    if request.param == "elasticsearch":
        url = request.getfixturevalue("elasticsearch_url")
        prefix = request.getfixturevalue("elasticsearch_prefix")
        env |= {
            "ASKFIND_BACKEND": "elasticsearch",
            "ASKFIND_ELASTICSEARCH_URL": url,
            "ASKFIND_ELASTICSEARCH_INDEX_PREFIX": prefix,
        }
        options |= {"--elasticsearch-url": url, "--elasticsearch-prefix": prefix}
    askfind = [sys.executable, "-m", "widget.cli"]
    data = ["--data-dir", options["--data-dir"]]
    indexed = subprocess.run(
        [*askfind, "index", str(sample_path), *data, "--no-progress"], env=env, timeout=900
    )
    assert indexed.returncode == 0
    port = _free_port()
    log_file = tmp_path / "askfind.log"
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [*askfind, "serve", "--port", str(port), *data], env=env, stderr=log
        )
    try:
        _wait_for(f"http://127.0.0.1:{port}/readyz")
        yield {"url": f"http://127.0.0.1:{port}", "--log-file": str(log_file), **options}
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def _audit(service: dict[str, str], *extra: str) -> subprocess.CompletedProcess[str]:
    options = [item for name, value in service.items() if name != "url" for item in (name, value)]
    return subprocess.run(
        [sys.executable, str(AUDIT), service["url"], *options, *extra],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip


def test_no_personal_data_is_stored_anywhere_and_the_audit_finds_a_planted_one(
    service: dict[str, str],
) -> None:
    audit = _audit(service, "--api-key", API_KEY)
    assert audit.returncode == 0, audit.stdout + audit.stderr
    assert "clean: no personal data found" in audit.stdout
    # It did look: every input was used, and the stores it searched were not empty.
    for channel in ("suggest", "search GET", "search POST", "events", "threads", "hooks"):
        assert f"{channel} " in audit.stdout.split("\n")[0], channel
    assert "redis dump file" in audit.stdout and "log askfind.log" in audit.stdout
    assert "data dir events.sqlite" in audit.stdout or "elasticsearch" in audit.stdout
    log = Path(service["--log-file"]).read_text()
    assert "[email]" in log  # the queries were logged, redacted

    corpus = load_script("pii_corpus.py", "askfind_pii_corpus").corpus()
    with redis.Redis.from_url(service["--redis-url"]) as client:
        client.set("planted", f"a leak: {corpus[0].secret}")
    planted = _audit(service, "--search-only")
    assert planted.returncode == 1
    assert "FOUND redis dump file" in planted.stdout
