"""POST /api/events: the widget's impressions, clicks, "asked anyway" and helpful votes.

The widget sends them with ``navigator.sendBeacon``, which posts a text/plain body and
cannot read the answer; the status codes are for everyone else (and the tests).

Every thread an event names (a click, a vote, the results of an impression) must be in
the index: a vote for a thread that does not exist would boost nothing and could carry
anything a sender likes into the event store.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from werkzeug.exceptions import Forbidden, UnsupportedMediaType

from indexer.analytics.events import Event, EventLimits, parse_event
from indexer.analytics.store import EventStore, open_event_store
from indexer.errors import AskfindError, InvalidEvent
from indexer.visibility import visible_threads
from widget import metrics
from widget.bodies import bounded_body
from widget.context import engine_of
from widget.origins import is_allowed

events = Blueprint("events", __name__, url_prefix="/api")

STORE_KEY = "askfind.events"
# sendBeacon sends a string as text/plain (a CORS-safelisted type: no preflight).
ACCEPTED_TYPES = ("application/json", "text/plain")
_store_lock = threading.Lock()


@events.post("/events")
def receive() -> Any:
    """Validate one event and store it; 202 once it is on disk."""
    settings = engine_of(current_app).settings
    origin = request.headers.get("Origin")
    if not origin:
        raise Forbidden("events are accepted from the widget's pages only (no Origin header)")
    if not is_allowed(origin, request, settings):
        raise Forbidden(f"events from {origin} are not accepted: it is not in widget_origins")
    if request.mimetype not in ACCEPTED_TYPES:
        raise UnsupportedMediaType("send the event as JSON (application/json or text/plain)")
    limits = EventLimits(
        max_bytes=settings.events_max_bytes,
        max_query_chars=settings.query_max_chars,
    )
    event = parse_event(bounded_body(limits.max_bytes, "the event"), limits)
    _check_threads_exist(event)
    try:
        event_store_of(current_app).add([event], origin=origin)
    except AskfindError:
        metrics.BACKEND_ERRORS.labels(backend="events").inc()
        raise
    metrics.EVENTS.labels(type=event.type).inc()
    return jsonify({"stored": 1}), 202


def _check_threads_exist(event: Event) -> None:
    """Refuse an event naming a thread the index does not hold, or holds only for some
    groups (400): events come from the public widget, and a restricted thread accepted
    where an unknown one is refused would tell the public that it exists.

    Raises:
        InvalidEvent: naming the first unknown thread (its id is not echoed: it may be
            anything a sender typed).
    """
    named = ([event.thread] if event.thread is not None else []) + list(event.results)
    if not named:
        return
    known = visible_threads(engine_of(current_app).backend, named, frozenset())  # the public
    if event.thread is not None and event.thread not in known:
        raise InvalidEvent(f"thread: no thread with this id is in the index ({event.type})")
    unknown = [position for position, thread in enumerate(event.results) if thread not in known]
    if unknown:
        raise InvalidEvent(f"results[{unknown[0]}]: no thread with this id is in the index")


def event_store_of(app: Flask) -> EventStore:
    """The app's event store, opened on the first event (most processes never get one)."""
    with _store_lock:
        if STORE_KEY not in app.extensions:
            app.extensions[STORE_KEY] = open_event_store(engine_of(app).settings)
        return app.extensions[STORE_KEY]
