"""Hardening of the service: security headers on every answer, request ids in and out,
structured logs with personal data redacted, Prometheus metrics, CORS for the widget."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from indexer.engine import Engine
from tests.widget.helpers import writable_app
from widget.logs import configure_logging

PARTNER = "https://help.partner.example"


@pytest.fixture
def app(sample_engine: Engine, tmp_path: Path) -> Flask:
    return writable_app(
        sample_engine,
        tmp_path,
        widget_origins=(PARTNER,),
        rate_limit_per_second=1.0,
        rate_limit_burst=5,
    )


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def parsed(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(
    "path",
    ["/api/suggest?q=wlan", "/api/suggest", "/no/such/page", "/healthz", "/embed.js", "/"],
)
def test_every_answer_carries_the_security_headers(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    assert "Strict-Transport-Security" not in answer.headers  # plain HTTP here


def test_pages_keep_their_own_content_security_policy(client: FlaskClient) -> None:
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy


def test_https_answers_ask_for_https_only(client: FlaskClient) -> None:
    answer = client.get("/healthz", base_url="https://localhost")
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")


def test_a_request_id_is_kept_when_sane_and_made_otherwise(client: FlaskClient) -> None:
    given = client.get("/healthz", headers={"X-Request-Id": "abc-123.x"})
    assert given.headers["X-Request-Id"] == "abc-123.x"
    made = client.get("/healthz")
    assert len(made.headers["X-Request-Id"]) == 32
    junk = client.get("/healthz", headers={"X-Request-Id": "a b\u00e4" + "x" * 200})
    assert junk.headers["X-Request-Id"] != "a b\u00e4" + "x" * 200


def test_log_lines_are_json_with_the_request_id_and_a_redacted_query(
    client: FlaskClient, log_lines: io.StringIO
) -> None:
    answer = client.get(
        "/api/suggest",
        query_string={"q": "Rechnung an max@example.de Kundennummer 12345678"},
        headers={"X-Request-Id": "req-42"},
    )
    assert answer.status_code == 200
    [line] = [entry for entry in parsed(log_lines) if entry["logger"] == "askfind.access"]
    assert line["request_id"] == "req-42"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/suggest", 200)
    assert line["endpoint"] == "api.suggest" and line["duration_ms"] > 0
    assert line["query"] == "Rechnung an [email] Kundennummer [number]"
    assert "max@example.de" not in log_lines.getvalue()
    assert "12345678" not in log_lines.getvalue()


@pytest.mark.parametrize(
    "personal", ["hans.meier@example.de", "DE89 3704 0044 0532 0130 00", "+49 151 23456789"]
)
def test_a_long_query_is_redacted_before_the_log_cuts_it(
    client: FlaskClient, log_lines: io.StringIO, personal: str
) -> None:
    # The cut at 200 characters falls inside the personal datum.
    query = "Frage " * 32 + personal
    assert client.get("/api/suggest", query_string={"q": query}).status_code in (200, 400)
    [line] = [entry for entry in parsed(log_lines) if entry["logger"] == "askfind.access"]
    assert str(line["query"]).startswith("Frage Frage") and len(str(line["query"])) <= 200
    assert personal[:4] not in log_lines.getvalue()


@pytest.mark.parametrize(
    ("typed", "logged"),
    [
        ("Kundennummer lautet K123456", "Kundennummer lautet [number]"),
        ("Kundennr. ist KD1234567", "Kundennr. ist [number]"),
        ("Antwort an max.mustermann(at)example.de", "Antwort an [email]"),
        ("IBAN DE89-3704-0044-0532-0130-00", "IBAN [iban]"),
        ("Rückruf +49 (0) 151 / 234 567 89", "Rückruf [phone]"),
    ],
)
def test_german_forms_of_personal_data_are_redacted_in_the_log(
    client: FlaskClient, log_lines: io.StringIO, typed: str, logged: str
) -> None:
    assert client.get("/api/suggest", query_string={"q": typed}).status_code == 200
    [line] = [entry for entry in parsed(log_lines) if entry["logger"] == "askfind.access"]
    assert line["query"] == logged


def test_configure_logging_writes_json_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("json", "INFO")
    try:
        logging.getLogger("askfind.test").warning("hello %s", "world", extra={"n": 1})
        line = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "askfind"]:
            root.removeHandler(handler)
    assert (line["level"], line["message"], line["n"]) == ("WARNING", "hello world", 1)


def test_every_text_a_log_record_carries_is_redacted_numbers_and_request_ids_kept(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A path, a refused request line, an exception's message: not only the query."""
    configure_logging("json", "INFO")
    log = logging.getLogger("askfind.test")
    try:
        log.warning("invalid request: %s", ValueError("GET /x?q=lisa.test@example.de"))
        log.info(
            "read %d threads",
            12345678,
            extra={"path": "/api/threads/0171 9876543", "request_id": "0123456789abcdef"},
        )
        try:
            raise KeyError("Hauptstraße 123a")
        except KeyError:
            log.exception("failed")
        lines = [json.loads(line) for line in capsys.readouterr().err.strip().splitlines()]
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "askfind"]:
            root.removeHandler(handler)
    text = json.dumps(lines, ensure_ascii=False)
    for personal in ("lisa.test", "9876543", "Hauptstraße 123a"):
        assert personal not in text
    assert lines[0]["message"] == "invalid request: GET /x?q=[email]"
    assert lines[1]["message"] == "read 12345678 threads"  # a count, not a customer number
    assert (lines[1]["path"], lines[1]["request_id"]) == (
        "/api/threads/[phone]",
        "0123456789abcdef",
    )
    assert "[address]" in lines[2]["exception"]


