"""The pages: the demo help page with the widget (German and English), its stand-in ask
flow, and ``/embed.js`` itself.

The pages are served with a strict Content-Security-Policy (no inline script or style, no
eval): the demo shows that the widget works on a page that locks itself down that way.
"""

from __future__ import annotations

import gzip
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, render_template, request
from werkzeug.exceptions import NotFound

pages = Blueprint("pages", __name__)

# embed.js lives at the repository's top level (the design card). widget/static/embed.js
# is a symlink to it, so a checkout or editable install serves the file being edited,
# and building a wheel copies its content in as package data.
EMBED_PATH = Path(__file__).parent / "static" / "embed.js"
# Pages embed the widget with a plain script tag (no version in the URL): an hour of
# caching, then revalidation by ETag, so a new release reaches every page within the hour.
EMBED_MAX_AGE_S = 3600
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "connect-src 'self'",
        "img-src 'self'",
        "form-action 'self'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ]
)
LANGUAGES = ("de", "en")

TEXT = {
    "de": {
        "title": "Frage stellen – Telvia Hilfe-Community",
        "site": "Telvia Hilfe-Community",
        "heading": "Frage stellen",
        "intro": "Beschreiben Sie Ihr Anliegen in einem Satz. Schon beim Tippen zeigen wir "
        "Beiträge der Community, die Ihre Frage vielleicht schon beantworten.",
        "question": "Ihre Frage",
        "hint": "Zum Beispiel: WLAN bricht abends ständig ab",
        "details": "Details (optional)",
        "submit": "Frage stellen",
        "other": "English",
        "other_href": "/en",
        "footer": "Demo von askfind auf einer fiktiven Beispiel-Community.",
        "asked_title": "Frage gestellt – Telvia Hilfe-Community",
        "asked_heading": "Ihre Frage",
        "asked_text": "In einer echten Community würde Ihre Frage jetzt veröffentlicht:",
        "back": "Zurück zur Suche",
    },
    "en": {
        "title": "Ask the community – Telvia help community",
        "site": "Telvia help community",
        "heading": "Ask the community",
        "intro": "Describe your problem in one sentence. While you type, we show community "
        "threads that may already answer it.",
        "question": "Your question",
        "hint": "For example: cancel my contract when moving abroad",
        "details": "Details (optional)",
        "submit": "Ask the community",
        "other": "Deutsch",
        "other_href": "/",
        "footer": "askfind demo on a fictional sample community.",
        "asked_title": "Question asked – Telvia help community",
        "asked_heading": "Your question",
        "asked_text": "In a real community your question would now be posted:",
        "back": "Back to search",
    },
}

_gzipped: dict[float, bytes] = {}
_gzip_lock = threading.Lock()


@pages.get("/")
def demo() -> Any:
    """The demo help page; German unless ``?lang=en``."""
    lang = request.args.get("lang", "de")
    if lang not in LANGUAGES:
        lang = "de"
    return render_template("demo.html", lang=lang, t=TEXT[lang])


@pages.get("/en")
def demo_english() -> Any:
    return render_template("demo.html", lang="en", t=TEXT["en"])


@pages.get("/ask")
def ask() -> Any:
    """Where the demo's ask form goes: it shows the question it was handed."""
    lang = request.args.get("lang", "de")
    if lang not in LANGUAGES:
        lang = "de"
    title = request.args.get("title", "")[:500]
    return render_template("asked.html", lang=lang, t=TEXT[lang], title=title)


@pages.get("/favicon.ico")
def favicon() -> Any:
    """No icon (and no 404 in every browser console)."""
    return "", 204


@pages.after_request
def lock_down(response: Response) -> Response:
    """A strict CSP on the pages (the widget must work without inline code or eval)."""
    if response.mimetype == "text/html":
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "strict-origin-when-cross-origin"
    return response


@pages.get("/embed.js")
def embed_js() -> Response:
    """The widget script: cacheable, revalidated by ETag, gzipped when the client accepts it."""
    try:
        source = EMBED_PATH.read_bytes()
        modified = EMBED_PATH.stat().st_mtime
    except FileNotFoundError as e:
        raise NotFound("embed.js is not installed with this copy of askfind") from e
    body, encoding = source, None
    if "gzip" in request.accept_encodings:
        body, encoding = _gzip(source, modified), "gzip"
    response = Response(body, mimetype="text/javascript")
    response.set_etag(f"{int(modified)}-{len(source)}-{encoding or 'identity'}")
    response.cache_control.public = True
    response.cache_control.max_age = EMBED_MAX_AGE_S
    response.vary.add("Accept-Encoding")
    if encoding:
        response.content_encoding = encoding
    # Any page may load the widget, also with Subresource Integrity (a CORS fetch).
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


def _gzip(source: bytes, modified: float) -> bytes:
    """Compress once per version of the file."""
    with _gzip_lock:
        if modified not in _gzipped:
            _gzipped.clear()
            _gzipped[modified] = gzip.compress(source, compresslevel=9, mtime=0)
        return _gzipped[modified]
