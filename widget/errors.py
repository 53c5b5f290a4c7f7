"""The one shape of every error answer, and the handlers that give it to every failure."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from indexer.errors import BackendUnavailable, InvalidEvent, InvalidQuery, ThreadNotFound
from widget.metrics import BACKEND_ERRORS

log = logging.getLogger(__name__)


def error(message: str, status: int, **extra: Any) -> tuple[Any, int]:
    """The one shape of every error answer: {"error": "..."} with a 4xx/5xx status."""
    return jsonify({"error": message, **extra}), status


def register_error_handlers(app: Flask) -> None:
    """Every error leaves as JSON: the project's own, HTTP errors and unexpected ones."""

    @app.errorhandler(InvalidQuery)
    def invalid_query(e: InvalidQuery) -> tuple[Any, int]:
        return error(str(e), 400)

    @app.errorhandler(InvalidEvent)
    def invalid_event(e: InvalidEvent) -> tuple[Any, int]:
        return error(str(e), 400)

    @app.errorhandler(ThreadNotFound)
    def not_found(e: ThreadNotFound) -> tuple[Any, int]:
        return error(str(e), 404)

    @app.errorhandler(BackendUnavailable)
    def unavailable(e: BackendUnavailable) -> tuple[Any, int]:
        BACKEND_ERRORS.labels(backend="index").inc()
        log.warning("backend unavailable: %s", e)
        return error(str(e), 503)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        response, status = error(e.description or e.name, e.code or 500)
        # Keep what the exception says besides its text: Retry-After (429),
        # WWW-Authenticate (401), Allow (405).
        for name, value in e.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response, status

    @app.errorhandler(Exception)
    def unexpected(e: Exception) -> tuple[Any, int]:
        log.exception("unexpected error")
        return error("internal error", 500)
