"""Writes: how soon a thread written through the API is found, and a deleted one no longer.

A support agent who fixes a thread, or a connector's webhook that adds one, expects the
next search to show it. Each probe posts a thread with a word of its own
(``POST /api/threads``), then searches that word (``GET /api/search``) on a new
connection each time, which the kernel hands to any worker, until four answers in a row
show it; then deletes it and searches until four in a row no longer do. The time counts
from sending the write, so it includes the write itself; the thread is gone again at the
end, and the index is as it was.
"""

from __future__ import annotations

import http.client
import json
import random
import string
import time
import urllib.parse
from typing import Any

from ..instruments.stats import percentiles
from .corpus import SEED

PROBES = 20
IN_A_ROW = 4  # answers that must agree, so that more than one worker has answered
GIVE_UP_S = 60.0


def write_visibility(port: int, api_key: str, probes: int = PROBES) -> dict[str, Any]:
    """Seconds from sending a write until searches agree on it, per probe."""
    rng = random.Random(SEED)
    headers = {"Authorization": f"Bearer {api_key}"}
    written, visible, deleted, gone = [], [], [], []
    for n in range(probes):
        word = "".join(rng.choice(string.ascii_lowercase) for _ in range(12))
        thread_id = f"bench-write-{n}-{word}"
        thread = {"id": thread_id, "title": f"Schreibprobe {word}", "body": f"Gemessen: {word}."}
        started = time.perf_counter()
        _request(port, "POST", "/api/threads", headers, thread)
        written.append(time.perf_counter() - started)
        visible.append(_until_agreed(port, word, thread_id, True, headers) - started)
        started = time.perf_counter()
        _request(port, "DELETE", f"/api/threads/{urllib.parse.quote(thread_id)}", headers)
        deleted.append(time.perf_counter() - started)
        gone.append(_until_agreed(port, word, thread_id, False, headers) - started)
    return {
        "probes": probes,
        "in_a_row": IN_A_ROW,
        "write_ms": percentiles(written, 1000),
        "visible_ms": percentiles(visible, 1000),
        "delete_ms": percentiles(deleted, 1000),
        "gone_ms": percentiles(gone, 1000),
    }


def _until_agreed(
    port: int, word: str, thread_id: str, shown: bool, headers: dict[str, str]
) -> float:
    """The moment (``perf_counter``) of the first of ``IN_A_ROW`` answers in a row that
    find ``thread_id`` by ``word`` (or, if not ``shown``, do not)."""
    path = "/api/search?" + urllib.parse.urlencode({"q": word, "limit": 5})
    deadline = time.perf_counter() + GIVE_UP_S
    first, agreeing = 0.0, 0
    while agreeing < IN_A_ROW:
        if time.perf_counter() > deadline:
            state = "found" if shown else "gone"
            raise SystemExit(f"{thread_id} was not {state} within {GIVE_UP_S:.0f} s")
        asked = time.perf_counter()
        answer = _request(port, "GET", path, headers)
        found = any(item["id"] == thread_id for item in answer["items"])
        if found == shown:
            first = first if agreeing else asked
            agreeing += 1
        else:
            agreeing = 0
    return first


def _request(
    port: int, method: str, path: str, headers: dict[str, str], body: Any = None
) -> dict[str, Any]:
    """One request on a new connection; the JSON answer, or exit on any other than 200."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        sent = {**headers, "Content-Type": "application/json"} if body is not None else headers
        payload = json.dumps(body).encode() if body is not None else None
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        text = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"{method} {path} answered {response.status}: {text[:300]!r}")
    return json.loads(text)
