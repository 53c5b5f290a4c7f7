"""The size limits of a request's URL and headers, answered as JSON by the app itself.

gunicorn's own limits (``widget.server``) stand above these, so a request over them
reaches askfind and gets the same ``{"error": ...}`` answer as every other bad input
(Werkzeug's development server passes such requests on too). The settings
``url_max_bytes``, ``header_max_count`` and ``header_max_bytes`` are the limits.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge

from widget.context import engine_of


def register(app: Flask) -> None:
    """Check every request's size before anything else looks at it."""
    app.before_request(refuse_oversized_request)


def refuse_oversized_request() -> None:
    """Raise 414 for a request target over ``url_max_bytes``, 431 for more than
    ``header_max_count`` header fields or one over ``header_max_bytes``."""
    settings = engine_of(current_app).settings
    environ = request.environ
    # The target as sent: gunicorn keeps it as RAW_URI, Werkzeug as REQUEST_URI.
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
    size = len(target.encode("latin-1", "replace"))
    if size > settings.url_max_bytes:
        raise RequestURITooLarge(
            f"the URL is {size} bytes long, the limit is {settings.url_max_bytes}; send long "
            'text as POST /api/search with a JSON body {"q": "..."}'
        )
    headers = list(request.headers.items())
    if len(headers) > settings.header_max_count:
        raise RequestHeaderFieldsTooLarge(
            f"the request has {len(headers)} header fields, the limit is "
            f"{settings.header_max_count}"
        )
    for name, value in headers:
        if len(name) + len(value) + 2 > settings.header_max_bytes:
            raise RequestHeaderFieldsTooLarge(
                f"the header field {name[:40]!r} is longer than {settings.header_max_bytes} bytes"
            )