def test_the_elasticsearch_clients_request_lines_are_left_out_unless_debugging(
    capsys: pytest.CaptureFixture[str],
) -> None:
    client_log = logging.getLogger("elastic_transport.transport")
    try:
        configure_logging("text", "INFO")
        client_log.info("POST http://127.0.0.1:9200/askfind/_search [status:200]")
        client_log.warning("node http://127.0.0.1:9200 is down")
        lines = capsys.readouterr().err
        assert "_search" not in lines and "is down" in lines
        configure_logging("text", "DEBUG")
        client_log.info("POST http://127.0.0.1:9200/askfind/_search [status:200]")
        assert "_search" in capsys.readouterr().err
    finally:
        root = logging.getLogger()
        for handler in [h for h in root.handlers if h.get_name() == "askfind"]:
            root.removeHandler(handler)
        root.setLevel(logging.WARNING)
        logging.getLogger("elastic_transport").setLevel(logging.NOTSET)


def test_allowed_origins_may_read_retry_after_and_the_request_id(client: FlaskClient) -> None:
    answer = client.get("/api/suggest?q=wlan", headers={"Origin": PARTNER})
    assert answer.headers["Access-Control-Allow-Origin"] == PARTNER
    assert "Retry-After" in answer.headers["Access-Control-Expose-Headers"]
    other = client.get("/api/suggest?q=wlan", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers


def test_a_429_still_answers_the_widget_with_cors(client: FlaskClient) -> None:
    answers = [client.get("/api/suggest?q=wlan", headers={"Origin": PARTNER}) for _ in range(7)]
    refused = answers[-1]
    assert refused.status_code == 429
    assert refused.headers["Access-Control-Allow-Origin"] == PARTNER
    assert refused.headers["Retry-After"] == "1"


def metric_samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    samples = {}
    for family in text_string_to_metric_families(answer.get_data(as_text=True)):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_count_latency_cache_events_and_index_size(client: FlaskClient) -> None:
    before = metric_samples(client)
    client.get("/api/suggest?q=Router+Passwort")
    client.get("/api/suggest?q=Router+Passwort")
    client.post(
        "/api/events",
        data=json.dumps({"type": "asked_anyway", "session": "s-0123456789", "query": "x"}),
        content_type="text/plain",
        headers={"Origin": "http://localhost"},
    )
    after = metric_samples(client)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0.0) - before.get(key, 0.0)

    suggest = {"endpoint": "api.suggest", "method": "GET"}
    assert delta("askfind_request_duration_seconds_count", **suggest) == 2
    assert delta("askfind_request_duration_seconds_bucket", le="+Inf", **suggest) == 2
    assert delta("askfind_requests_total", endpoint="api.suggest", status="200") == 2
    assert delta("askfind_cache_lookups_total", cache="suggest", result="hit") == 1
    assert delta("askfind_cache_lookups_total", cache="suggest", result="miss") == 1
    assert delta("askfind_events_total", type="asked_anyway") == 1
    assert after[("askfind_index_threads", ())] == 300
