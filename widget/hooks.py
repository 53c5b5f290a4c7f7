"""``POST /api/hooks/<source>``: a community tells askfind that a topic changed.

A delivery is trusted only with a valid signature under the hook's shared secret, as
the community defines it (``widget.hook_signatures``; docs/webhooks.md):

- Discourse: ``X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256 of the body>`` under
  ``discourse_webhook_secret``; the event is named in ``X-Discourse-Event``, the delivery
  in ``X-Discourse-Event-Id``.
- Khoros (askfind's own hook, see ``indexer.sources.khoros_api``):
  ``X-Askfind-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` under
  ``khoros_webhook_secret``, no older than ``hook_max_age_seconds``; the event is named in
  the body.

No secret configured: every delivery is refused (an open hook would let anyone make
askfind fetch and index on their say). A delivery seen before is refused with 409
(``widget.deliveries``). A delivery names a topic; the topic is fetched anew from the
community's API and applied by ``indexer.sync.apply_changes``, like ``askfind sync``. A
delivery is never believed: a webhook body is not the whole thread, and fetching means
that a forged, stale or replayed body cannot put words into the index or take a topic
out of it (a delete applies only when the community no longer has the topic). Changes
are visible to ``/api/suggest`` of this worker at once and of the others within
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
from widget.bodies import bounded_body, parsed_json
from widget.context import engine_of
from widget.deliveries import delivery_log_of
from widget.errors import error
from widget.hook_signatures import Verifier, verify_askfind, verify_discourse
from widget.runtime import runtime_of

log = logging.getLogger(__name__)

hooks = Blueprint("hooks", __name__, url_prefix="/api/hooks")

ERRORS_SHOWN = 20


@dataclass(frozen=True, slots=True)
class Hook:
    """How one community signs and names its deliveries."""

    secret_setting: str
    verify: Verifier  # the delivery's id if the signature holds; an HTTP error if not
    event_header: str | None  # None: the event is in the body


HOOKS = {
    "discourse": Hook("discourse_webhook_secret", verify_discourse, "X-Discourse-Event"),
    "khoros": Hook("khoros_webhook_secret", verify_askfind, None),
}


@hooks.post("/<source>")
def deliver(source: str) -> Any:
    """Apply one webhook delivery: upsert the topic it names, or delete it if the
    community no longer has it."""
    hook = HOOKS.get(source)
    if hook is None:
        raise NotFound(f"no hook for {source!r}: one of {', '.join(HOOKS)}")
    settings = engine_of(current_app).settings
    secret = getattr(settings, hook.secret_setting).get_secret_value()
    if not secret:
        raise Forbidden(f"the {source} hook has no secret configured (setting "
                        f"{hook.secret_setting}); every delivery is refused")  # fmt: skip
    body = bounded_body(settings.hook_max_bytes, "the webhook body")
    delivery = hook.verify(body, secret, request.headers, settings.hook_max_age_seconds)
    payload = _payload(body)
    event = _event(hook, payload)
    deliveries = delivery_log_of(current_app)
    key = f"{source}:{delivery}"
    if not deliveries.claim(key):
        return error(
            f"this {source} delivery ({delivery[:40]}) was received before; it is not "
            "applied again",
            409,
        )
    applied = False
    try:
        response, status = _fetched_and_applied(source, event, payload)
        applied = status == 200
    finally:
        if not applied:  # not applied: the sender's retry is welcome
            deliveries.release(key)
    return response, status


def _fetched_and_applied(source: str, event: str, payload: dict[str, Any]) -> tuple[Any, int]:
    """Read what the delivery names from the community's API and apply it to the index."""
    settings = engine_of(current_app).settings
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
    return jsonify(_answer(source, event, report)), 200


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
        "already_gone": report.already_gone,
        "skipped": report.skipped,
        "ids": report.ids,
        "truncated": report.truncated.ids,
        "errors": [str(e) for e in report.errors[:ERRORS_SHOWN]],
    }
