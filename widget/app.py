"""The Flask app factory: one engine per process, one blueprint per feature."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from indexer.engine import Engine, open_engine
from indexer.errors import BackendUnavailable, InvalidEvent, InvalidQuery, ThreadNotFound
from indexer.settings import Settings, load_settings

log = logging.getLogger(__name__)

ENGINE_KEY = "askfind.engine"


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Flask:
    """Build the app. The engine (model, analyser, backend) is loaded here, once per worker.

    Args:
        settings: defaults to ``load_settings()`` (file + environment).
        engine: an already built engine to serve (tests share one across apps).
    """
    settings = settings or (engine.settings if engine else load_settings())
    app = Flask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # items keep the contract's order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # Thread ids may start with or hold "/" (sent as %2F): "/api/threads//x" is the thread
    # "/x", not a path to redirect to "/api/threads/x".
    app.url_map.merge_slashes = False
    app.extensions[ENGINE_KEY] = engine = engine or open_engine(settings)
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from widget import lifecycle
    from widget.admin import admin
    from widget.agent import agent
    from widget.api import api
    from widget.events import events
    from widget.health import health
    from widget.hooks import hooks
    from widget.metrics import metrics_page
    from widget.origins import allow_widget_origins
    from widget.pages import pages
    from widget.runtime import RUNTIME_KEY, build_runtime
    from widget.threads_api import threads

    app.extensions[RUNTIME_KEY] = build_runtime(app, engine)
    app.register_blueprint(api)
    app.register_blueprint(events)
    app.register_blueprint(health)
    app.register_blueprint(pages)
    app.register_blueprint(agent)
    app.register_blueprint(threads)
    app.register_blueprint(hooks)
    app.register_blueprint(admin)
    app.register_blueprint(metrics_page)
    app.after_request(allow_widget_origins)
    lifecycle.register(app)
    _register_error_handlers(app)
    return app


def engine_of(app: Flask) -> Engine:
    return app.extensions[ENGINE_KEY]


def close_app(app: Flask) -> None:
    """Release what the app holds: the index, the event store, Redis connections."""
    from widget.events import STORE_KEY
    from widget.runtime import runtime_of

    runtime_of(app).redis.close()
    store = app.extensions.pop(STORE_KEY, None)
    if store is not None:
        store.close()
    engine_of(app).close()


def error(message: str, status: int, **extra: Any) -> tuple[Any, int]:
    """The one shape of every error answer: {"error": "..."} with a 4xx/5xx status."""
    return jsonify({"error": message, **extra}), status


def _register_error_handlers(app: Flask) -> None:
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
        from widget.metrics import BACKEND_ERRORS

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
