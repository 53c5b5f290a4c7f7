"""Signed webhook deliveries as Discourse and askfind's Khoros hook send them, for the tests."""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from flask.testing import FlaskClient

from widget.hook_signatures import askfind_signature

DISCOURSE_SECRET = "discourse-hook-secret"
KHOROS_SECRET = "khoros-hook-secret"
_event_ids = itertools.count(1000)


def signature(body: bytes, secret: str) -> str:
    """Discourse's X-Discourse-Event-Signature of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def discourse_hook(client: FlaskClient, event: str, payload: Any, **headers: str) -> Any:
    """Deliver as Discourse does: signed body, the event and a fresh event id in headers
    (``headers`` may replace any of them)."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    signed = {
        "X-Discourse-Event": event,
        "X-Discourse-Event-Id": str(next(_event_ids)),
        "X-Discourse-Event-Signature": signature(body, DISCOURSE_SECRET),
        **headers,
    }
    return client.post(
        "/api/hooks/discourse", data=body, content_type="application/json", headers=signed
    )


def khoros_hook(
    client: FlaskClient, payload: Any, signed_at: float | None = None, **headers: str
) -> Any:
    """Deliver as askfind's Khoros hook is specified: ``t=<now>,v1=<HMAC of "t.body">``."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    stamp = int(time.time() if signed_at is None else signed_at)
    signed = {"X-Askfind-Signature": askfind_signature(body, KHOROS_SECRET, stamp), **headers}
    return client.post(
        "/api/hooks/khoros", data=body, content_type="application/json", headers=signed
    )
