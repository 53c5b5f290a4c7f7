"""``POST /api/hooks/<source>``: a community tells askfind that a topic changed.

A delivery is trusted only with a valid signature of its raw body under the hook's
shared secret, as the community defines it:

- Discourse: ``X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256>`` under
  ``discourse_webhook_secret``; the event is named in ``X-Discourse-Event``.
- Khoros (askfind's own hook, see ``indexer.sources.khoros_api``):
  ``X-Askfind-Signature: sha256=<hex HMAC-SHA256>`` under ``khoros_webhook_secret``;
  the event is named in the body.

No secret configured: every delivery is refused (an open hook would let anyone make
askfind fetch and index on their say). A delivery names a topic; the topic is fetched
anew from the community's API (a webhook body is not the whole thread, and fetching
means a forged or stale body cannot put words into the index) and applied by
``indexer.sync.apply_changes``, like ``askfind sync``. The same delivery twice leaves the
same index, and the second answer says nothing changed. Changes are visible to
``/api/suggest`` of this worker at once and of the others within
``index_version_interval``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from indexer.errors import SourceUnavailable
from indexer.sources.base import SyncItem
from indexer.sources.live import open_live_source
from indexer.sync import SyncReport, apply_changes
from widget import metrics
from widget.auth import signature_matches
from widget.bodies import bounded_body, parsed_json
from widget.context import engine_of
from widget.errors import error
from widget.runtime import runtime_of

log = logging.getLogger(__name__)

hooks = Blueprint("hooks", __name__, url_prefix="/api/hooks")

ERRORS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Hook:
    """How one community signs and names its deliveries."""

    secret_setting: str
    signature_header: str
    event_header: str | None  # None: the event is in the body


HOOKS = {
    "discourse": Hook(
        "discourse_webhook_secret", "X-Discourse-Event-Signature", "X-Discourse-Event"
    ),
    "khoros": Hook("khoros_webhook_secret", "X-Askfind-Signature", None),
}


@hooks.post("/<source>")
def deliver(source: str) -> Any:
    """Apply one webhook delivery: upsert the topic it names, or delete it."""
    hook = HOOKS.get(source)
    if hook is None:
        raise NotFound(f"no hook for {source!r}: one of {', '.join(HOOKS)}")
    settings = engine_of(current_app).settings
    secret = getattr(settings, hook.secret_setting).get_secret_value()
    if not secret:
        raise Forbidden(f"the {source} hook has no secret configured (setting "
                        f"{hook.secret_setting}); every delivery is refused")  # fmt: skip
    body = bounded_body(settings.hook_max_bytes, "the webhook body")
    if not signature_matches(body, secret, request.headers.get(hook.signature_header)):
        raise Forbidden(f"the signature ({hook.signature_header}) does not match the body")
    payload = _payload(body)
    event = _event(hook, payload)
    try:
        live = open_live_source(source, settings)
    except SourceUnavailable as e:
        return error(str(e), 503)
    try:
        # Fetched before taking the write lock: the community's API may be slow.
        items = list(live.changes_from_hook(event, payload))
    except SourceUnavailable as e:
        log.warning("%s hook %s: %s", source, event, e)
        return error(f"the {source} API could not be read: {e}", 502)
    finally:
        live.close()
    report = _apply(items)
    if report.skipped and report.skipped == report.read:
        errors = [str(e) for e in report.errors[:ERRORS_SHOWN]]
        return error("the delivery names nothing that could be read", 400, errors=errors)
    return jsonify(_answer(source, event, report))


def _payload(body: bytes) -> dict[str, Any]:
    payload = parsed_json(body)
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    return payload


def _event(hook: Hook, payload: dict[str, Any]) -> str:
    if hook.event_header:
        named: Any = request.headers.get(hook.event_header, "")
    else:
        named = payload.get("event")
    return named.strip()[:100] if isinstance(named, str) else ""


def _apply(items: list[SyncItem]) -> SyncReport:
    engine = engine_of(current_app)
    runtime = runtime_of(current_app)
    with runtime.write_lock, engine.writer() as indexer:
        report = apply_changes(indexer, items)
    if report.changes:
        runtime.index_version.invalidate()
        metrics.THREADS_WRITTEN.labels(action="upsert").inc(report.added + report.changed)
        metrics.THREADS_WRITTEN.labels(action="delete").inc(report.deleted)
    return report


def _answer(source: str, event: str, report: SyncReport) -> dict[str, Any]:
    return {
        "source": source,
        "event": event,
        "result": "applied" if report.changes else "nothing changed",
        "added": report.added,
        "changed": report.changed,
        "unchanged": report.unchanged,
        "deleted": report.deleted,
        "skipped": report.skipped,
        "ids": report.ids,
        "errors": [str(e) for e in report.errors[:ERRORS_SHOWN]],
    }
