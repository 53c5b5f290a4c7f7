"""Which browser origins may use the service: its own pages and the pages that embed the
widget (``widget_origins``). Events are accepted only from these, and the API answers
their browsers' cross-origin requests (CORS) so that the widget works on another host."""

from __future__ import annotations

from flask import Request, Response, current_app, request

from indexer.settings import Settings
from widget.context import engine_of

ANY = "*"
# The widget only reads: GET /api/suggest (and agents' pages may use /api/search).
CORS_PATHS = ("/api/suggest", "/api/search", "/api/threads/")
EXPOSED_HEADERS = "Retry-After, X-Request-Id"


def own_origin(req: Request) -> str:
    return f"{req.scheme}://{req.host}".lower()


def is_allowed(origin: str, req: Request, settings: Settings) -> bool:
    """True for the service's own origin and for the configured widget origins."""
    origin = origin.lower().rstrip("/")
    if origin == own_origin(req):
        return True
    return ANY in settings.widget_origins or origin in settings.widget_origins


def allow_widget_origins(response: Response) -> Response:
    """Let the browsers of the widget's pages read the read-only API (an after_request)."""
    origin = request.headers.get("Origin")
    if request.method != "GET" or not request.path.startswith(CORS_PATHS):
        return response
    response.vary.add("Origin")
    if origin and is_allowed(origin, request, engine_of(current_app).settings):
        response.headers["Access-Control-Allow-Origin"] = origin
        # The widget may read how long to back off (429) and which request to report.
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    return response
