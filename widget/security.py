"""Security headers on every answer: JSON, pages, the widget script and errors alike.

Pages set their own Content-Security-Policy (``widget.pages``); everything else gets one
that allows nothing, since no answer of the API is meant to be rendered as a document.
"""

from __future__ import annotations

from flask import Request, Response

# No answer is a document to render: JSON and JavaScript need no sources of their own.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS_SECONDS = 365 * 24 * 3600
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Thread links leave for the community; the query typed stays here.
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def add_security_headers(response: Response, request: Request, authenticated: bool) -> None:
    """Add the headers every answer carries (those already set by a view win).

    Args:
        authenticated: the request carried credentials: its answer must not be stored
            by any cache on the way.
    """
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("Content-Security-Policy", API_CONTENT_SECURITY_POLICY)
    if request.is_secure:
        response.headers.setdefault(
            "Strict-Transport-Security", f"max-age={HSTS_SECONDS}; includeSubDomains"
        )
    if authenticated:
        response.headers["Cache-Control"] = "no-store"
