"""What happens around every request: a request id, the rate limit, security headers,
metrics and one access-log line. Registered once by the app factory."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qs

from flask import Flask, Response, current_app, g, request
from werkzeug.exceptions import TooManyRequests

from indexer.privacy import redacted_excerpt
from widget import metrics
from widget.auth import current_principal, presented_key
from widget.limits import Admission, client_of, retry_after
from widget.logs import (
    REQUEST_ID_HEADER,
    bind_request_id,
    request_id_from,
    reset_request_id,
)
from widget.runtime import runtime_of
from widget.security import add_security_headers

access_log = logging.getLogger("askfind.access")

# Which limit a request under /api/ counts against, by blueprint; others count as reads.
BUCKETS = {"events": "events", "threads": "write", "admin": "write", "hooks": "write"}
LOGGED_QUERY_CHARS = 200
# Endpoints whose view makes the rate-limit check itself (``admit``), so that the check
# reads the view's cached answer in the same Redis round trip; should the view fail
# before that, the request is counted when it ends.
CHECKED_BY_VIEW = frozenset({"api.suggest"})


def register(app: Flask) -> None:
    app.before_request(_start)
    app.before_request(_limit)
    app.after_request(_finish)
    app.teardown_request(_unbind)


def _start() -> None:
    g.askfind_started = time.perf_counter()
    g.askfind_request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
    g.askfind_log_token = bind_request_id(g.askfind_request_id)


def _limit() -> None:
    """Answer 429 with Retry-After once a client exceeds its rate (API paths only)."""
    if not request.path.startswith("/api/"):
        return
    limiter = runtime_of(current_app).limiter
    if not limiter.enabled:
        return
    bucket = BUCKETS.get(request.blueprint or "", "read")
    principal = current_principal() if presented_key(request) else None
    client = runtime_of(current_app).pseudonyms.of(
        client_of(request.remote_addr, principal.key_id if principal else None)
    )
    if request.endpoint in CHECKED_BY_VIEW:
        g.askfind_pending_limit = (bucket, client)
        return
    _refuse_if_over(limiter.admit(bucket, client), bucket)


def admit(read: str | None) -> Admission:
    """The rate-limit check a view of ``CHECKED_BY_VIEW`` makes, reading the Redis key
    ``read`` in the same round trip.

    Raises:
        TooManyRequests: the client is over its rate.
    """
    pending = g.pop("askfind_pending_limit", None)
    if pending is None:  # limits are off, or this is not an API path
        return Admission(0.0)
    bucket, client = pending
    admission = runtime_of(current_app).limiter.admit(bucket, client, read=read)
    _refuse_if_over(admission, bucket)
    return admission


def _refuse_if_over(admission: Admission, bucket: str) -> None:
    if admission.wait_seconds > 0:
        metrics.RATE_LIMITED.labels(bucket=bucket).inc()
        wait = retry_after(admission.wait_seconds)
        raise TooManyRequests(f"too many requests: try again in {wait} s", retry_after=wait)


def _count_unchecked(response: Response) -> Response:
    """Count a request whose view failed before its own check; 429 if it was one too many."""
    pending = g.pop("askfind_pending_limit", None)
    if pending is None:
        return response
    try:
        _refuse_if_over(runtime_of(current_app).limiter.admit(*pending), pending[0])
    except TooManyRequests as refused:
        return current_app.make_response(current_app.handle_http_exception(refused))
    return response


def _finish(response: Response) -> Response:
    response = _count_unchecked(response)
    request_id = g.get("askfind_request_id") or request_id_from(None)
    response.headers[REQUEST_ID_HEADER] = request_id
    add_security_headers(response, request, authenticated=presented_key(request) is not None)
    started = g.get("askfind_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    endpoint = request.endpoint or "unmatched"
    metrics.observe_request(endpoint, request.method, response.status_code, seconds)
    settings = current_app.extensions["askfind.engine"].settings
    if settings.access_log:
        fields = {
            "method": request.method,
            "path": request.path,
            "endpoint": endpoint,
            "status": response.status_code,
            "duration_ms": round(seconds * 1000, 2),
        }
        if cache := response.headers.get("X-Cache"):
            fields["cache"] = cache
        if query := _logged_query():
            fields["query"] = query
        status = response.status_code
        access_log.info("%s %s %s", request.method, request.path, status, extra=fields)
    return response


def _logged_query() -> str | None:
    """The q parameter as it may be logged: redacted, then cut (any bytes, never an error)."""
    raw = request.query_string.decode("utf-8", "replace")
    values = parse_qs(raw, keep_blank_values=False).get("q")
    return redacted_excerpt(values[0], LOGGED_QUERY_CHARS) if values else None


def _unbind(error: BaseException | None) -> None:
    token = g.pop("askfind_log_token", None)
    if token is not None:
        reset_request_id(token)
