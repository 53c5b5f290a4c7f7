"""The API under arbitrary input (Hypothesis): never a 500, every error JSON, nothing lost.

One app over a copy of the sample index takes the whole barrage: arbitrary query strings
(invalid UTF-8 percent-escapes and dates at the calendar's edges included) on every GET
endpoint that reads parameters, arbitrary bodies and JSON structures on every POST
endpoint (threads, events, agents' judgements, webhooks): nesting deeper than Python's
stack, numbers beyond 64 bits and beyond Python's digit limit, lone surrogates, bodies in
other encodings than UTF-8. At the end every thread that was there before, and every
thread the barrage wrote successfully, is still found.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from indexer.engine import Engine
from tests.widget.helpers import AUTH, writable_app
from widget.app import close_app
from widget.hook_signatures import askfind_signature

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# The hostile bodies mix many fields with many kinds of fragment: more examples.
BARRAGE = settings(PROPERTY, max_examples=150)
ORIGIN = "http://localhost"
KEPT = {"id": "keep-0001", "title": "Quastenflosser im Glasfasermodem kalibrieren", "lang": "de"}
SAMPLE_IDS = ("wlan-001", "sim-003")
HOOK_SECRET = "robust-hook-secret"

# --- strategies -------------------------------------------------------------------------

ANY_TEXT = st.text(max_size=60)  # every code point but lone surrogates, controls included
PERCENT_BYTES = st.binary(max_size=12).map(lambda raw: "".join(f"%{b:02X}" for b in raw))
PARAM_VALUES = (
    ANY_TEXT.map(lambda text: urllib.parse.quote(text, safe=""))
    | PERCENT_BYTES
    | st.sampled_from(["", "0", "-1", "5", "1e3", "true", "no", "de", "en", "Umzug", "%FF%FE"])
    | st.integers().map(str)
    | st.sampled_from(["9" * 5000, "-" + "9" * 30, "%ED%A0%80", "%C0%AF", "%EF%BB%BF5"])
)
# Dates and times at and beyond the edges of Python's calendar, with extreme offsets.
EDGE_DAYS = ["0001-01-01", "0001-01-02", "9999-12-31", "0000-01-01", "10000-01-01", "2024-02-30"]
DATE_VALUES = st.sampled_from(EDGE_DAYS) | st.tuples(
    st.sampled_from(EDGE_DAYS[:3]),
    st.sampled_from(["T00:00:00", "T23:59:59.999999", "T00:00"]),
    st.sampled_from(["", "Z", "+14:00", "-14:00", "+23:59", "-23:59"]),
).map(lambda parts: urllib.parse.quote("".join(parts), safe=""))
PARAM_NAMES = st.sampled_from(
    ["q", "q", "q", "limit", "offset", "board", "lang", "solved", "partial", "from", "to"]
) | st.text(alphabet="abcxyz_[]", min_size=1, max_size=5)
DATED_PARAMS = st.tuples(st.sampled_from(["from", "to", "since", "until"]), DATE_VALUES)
QUERY_STRINGS = st.lists(st.tuples(PARAM_NAMES, PARAM_VALUES) | DATED_PARAMS, max_size=6).map(
    lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)
)
REPORT_QUERY_STRINGS = st.lists(
    DATED_PARAMS
    | st.tuples(st.sampled_from(["days", "top", "since", "until"]), PARAM_VALUES)
    | st.tuples(PARAM_NAMES, PARAM_VALUES),
    max_size=4,
).map(lambda pairs: "&".join(f"{name}={value}" for name, value in pairs))
JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = {
    "title": JSON_VALUES | ANY_TEXT,
    "body": JSON_VALUES | st.text(min_size=0, max_size=3000),
    "board": JSON_VALUES,
    "tags": JSON_VALUES | st.lists(ANY_TEXT, max_size=4),
    "lang": JSON_VALUES | st.sampled_from(["de", "en", "xx"]),
    "created_at": JSON_VALUES | st.sampled_from(["2024-05-01", "2024-13-45", "gestern"]),
    "kudos": JSON_VALUES | st.integers(),
    "views": JSON_VALUES | st.integers(),
    "solved": JSON_VALUES,
    "accepted_answer": JSON_VALUES | st.fixed_dictionaries({"body": ANY_TEXT}),
    "answers": JSON_VALUES,
    "duplicate_of": JSON_VALUES,
}
THREAD_LIKE = st.fixed_dictionaries(
    # Ids of the barrage's own: an id of the sample cannot come up and be overwritten.
    {"id": ANY_TEXT.map(lambda text: f"hyp-{text}") | JSON_VALUES},
    optional=FIELDS,
)
BODIES = (
    st.binary(max_size=200)
    | JSON_VALUES.map(json.dumps)
    | THREAD_LIKE.map(json.dumps)
    | st.lists(THREAD_LIKE, max_size=3).map(json.dumps)
    # Lone surrogates are valid JSON escapes and decode to strings UTF-8 cannot hold.
    | ANY_TEXT.map(lambda text: json.dumps({"id": f"hyp-s{text}", "title": f"x\ud800{text}"}))
    | st.sampled_from(['{"id": "hyp-1", "title": ', "[" * 5000 + "]" * 5000, "{}", "[]", "null"])
)
# JSON text Python's decoder or the index cannot take whole: nesting deeper than the
# stack, integers beyond 64 bits and beyond Python's 4,300-digit limit, non-finite
# numbers, lone surrogates (valid JSON escapes that are not text).
LONE_SURROGATES = st.sampled_from(["\\ud800", "\\udfff", "x\\udc00y", "\\ud83d"])
# Depths and lengths around the limits (Python's stack of ~1,000 frames, 64 bits, 4,300
# digits) rather than uniform draws, which would rarely reach them in a few examples.
DEPTHS = st.sampled_from([2, 500, 990, 1000, 1100, 2000, 3000]) | st.integers(1, 3000)
DIGITS = st.sampled_from([19, 20, 40, 4300, 4301, 6000]) | st.integers(1, 6000)
HOSTILE_FRAGMENTS = st.one_of(
    DEPTHS.map(lambda depth: "[" * depth + "]" * depth),
    DEPTHS.map(lambda depth: '{"a": ' * depth + "1" + "}" * depth),
    DIGITS.map(lambda digits: "9" * digits),
    DIGITS.map(lambda digits: "-" + "9" * digits),
    st.integers(min_value=2**63 - 2, max_value=2**70).map(str),
    st.sampled_from(["1e400", "-1e400", "NaN", "Infinity", "-Infinity", "1.5", "-0", "true"]),
    LONE_SURROGATES.map(lambda escape: f'"{escape}"'),
    JSON_VALUES.map(json.dumps),
)


def hostile_object(base: dict[str, Any], fields: list[str]) -> st.SearchStrategy[str]:
    """A JSON object as text: ``base`` (valid, so validation goes deep) with some of
    ``fields`` replaced by hostile fragments."""
    return st.dictionaries(st.sampled_from(fields), HOSTILE_FRAGMENTS, max_size=3).map(
        lambda nasty: (
            "{"
            + ", ".join(
                f"{json.dumps(name)}: {nasty.get(name, json.dumps(value))}"
                for name, value in {**base, **dict.fromkeys(nasty)}.items()
            )
            + "}"
        )
    )


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1"])
EVENTS = st.fixed_dictionaries(
    {},
    optional={
        "type": JSON_VALUES | st.sampled_from(["impression", "click", "asked_anyway", "helpful"]),
        "session": JSON_VALUES | st.just("s-0123456789"),
        "query": JSON_VALUES | ANY_TEXT,
        "thread": JSON_VALUES | st.just("wlan-001"),
        "results": JSON_VALUES | st.lists(ANY_TEXT, max_size=3),
        "position": JSON_VALUES | st.integers(),
        "helpful": JSON_VALUES,
        "lang": JSON_VALUES,
        "board": JSON_VALUES,
    },
)


# --- the app and its checks ---------------------------------------------------------------


@pytest.fixture(scope="module")
def app(sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = writable_app(
        sample_engine,
        tmp_path_factory.mktemp("robust"),
        widget_origins=(ORIGIN,),
        discourse_webhook_secret=HOOK_SECRET,
        khoros_webhook_secret=HOOK_SECRET,
    )
    assert app.test_client().post("/api/threads", json=KEPT, headers=AUTH).status_code == 200
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def written() -> set[str]:
    """Ids the barrage wrote successfully: they must be found at the end."""
    return set()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# A generated URL may be longer than url_max_bytes: a JSON 414 is the right answer then.
URL_TOO_LONG = 414


def assert_answered(answer: Any, *allowed: int) -> Any:
    """No 5xx but one ``allowed`` names; a JSON body; an error message with every error."""
    status = answer.status_code
    assert status < 500 or status in allowed, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json", (status, answer.get_data()[:200])
    body = answer.get_json()
    if status >= 400:
        assert isinstance(body.get("error"), str) and body["error"], body
    if allowed:
        assert status in allowed, (status, body)
    return body


# --- the read API -------------------------------------------------------------------------


@PROPERTY
@given(query=QUERY_STRINGS)
def test_suggest_answers_any_query_string_without_a_server_error(
    client: FlaskClient, query: str
) -> None:
    body = assert_answered(client.get(f"/api/suggest?{query}"), 200, 400, URL_TOO_LONG)
    if "items" in body:
        assert isinstance(body["items"], list)


@PROPERTY
@given(query=QUERY_STRINGS)
def test_search_answers_any_query_string_without_a_server_error(
    client: FlaskClient, query: str
) -> None:
    body = assert_answered(client.get(f"/api/search?{query}"), 200, 400, URL_TOO_LONG)
    if "items" in body:
        assert body["total"] >= len(body["items"])


@PROPERTY
@given(text=ANY_TEXT | st.text(min_size=400, max_size=600), raw=PERCENT_BYTES)
def test_arbitrary_text_and_bytes_in_q_are_a_result_or_a_400(
    client: FlaskClient, text: str, raw: str
) -> None:
    quoted = urllib.parse.quote(text, safe="")
    for path in ("/api/suggest", "/api/search"):
        assert_answered(client.get(f"{path}?q={quoted}"), 200, 400, URL_TOO_LONG)
        assert_answered(client.get(f"{path}?q={quoted}{raw}"), 200, 400, URL_TOO_LONG)


@PROPERTY
@given(thread_id=ANY_TEXT | PERCENT_BYTES)
def test_getting_any_thread_id_is_the_thread_or_a_json_404(
    client: FlaskClient, thread_id: str
) -> None:
    quoted = thread_id if thread_id.startswith("%") else urllib.parse.quote(thread_id, safe="")
    assert_answered(client.get(f"/api/threads/{quoted}"), 200, 400, 404, URL_TOO_LONG)


# --- the write API and events ---------------------------------------------------------------


@PROPERTY
@given(body=BODIES, content_type=st.sampled_from(["application/json"] * 4 + ["text/plain"]))
def test_posting_any_body_is_a_write_or_a_json_error(
    client: FlaskClient, written: set[str], body: str | bytes, content_type: str
) -> None:
    answer = client.post("/api/threads", data=body, content_type=content_type, headers=AUTH)
    result = assert_answered(answer, 200, 400, 413, 415)
    if answer.status_code == 200:
        written.update(result["ids"])


@PROPERTY
@given(thread_id=ANY_TEXT.map(lambda text: f"never-stored-{text}"))
def test_deleting_an_unknown_id_is_a_json_404(client: FlaskClient, thread_id: str) -> None:
    quoted = urllib.parse.quote(thread_id, safe="")
    assert_answered(client.delete(f"/api/threads/{quoted}", headers=AUTH), 404)


@PROPERTY
@given(
    body=EVENTS.map(json.dumps) | st.binary(max_size=200) | JSON_VALUES.map(json.dumps),
    content_type=st.sampled_from(["application/json", "text/plain", "application/xml"]),
)
def test_posting_any_event_is_stored_or_a_json_error(
    client: FlaskClient, body: str | bytes, content_type: str
) -> None:
    answer = client.post(
        "/api/events", data=body, content_type=content_type, headers={"Origin": ORIGIN}
    )
    assert_answered(answer, 202, 400, 413, 415)


def test_an_oversized_event_and_thread_batch_are_refused_with_413(client: FlaskClient) -> None:
    event = {"type": "asked_anyway", "session": "s-0123456789", "query": "x" * 10_000}
    answer = client.post("/api/events", json=event, headers={"Origin": ORIGIN})
    assert_answered(answer, 413)
    batch = [{"id": f"hyp-batch-{n}", "title": "t"} for n in range(201)]
    assert_answered(client.post("/api/threads", json=batch, headers=AUTH), 413)


# --- every POST endpoint against hostile JSON and other encodings ---------------------------

THREAD_FIELDS = ["id", "title", "body", "tags", "lang", "created_at", "kudos", "views",
                 "replies", "solved", "accepted_answer", "answers", "duplicate_of"]  # fmt: skip
EVENT_BASE = {"type": "impression", "session": "s-0123456789", "query": "q", "results": []}
EVENT_FIELDS = ["type", "session", "query", "results", "thread", "rank", "helpful", "lang"]
# A judgement that withdraws (duplicate_of null): a barrage of valid ones changes nothing.
JUDGEMENT_BASE = {"thread": "wlan-001", "duplicate_of": None, "query": "x"}
HOOK_BASE = {"event": "topic_edited", "topic": {"id": 1}}
HOSTILE_BODIES = {
    "/api/threads": hostile_object({"id": "hyp-h", "title": "t"}, THREAD_FIELDS)
    | st.lists(hostile_object({"id": "hyp-l", "title": "t"}, THREAD_FIELDS), max_size=3).map(
        lambda items: "[" + ", ".join(items) + "]"
    ),
    "/api/events": hostile_object(EVENT_BASE, EVENT_FIELDS),
    "/api/agent/duplicates": hostile_object(JUDGEMENT_BASE, ["thread", "duplicate_of", "query"]),
    "/api/hooks/discourse": hostile_object(HOOK_BASE, ["event", "topic"]),
    "/api/hooks/khoros": hostile_object(HOOK_BASE, ["event", "topic"]),
}
VALID_BODIES = {
    "/api/threads": {"id": "hyp-enc", "title": "Umlaute: Glasfaser für Köln"},
    "/api/events": {**EVENT_BASE, "query": "Störung in Düsseldorf"},
    "/api/agent/duplicates": {**JUDGEMENT_BASE, "query": "Störung"},
    "/api/hooks/discourse": {**HOOK_BASE, "event": "ändern"},
    "/api/hooks/khoros": {**HOOK_BASE, "event": "ändern"},
}
# What each endpoint may answer. A hook names a topic to fetch from the community, and no
# community is configured here: a readable delivery is a 503 saying so.
ALLOWED = {
    "/api/threads": (200, 400, 413, 415),
    "/api/events": (202, 400, 413, 415),
    "/api/agent/duplicates": (201, 400, 404, 413, 415),
    "/api/hooks/discourse": (200, 400, 409, 413, 503),
    "/api/hooks/khoros": (200, 400, 409, 413, 503),
}
# A fresh id for every Discourse delivery; askfind's Khoros hook takes its signature (with
# its second) as the delivery's id, so the same body twice in a second is a replay: 409.
HOOK_DELIVERY_IDS = itertools.count(1)


def post_to(
    client: FlaskClient, path: str, body: bytes, content_type: str = "application/json"
) -> Any:
    """POST ``body`` to ``path`` with whatever the endpoint needs to read it at all: the
    API key, the widget's Origin, a valid signature of the body."""
    headers = {"Origin": ORIGIN, **AUTH}
    if path.endswith("/discourse"):
        digest = hmac.new(HOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers["X-Discourse-Event-Signature"] = f"sha256={digest}"
        headers["X-Discourse-Event"] = "topic_edited"
        headers["X-Discourse-Event-Id"] = str(next(HOOK_DELIVERY_IDS))
    elif path.endswith("/khoros"):
        headers["X-Askfind-Signature"] = askfind_signature(body, HOOK_SECRET, int(time.time()))
    return client.post(path, data=body, content_type=content_type, headers=headers)


@pytest.mark.parametrize("path", list(HOSTILE_BODIES))
def test_every_post_endpoint_answers_hostile_json_with_a_json_4xx(
    client: FlaskClient, written: set[str], path: str
) -> None:
    @BARRAGE
    @given(body=HOSTILE_BODIES[path] | HOSTILE_FRAGMENTS)
    def barrage(body: str) -> None:
        answer = post_to(client, path, body.encode("utf-8", "surrogatepass"))
        result = assert_answered(answer, *ALLOWED[path])
        if path == "/api/threads" and answer.status_code == 200:
            written.update(result["ids"])

    barrage()


@pytest.mark.parametrize("path", list(VALID_BODIES))
def test_every_post_endpoint_answers_other_encodings_with_a_result_or_a_json_4xx(
    client: FlaskClient, path: str
) -> None:
    @PROPERTY
    @given(encoding=ENCODINGS, declared=st.sampled_from(["", "; charset=utf-8", "; charset=X"]))
    def barrage(encoding: str, declared: str) -> None:
        body = json.dumps(VALID_BODIES[path], ensure_ascii=False).encode(encoding)
        declared = declared.replace("X", encoding)
        answer = post_to(client, path, body, content_type=f"application/json{declared}")
        assert_answered(answer, *ALLOWED[path])

    barrage()


# --- every GET endpoint that reads parameters ------------------------------------------------


@PROPERTY
@given(query=REPORT_QUERY_STRINGS)
def test_the_reports_answer_any_query_string_without_a_server_error(
    client: FlaskClient, query: str
) -> None:
    report = client.get(f"/api/admin/report?{query}", headers=AUTH)
    assert_answered(report, 200, 400, URL_TOO_LONG)
    gaps = client.get(f"/api/admin/gaps?{query}", headers=AUTH)
    assert_answered(gaps, 200, 400, URL_TOO_LONG)


@PROPERTY
@given(thread_id=ANY_TEXT | PERCENT_BYTES)
def test_an_agents_thread_detail_for_any_id_is_the_thread_or_a_json_404(
    client: FlaskClient, thread_id: str
) -> None:
    quoted = thread_id if thread_id.startswith("%") else urllib.parse.quote(thread_id, safe="")
    answer = client.get(f"/api/agent/threads/{quoted}", headers=AUTH)
    assert_answered(answer, 200, 400, 404, URL_TOO_LONG)


# --- nothing lost ---------------------------------------------------------------------------


def test_nothing_stored_is_lost_after_the_barrage(client: FlaskClient, written: set[str]) -> None:
    for thread_id in (*SAMPLE_IDS, KEPT["id"], *written):
        quoted = urllib.parse.quote(thread_id, safe="")
        assert client.get(f"/api/threads/{quoted}").status_code == 200, thread_id
    found = client.get("/api/suggest", query_string={"q": KEPT["title"]}).get_json()
    assert found["items"][0]["id"] == KEPT["id"]
    found = client.get("/api/suggest", query_string={"q": "eSIM auf neues iPhone übertragen"})
    assert found.get_json()["items"][0]["id"] == "sim-003"


# --- what the barrage found -------------------------------------------------------------


def test_a_lone_surrogate_is_a_per_item_error_not_a_crash(client: FlaskClient) -> None:
    body = '[{"id": "hyp-ok", "title": "fine"}, {"id": "hyp-bad", "title": "x\\ud800y"}]'
    answer = client.post("/api/threads", data=body, content_type="application/json", headers=AUTH)
    errors = assert_answered(answer, 400)["errors"]
    assert [(e["index"], e["id"]) for e in errors] == [(1, "hyp-bad")]
    assert "lone surrogate" in errors[0]["error"]


@pytest.mark.parametrize("field", ["query", "board", "results"])
def test_an_event_with_a_lone_surrogate_is_a_400(client: FlaskClient, field: str) -> None:
    # Raw JSON text: the escape reaches the server as any client could send it.
    fields = {"type": '"impression"', "session": '"s-0123456789"', "query": '"q"'}
    fields["results"] = '["wlan-001"]'
    fields[field] = '["wlan-001", "x\\udfff"]' if field == "results" else '"x\\udfff"'
    body = "{" + ", ".join(f'"{name}": {value}' for name, value in fields.items()) + "}"
    answer = client.post(
        "/api/events", data=body, content_type="text/plain", headers={"Origin": ORIGIN}
    )
    assert "lone surrogate" in assert_answered(answer, 400)["error"]


def test_ids_with_slashes_are_not_merged_or_redirected(client: FlaskClient) -> None:
    thread = {"id": "hyp//slashes/", "title": "Schrägstriche in der Kennung"}
    assert client.post("/api/threads", json=thread, headers=AUTH).status_code == 200
    found = assert_answered(client.get("/api/threads/hyp%2F%2Fslashes%2F"), 200)
    assert found["id"] == thread["id"]
    assert_answered(client.get("/api/threads/hyp//slashes/"), 200)
    # A leading "/" is not an id the route can take: a JSON 404, not an HTML redirect.
    assert_answered(client.get("/api/threads/%2Fhyp"), 404)
